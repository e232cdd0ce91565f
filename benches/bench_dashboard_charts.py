"""The dashboards in headless Chromium: compare charts of 100 runs × 10,000 steps drawn
(goal <= 1 s), and a runs table of 5,000 runs loaded (goal <= 500 ms).

Served by uvicorn from the production build (frontend/dist) on a scratch
database. Compare: from navigation until every chart is drawn, and from the
compare answer's arrival until then (the browser's own share). Baseline in
the same run: the same page asking for the raw series (?points=10000, every
step of every run: no server downsampling). Runs table: from navigation
until the table shows its rows.

    .venv/bin/python benches/bench_dashboard_charts.py

Needs /usr/bin/chromium, Python Playwright and a built frontend (make frontend).
BENCH_ONLY=table measures the runs table alone.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/netweave_dash")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from bench_dashboard_compare import KEYS, seed  # noqa: E402
from bench_dashboard_table import seed_table  # noqa: E402
from bench_runs_ingest import scratch_database  # noqa: E402
from tests.workers.processes import start_web  # noqa: E402

PASSWORD = "bench-password-1"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DRAWN = """(n) => {
  const boxes = [...document.querySelectorAll('.dash-chart .chart-box[data-drawn]')];
  return boxes.length >= n;
}"""
TIMES = """() => {
  const drawn = Math.max(...[...document.querySelectorAll('.chart-box[data-drawn]')].map(b => +b.dataset.drawn));
  const answer = performance.getEntriesByType('resource').filter(e => e.name.includes('/api/compare')).pop();
  return {total: drawn - performance.timeOrigin, browser: drawn - (performance.timeOrigin + answer.responseEnd),
          server: answer.responseStart - answer.requestStart, bytes: answer.encodedBodySize};
}"""


def server_env(database: str, var: Path) -> dict:
    url = urlparse(os.environ["DATABASE_URL"])
    return {**os.environ, "DATABASE_URL": urlunparse(url._replace(path=f"/{database}")),
            "NETWEAVE_VAR_DIR": str(var), "OMP_NUM_THREADS": "1"}


def log_in(page, username: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("heading", name="Projects").wait_for()


def compare_times(page, ids: list[int], points: int, repeat: int) -> list[dict]:
    out = []
    for _ in range(repeat):
        page.goto(f"/compare?runs={','.join(map(str, ids))}&points={points}")
        page.wait_for_function(DRAWN, arg=len(KEYS), timeout=120_000)
        out.append(page.evaluate(TIMES))
    return out


TABLE_TIMES = """() => {
  const answer = performance.getEntriesByType('resource').filter(e => e.name.includes('/runs-table')).pop();
  return {total: performance.now(), asked: answer.requestStart, server: answer.responseStart - answer.requestStart,
          browser: performance.now() - answer.responseEnd, bytes: answer.encodedBodySize};
}"""


def table_times(page, project: int, rows: int, repeat: int) -> list[dict]:
    """When the first rows showed (the page's preview of a screenful) and when all `rows` did."""
    out = []
    for _ in range(repeat):
        page.goto(f"/projects/{project}/runs")
        page.wait_for_function("() => document.querySelector('[data-testid=runs-table] .vt-row')", timeout=60_000)
        first = page.evaluate("() => performance.now()")
        page.wait_for_function(f"""() => document.querySelector('[data-testid=runs-table][data-rows="{rows}"] .vt-row')""",
                               timeout=60_000)
        out.append({**page.evaluate(TABLE_TIMES), "first": first})
    return out


def report(name: str, times: list[dict]) -> None:
    pick = lambda field: statistics.median(t[field] for t in times)  # noqa: E731
    print(f"{name}: drawn {pick('total'):.0f} ms after navigation (browser share {pick('browser'):.0f} ms, "
          f"server {pick('server'):.0f} ms, {pick('bytes') / 1e6:.1f} MB)")


def main() -> None:
    from playwright.sync_api import sync_playwright

    only_table = os.environ.get("BENCH_ONLY") == "table"
    with scratch_database() as database, tempfile.TemporaryDirectory() as tmp:
        user, _, ids = seed(runs=1 if only_table else 100, password=PASSWORD)
        _, table_project = seed_table(user=user)
        env = server_env(database, Path(tmp) / "var")
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        web, url = start_web(env, Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 900}, base_url=url)
                log_in(page, user.username)
                if not only_table:
                    ours = compare_times(page, ids, 1000, 5)
                    raw = compare_times(page, ids, 10_000, 2)
                table = table_times(page, table_project.pk, 5000, 5)
                browser.close()
        finally:
            web.stop()
    print_table(table)
    if only_table:
        return
    report(f"compare, {len(ids)} runs × {len(KEYS)} charts, downsampled (1,000 points a line)", ours)
    report("baseline, the raw series (10,000 points a line)", raw)
    print(f"ratio raw/ours (drawn after navigation): "
          f"{statistics.median(t['total'] for t in raw) / statistics.median(t['total'] for t in ours):.1f}x; goal <= 1,000 ms")


def print_table(table: list[dict]) -> None:
    pick = lambda field: statistics.median(t[field] for t in table)  # noqa: E731
    print(f"runs table: first rows shown {pick('first'):.0f} ms after navigation; goal <= 500 ms")
    print(f"runs table, all 5,000 runs shown {pick('total'):.0f} ms after navigation "
          f"(best {min(t['total'] for t in table):.0f} ms; app started and asked at {pick('asked'):.0f} ms, "
          f"server {pick('server'):.0f} ms, {pick('bytes') / 1e6:.1f} MB, browser after the answer {pick('browser'):.0f} ms)")


if __name__ == "__main__":
    main()
