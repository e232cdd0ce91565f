"""Hyperparameters as flat columns: a run's config is nested JSON, tables want `optimizer.lr`."""
from __future__ import annotations

# Shown first when present: what a person tunes most often.
PREFERRED = ("optimizer.name", "optimizer.lr", "batch_size", "epochs", "optimizer.weight_decay",
             "schedule.name", "precision")
# Settings of the machine, not of the model: never "key" hyperparameters.
IGNORED = {"device", "num_workers", "system_every_s", "eval_every_steps"}
MAX_COLUMNS = 12


def flatten(config, prefix: str = "") -> dict:
    """{"optimizer": {"lr": 0.1}} → {"optimizer.lr": 0.1}; lists stay values (betas)."""
    out: dict = {}
    if not isinstance(config, dict):
        return out
    for name, value in config.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{path}."))
        elif path not in IGNORED:
            out[path] = value
    return out


def differing(flats: list[dict]) -> list[str]:
    """Names whose value is not the same in every run (a missing value counts as None)."""
    names = sorted({name for flat in flats for name in flat})
    return [n for n in names if len({_hashable(flat.get(n)) for flat in flats}) > 1]


def key_columns(flats: list[dict], limit: int = MAX_COLUMNS) -> list[str]:
    """The preferred names present, then the ones that differ between runs, at most `limit`."""
    present = {name for flat in flats for name in flat}
    chosen = [n for n in PREFERRED if n in present]
    chosen += [n for n in differing(flats) if n not in chosen]
    return chosen[:limit]


def _hashable(value):
    return repr(value) if isinstance(value, (list, dict)) else value
