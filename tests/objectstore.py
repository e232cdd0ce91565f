"""A real S3 API endpoint for tests: moto's standalone server on a free port.

No MinIO server can be installed here (none is packaged for PyPI, npm or
Debian), so the tests talk to moto's server (`moto[server]`, a Werkzeug app
speaking the S3 REST API over HTTP) through the same boto3 and
django-storages code a MinIO deployment uses. docs/storage.md says so.
"""
from __future__ import annotations

import socket
import uuid

import pytest

KEYS = {"NETWEAVE_S3_ACCESS_KEY": "netweave-test", "NETWEAVE_S3_SECRET_KEY": "netweave-test-secret",
        "NETWEAVE_S3_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


class Bucket:
    """One test's bucket: its settings (as environment variables) and a client to look inside."""

    def __init__(self, endpoint: str):
        import boto3

        self.name = f"netweave-{uuid.uuid4().hex[:12]}"
        self.env = {"NETWEAVE_STORAGE": "s3", "NETWEAVE_S3_ENDPOINT": endpoint, "NETWEAVE_S3_BUCKET": self.name,
                    **KEYS}
        self.client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEYS["NETWEAVE_S3_ACCESS_KEY"],
                                   aws_secret_access_key=KEYS["NETWEAVE_S3_SECRET_KEY"], region_name="us-east-1")
        self.client.create_bucket(Bucket=self.name)

    def keys(self, prefix: str = "") -> list[str]:
        answer = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in answer.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)


@pytest.fixture
def s3_bucket(s3_endpoint) -> Bucket:
    return Bucket(s3_endpoint)


@pytest.fixture
def object_store(settings, s3_bucket, tmp_path) -> Bucket:
    """This process's settings switched to the object store (its own media and runs folders)."""
    from designer.env import s3_storage

    settings.MEDIA_ROOT, settings.RUNS_ROOT = tmp_path / "media", tmp_path / "runs"
    settings.NETWEAVE_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "netweave": s3_storage(s3_bucket.env)}
    return s3_bucket
