"""Moving a large checkpoint through the object store: peak memory and throughput.

Uploads (store.put: boto3's multipart transfer from the file), a browser's download
(FileResponse over store.open_run_file, read in 1 MiB chunks as the view sends it) and a
worker's fetch (store.fetch to disk) each raise this process's peak resident memory by a
bounded amount (the transfer's chunks in flight), not by the file's size; the baseline, in the same run, reads the object into
memory whole. The S3 server is moto's standalone server in its own process (it keeps
objects in its memory, not ours).

    .venv/bin/python benches/bench_store.py [--mib 256]
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Peak:
    """The highest resident memory of this process while a block runs, sampled every 2 ms, in MiB above its start."""

    def __enter__(self):
        import psutil

        self.process, self.stop = psutil.Process(), threading.Event()
        self.start = self.high = self.process.memory_info().rss
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while not self.stop.wait(0.002):
            self.high = max(self.high, self.process.memory_info().rss)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.high = max(self.high, self.process.memory_info().rss)

    @property
    def mib(self) -> float:
        return (self.high - self.start) / 2**20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, endpoint
        except OSError:
            time.sleep(0.1)
    raise SystemExit("moto's server did not start")


def measure(label: str, size: int, work) -> None:
    start = time.perf_counter()
    with Peak() as peak:
        work()
    seconds = time.perf_counter() - start
    print(f"{label:<46} peak +{peak.mib:7.1f} MiB   {size / 2**20 / seconds:7.1f} MiB/s", flush=True)


def setup(endpoint: str, folder: Path):
    os.environ.update({"NETWEAVE_STORAGE": "s3", "NETWEAVE_S3_ENDPOINT": endpoint, "NETWEAVE_S3_BUCKET": "bench",
                       "NETWEAVE_S3_ACCESS_KEY": "bench", "NETWEAVE_S3_SECRET_KEY": "bench-secret",
                       "NETWEAVE_RUNS_ROOT": str(folder / "runs"), "NETWEAVE_MEDIA_ROOT": str(folder / "media"),
                       "DJANGO_SETTINGS_MODULE": "designer.settings"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from designer.core import store

    return store


KEY = "runs/1/checkpoints/last.pt"


def step(name: str, endpoint: str, folder: Path, size: int) -> None:
    """One transfer, in a process of its own: memory freed by one is not reused by the next."""
    store = setup(endpoint, folder)
    if name == "upload":
        measure("upload (store.put, multipart from the file)", size, lambda: store.put(KEY, folder / "last.pt"))
    elif name == "download":
        from django.http import FileResponse

        def download():
            stream, length = store.open_run_file(1, "checkpoints/last.pt")
            response = FileResponse(stream)
            response.block_size = store.CHUNK
            assert sum(len(chunk) for chunk in response.streaming_content) == length == size
            response.close()

        measure("download (the view's streamed response)", size, download)
    elif name == "fetch":
        measure("fetch to a worker's folder (store.fetch)", size, lambda: store.fetch(KEY, folder / "copy.pt"))
    else:
        def whole():
            assert len(store._client().get_object(Bucket="bench", Key=KEY)["Body"].read()) == size

        measure("baseline: the object read whole into memory", size, whole)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = args.mib * 2**20
    if args.step:
        step(args.step, args.endpoint, Path(args.folder), size)
        return
    server, endpoint = start_server()
    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        setup(endpoint, folder)._client().create_bucket(Bucket="bench")
        with open(folder / "last.pt", "wb") as fh:
            for _ in range(args.mib):
                fh.write(os.urandom(2**20))
        print(f"a {args.mib} MiB checkpoint through moto's S3 server, each transfer in a fresh process")
        for name in ("upload", "download", "fetch", "whole"):
            subprocess.run([sys.executable, __file__, "--step", name, "--endpoint", endpoint, "--folder", str(folder),
                            "--mib", str(args.mib)], check=True)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
