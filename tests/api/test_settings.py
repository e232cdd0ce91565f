"""A bad value in the environment stops start-up with one clear line, not a traceback."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(tmp_path, **env):
    environment = {**os.environ, "NETWEAVE_VAR_DIR": str(tmp_path), **env}
    return subprocess.run([sys.executable, "manage.py", "diffsettings"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("env, expected", [
    ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
    ({"DATABASE_URL": "mysql://db/netweave"}, "unsupported scheme 'mysql'"),
    ({"REDIS_URL": "localhost:6379"}, "REDIS_URL='localhost:6379' is not a URL we can use"),
    ({"NETWEAVE_MAX_NODES": "lots"}, "NETWEAVE_MAX_NODES='lots' is not an integer"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 characters"),
    ({"NETWEAVE_JOB_NICE": "20"}, "NETWEAVE_JOB_NICE=20 is above the maximum of 19"),
])
def test_it_stops_on_a_bad_setting(tmp_path, env, expected):
    result = start(tmp_path, **env)
    assert result.returncode != 0
    assert "Netweave cannot start: " in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_it_stops_on_a_damaged_key_file(tmp_path):
    (tmp_path / "secret_key").write_text("x")
    result = start(tmp_path, SECRET_KEY="")
    assert result.returncode != 0
    assert "secret_key holds no usable key; delete it" in result.stderr


def test_it_starts_with_good_settings(tmp_path):
    result = start(tmp_path, DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600 and len(key_file.read_text()) >= 32
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret_key")] == []
    again = start(tmp_path)  # a second start reads the same key
    assert again.returncode == 0 and f"SECRET_KEY = '{key_file.read_text()}'" in again.stdout


def test_check_deploy_is_clean_under_production_values(tmp_path):
    # W004/W008/W012/W016 came from HSTS, the SSL redirect and secure cookies,
    # which no environment variable could turn on.
    env = {**os.environ, "NETWEAVE_VAR_DIR": str(tmp_path), "DEBUG": "false",
           "SECRET_KEY": "k" * 20 + "-x7Q2v9Lp4Zr8Tn3Wb6Yc1Md5Hs0Jf",
           "ALLOWED_HOSTS": "netweave.example.com", "NETWEAVE_SSL_REDIRECT": "true",
           "NETWEAVE_HSTS_SECONDS": "31536000", "NETWEAVE_HSTS_INCLUDE_SUBDOMAINS": "true",
           "NETWEAVE_HSTS_PRELOAD": "true", "NETWEAVE_SECURE_COOKIES": "true", "NETWEAVE_BEHIND_TLS_PROXY": "true",
           "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--tag", "security",
                             "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
