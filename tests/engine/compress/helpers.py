"""A trained source run on disk (digits CNN, a few epochs) and a way to run a job kind on it."""
from __future__ import annotations

from pathlib import Path

from workers.engine import compile_graph, load_template
from workers.engine.data import load_dataset
from workers.engine.jobs.kinds import JobContext, get_job
from tests.engine.training.conftest import RecordingSink
from workers.engine.train import TrainConfig, TrainRecipe

DIGITS = {"kind": "digits"}



def train_source(run_dir: Path, graph: dict | None = None, epochs: int = 3, seed: int = 0) -> dict:
    """Train ``graph`` (the digits CNN) on digits; return the job input pointing at best.pt."""
    graph = graph or load_template("digits_cnn")
    config = TrainConfig(epochs=epochs, batch_size=64, seed=seed, monitor="val/accuracy",
                         optimizer={"name": "adam", "lr": 0.003})
    recipe = TrainRecipe(compile_graph(graph, seed=seed), load_dataset(DIGITS), config, run_dir=run_dir)
    recipe.setup()
    summary = recipe.train()
    recipe.cleanup()
    return {"run": 1, "checkpoint": "best", "path": str(run_dir / "checkpoints" / "best.pt"),
            "summary": summary, "graph": graph}


def run_kind(kind: str, run_dir: Path, graph: dict, config: dict, inputs: list[dict]):
    """Run a job kind in this process, as the runner would; returns (summary, sink)."""
    entry = get_job(kind)
    sink = RecordingSink()
    run_dir.mkdir(parents=True, exist_ok=True)
    job = {"kind": kind, "graph": graph, "dataset": DIGITS, "config": config,
           "inputs": [{k: v for k, v in i.items() if k in ("run", "checkpoint", "path", "graph")} for i in inputs],
           "resources": {"queue": "cpu", "devices": 1}}
    ctx = JobContext(job=job, config=entry.parse_config(config), run_dir=run_dir, sink=sink,
                     should_stop=lambda: False)
    recipe = entry.recipe(ctx)
    try:
        recipe.setup(None)
        summary = recipe.run()
    finally:
        recipe.cleanup()
    return summary, sink
