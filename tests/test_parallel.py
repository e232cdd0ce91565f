"""The sharded run (tests/parallel.py): each shard on databases of its own, and no test left out."""
from __future__ import annotations

import json
from pathlib import Path

from tests import parallel


def test_each_shard_gets_its_own_databases_and_var_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/netweave")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/9")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    envs = [parallel.shard_env(name, index, tmp_path) for index, name in enumerate(parallel.SHARDS)]
    assert [e["DATABASE_URL"] for e in envs] == [f"postgres://postgres@127.0.0.1:5432/netweave_{name}"
                                                 for name in parallel.SHARDS]
    assert [e["REDIS_URL"] for e in envs] == [f"redis://127.0.0.1:6379/{n}" for n in range(9, 9 + len(envs))]
    assert len({e["NETWEAVE_VAR_DIR"] for e in envs}) == len(envs)
    assert {e["OMP_NUM_THREADS"] for e in envs} == {"1"}
    assert [e.get("NETWEAVE_FUZZ") for e in envs] == [None, None, None, "1"]  # only its own shard fuzzes


def test_an_operators_thread_count_and_a_sqlite_database_are_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/netweave.sqlite3")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    env = parallel.shard_env("web", 2, tmp_path)
    assert env["DATABASE_URL"] == "sqlite:///var/netweave.sqlite3" and "REDIS_URL" not in env
    assert env["OMP_NUM_THREADS"] == "4"


def test_every_test_module_is_in_exactly_one_shard():
    root = Path(parallel.ROOT)
    modules = {p.relative_to(root) for p in (root / "tests").rglob("test_*.py")}

    def in_shard(module: Path, args: list[str]) -> bool:
        paths = [Path(a) for a in args if not a.startswith("--")]
        ignored = [Path(a.split("=", 1)[1]) for a in args if a.startswith("--ignore=")]
        return any(module.is_relative_to(p) for p in paths) and not any(module.is_relative_to(i) for i in ignored)

    for module in modules:
        shards = [name for name, args in parallel.SHARDS.items() if in_shard(module, args)]
        assert len(shards) == 1, f"{module} is in shards {shards}"


SHARD_TEST = """
import json, os, time
from pathlib import Path

def test_{name}():
    began = time.time()
    time.sleep(1)
    Path(os.environ["LOG"], "{name}.json").write_text(json.dumps([began, time.time()]))
    assert {passes}
"""


def test_a_waiting_shard_starts_when_one_ends_and_a_failure_is_the_exit(monkeypatch, tmp_path, capsys):
    """Real pytest processes: three shards, two at once; the third fails."""
    monkeypatch.setenv("LOG", str(tmp_path))
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # plain pytest: no Django to set up
    shards = {}
    for name, passes in (("one", True), ("two", True), ("three", False)):
        (tmp_path / f"test_{name}.py").write_text(SHARD_TEST.format(name=name, passes=passes))
        shards[name] = [str(tmp_path / f"test_{name}.py")]
    assert parallel.run_shards(shards, at_once=2) == 1
    spans = {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in shards}
    assert spans["one"][0] < spans["two"][1] and spans["two"][0] < spans["one"][1]  # side by side
    assert spans["three"][0] >= min(spans["one"][1], spans["two"][1])  # waited for a free place
    assert "shards: one passed, two passed, three FAILED (exit 1)" in capsys.readouterr().out
