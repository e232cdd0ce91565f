"""Tuning benchmarks (docs/benchmarks.md, "Tuning"): each prints its baseline, measured in the same run.

    OMP_NUM_THREADS=1 .venv/bin/python benches/bench_tune.py efficiency [--seeds 3] [--first-seed 0] [--budget 40]
        [--samplers tpe,gp,auto,tpe/n_ei_candidates=96] [--startup N] [--univariate] [--trial-epochs 5]
    OMP_NUM_THREADS=1 .venv/bin/python benches/bench_tune.py hyperband [--trials 36] [--epochs 27]
        [--pruners hyperband,successive_halving] [--min-resource 1] [--reduction-factor 3]
    .venv/bin/python benches/bench_tune.py ideal      (no training: the best any pruner setting can do)
    OMP_NUM_THREADS=1 .venv/bin/python benches/bench_tune.py workers [--trials 6] [--trial-epochs 1]
        [--model tiny|digits_cnn] [--torch-threads one|share] [--repeats 3]
    .venv/bin/python benches/bench_tune.py page [--trials 10000]      (needs frontend/dist and Chromium)

- efficiency: the digits CNN over four params (lr, conv width, dropout, batch size), five epochs a
  trial (the objective is its best val accuracy): random search's best of ``budget`` trials, then
  how many trials TPE and GP need to reach it, per seed (baseline: random itself).
- hyperband: the same space, ``epochs`` per trial; Hyperband (successive halving brackets) against
  no pruning: epochs trained in all and the best value reached (baseline: no pruning).
- workers: sweeps of real trial runs on one, then two Celery workers, in turn for ``repeats`` rounds:
  trials per hour, their ratio per round and its median, and the per-trial overhead (the step that
  asks a trial → that trial's first training point).
- page: a sweep of 10,000 trials; the sweep page drawn in Chromium (table and parallel coordinates).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPACE = [{"name": "optimizer.lr", "low": 1e-4, "high": 3e-1, "log": True},
         {"name": "=width", "type": "int", "low": 2, "high": 64, "log": True},
         {"name": "dropout.p", "low": 0.0, "high": 0.8},
         {"name": "batch_size", "type": "categorical", "choices": [16, 32, 64, 128, 256]}]
TRAIN = {"epochs": 1, "monitor": "val/accuracy", "system_every_s": 60}


def digits_cnn() -> dict:
    """The digits CNN template with conv1 and conv2 sized by a graph variable ``width``."""
    from workers.engine import load_template

    doc = load_template("digits_cnn")
    doc["variables"]["width"] = 32
    for node in doc["nodes"]:
        if node["id"] in ("conv1", "conv2"):
            node["params"]["out_channels"] = "=width" if node["id"] == "conv1" else "=width * 2"
    return doc


def sweep_config(sampler: str, seed: int, n: int, startup: int | None = None, multivariate: bool = True,
                 **extra):
    """``sampler``: a name, or ``name/option=value/...`` with SamplerConfig's options
    (``tpe/n_ei_candidates=96/multivariate=false``); those override ``startup`` and ``multivariate``."""
    from workers.engine.train import parse_model
    from workers.engine.tune import TuneConfig

    name, *options = sampler.split("/")
    chosen = {"name": name, "seed": seed, "n_startup_trials": startup, "multivariate": multivariate}
    chosen.update((key, json.loads(value)) for key, value in (o.split("=", 1) for o in options))
    return parse_model(TuneConfig, {"space": SPACE, "train": {**TRAIN, **extra.pop("train", {})},
                                    "sampler": chosen, "n_trials": n, **extra})


def run_sweep(cfg, data, graph, stop_at: float | None = None):
    """(values in trial order, epochs trained, seconds, (value, epochs so far) per trial): an in-process sweep, ended early once
    a trial reaches ``stop_at``."""
    import optuna

    from workers.engine.tune import open_study
    from workers.engine.tune.local import optimize

    study = open_study(None, "bench", cfg)
    values, epochs, log, started = [], [0], [], time.perf_counter()

    def seen(trial) -> None:
        epochs[0] += trial.user_attrs.get("epochs", 0)
        values.append(trial.value if trial.state == optuna.trial.TrialState.COMPLETE else None)
        log.append((values[-1], epochs[0]))

    optimize(study, cfg, graph, data, on_trial=seen,
             should_stop=lambda: stop_at is not None and any(v is not None and v >= stop_at for v in values))
    return values, epochs[0], time.perf_counter() - started, log


def efficiency(seeds: range, budget: int, samplers: list[str], startup: int | None, multivariate: bool,
               epochs: int = 1) -> None:
    from workers.engine.data import load_dataset

    data, graph = load_dataset({"kind": "digits"}), digits_cnn()
    rows = []
    for seed in seeds:
        base = dict(train={"epochs": epochs})
        random_values, _, seconds, _ = run_sweep(sweep_config("random", seed, budget, **base), data, graph)
        target = max(v for v in random_values if v is not None)
        row = {"seed": seed, "random_best": round(target, 4), "random_s": round(seconds, 1)}
        for sampler in samplers:
            values, _, secs, _ = run_sweep(sweep_config(sampler, seed, budget, startup, multivariate, **base),
                                           data, graph, stop_at=target)
            hit = next((i + 1 for i, v in enumerate(values) if v is not None and v >= target), None)
            row[f"{sampler}_trials"] = hit if hit is not None else f">{budget}"
            row[f"{sampler}_best"] = round(max(v for v in values if v is not None), 4)
            row[f"{sampler}_s"] = round(secs, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"start-up trials {startup}, multivariate TPE {multivariate}, {epochs} epoch(s) a trial")
    for sampler in samplers:
        hits = sorted(r[f"{sampler}_trials"] if isinstance(r[f"{sampler}_trials"], int) else budget + 1 for r in rows)
        print(f"{sampler}: trials to reach random's best of {budget}: median {hits[len(hits) // 2]} "
              f"(per seed {[r[f'{sampler}_trials'] for r in rows]}); random needed {budget} (ratio "
              f"{hits[len(hits) // 2] / budget:.2f}; goal <= 20 trials)")


def hyperband(trials: int, epochs: int, pruners: list[str], min_resource: int, reduction_factor: int) -> None:
    from workers.engine.data import load_dataset

    data, graph = load_dataset({"kind": "digits"}), digits_cnn()
    base = dict(train={"epochs": epochs})
    best = lambda vs: max(v for v in vs if v is not None)  # noqa: E731
    plain, plain_epochs, plain_s, plain_log = run_sweep(sweep_config("tpe", 0, trials, **base), data, graph)
    def reached(log, target):  # epochs spent until a trial first scored >= target
        return next((spent for value, spent in log if value is not None and value >= target), None)

    print(f"no pruning: {trials} trials, {plain_epochs} epochs, {plain_s:.0f} s, best {best(plain):.4f}; "
          f"epochs until its best: {reached(plain_log, best(plain))}, until within 0.5 pt of it: "
          f"{reached(plain_log, best(plain) - 0.005)}", flush=True)
    for name in pruners:
        pruner = {"name": name, "min_resource": min_resource, "reduction_factor": reduction_factor}
        pruned, pruned_epochs, pruned_s, log = run_sweep(sweep_config("tpe", 0, trials, pruner=pruner, **base),
                                                         data, graph)
        # Epochs spent until the pruned sweep first comes within 0.5 pt of the unpruned sweep's best.
        reach = reached(log, best(plain) - 0.005)
        print(f"{name} (min_resource {min_resource}, reduction factor {reduction_factor}): {trials} trials, "
              f"{pruned_epochs} epochs, {pruned_s:.0f} s, best {best(pruned):.4f}, "
              f"{sum(v is None for v in pruned)} pruned; epochs until within 0.5 pt of no pruning's best: "
              f"{reach} (no pruning spent {plain_epochs} in all)")
        print(f"  epochs ratio {pruned_epochs / plain_epochs:.2f} (goal <= 0.33); best differs by "
              f"{100 * (best(plain) - best(pruned)):+.2f} pt (goal within 0.5)", flush=True)


def ideal_epochs(epochs: int, min_resource: int, eta: int, rate: int = 0) -> float:
    """Expected epochs of one trial under successive halving (Optuna's, ``min_early_stopping_rate``
    = ``rate``) when exactly one in ``eta`` trials goes on at each rung: rungs at
    min_resource * eta ** (rate + k) below ``epochs``."""
    rungs = [min_resource * eta ** (rate + k) for k in range(64) if min_resource * eta ** (rate + k) < epochs]
    cost, reach, done = 0.0, 1.0, 0
    for rung in rungs + [epochs]:
        cost += reach * (rung - done)
        reach, done = reach / eta, rung
    return cost


def ideal_ratio(epochs: int, min_resource: int, eta: int, pruner: str) -> float:
    """Epochs spent against no pruning in that ideal; Hyperband spreads trials over its brackets as
    Optuna's HyperbandPruner does (ceil(n * eta**s / (s + 1)) trials for bracket n - 1 - s)."""
    import math

    if pruner == "successive_halving":
        return ideal_epochs(epochs, min_resource, eta) / epochs
    n = math.floor(math.log(epochs / min_resource, eta)) + 1
    shares = [math.ceil(n * eta ** (n - 1 - b) / (n - b)) for b in range(n)]
    return sum(share * ideal_epochs(epochs, min_resource, eta, b) for b, share in enumerate(shares)) / (
        sum(shares) * epochs)


def ideal(epochs_list: list[int]) -> None:
    """The best any pruner setting can do (no training): a table of ideal epoch ratios."""
    print("ideal epochs ratio against no pruning (one in eta promoted at every rung); goal <= 0.33")
    for epochs in epochs_list:
        for pruner in ("hyperband", "successive_halving"):
            cells = [f"min {m}, eta {e}: {ideal_ratio(epochs, m, e, pruner):.2f}"
                     for m in (1, 2, 3) for e in (2, 3, 4, 9) if m * e <= epochs]
            print(f"  {epochs} epochs, {pruner}: " + "; ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["efficiency", "hyperband", "ideal", "workers", "page"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="efficiency: seeds first-seed, first-seed+1, ...")
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=27, help="hyperband: epochs a trial (9: a short budget)")
    parser.add_argument("--pruners", default="hyperband", help="hyperband: pruners set against none")
    parser.add_argument("--min-resource", type=int, default=1)
    parser.add_argument("--reduction-factor", type=int, default=3)
    parser.add_argument("--samplers", default="tpe,gp", help="efficiency: samplers set against random")
    parser.add_argument("--startup", type=int, default=None, help="efficiency: start-up trials (default: GP 5, TPE 10)")
    parser.add_argument("--univariate", action="store_true", help="efficiency: TPE without multivariate")
    parser.add_argument("--trial-epochs", type=int, default=None,
                        help="efficiency, workers: epochs a trial (default 5 for efficiency: one epoch is 6 steps at "
                             "batch size 256, and ranks step counts more than models; 1 for workers)")
    parser.add_argument("--torch-threads", choices=["one", "share"], default="one",
                        help="workers: OMP_NUM_THREADS=1 for every job, or none set (each job its worker's share)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="workers: rounds of a one-worker then a two-worker sweep, taken in turn")
    parser.add_argument("--model", choices=["tiny", "digits_cnn"], default="tiny",
                        help="workers: the trials' graph (tiny: the overhead dominates; digits_cnn: training does)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    if args.what == "efficiency":
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        efficiency(seeds, args.budget, args.samplers.split(","), args.startup, not args.univariate, args.trial_epochs or 5)
    elif args.what == "hyperband":
        hyperband(args.trials or 36, args.epochs, args.pruners.split(","), args.min_resource,
                  args.reduction_factor)
    elif args.what == "ideal":
        ideal([9, 27])
    elif args.what == "workers":
        from bench_tune_service import workers
        workers(args.trials or 6, args.trial_epochs or 1, args.model, args.torch_threads, args.repeats)
    else:
        from bench_tune_service import page
        page(args.trials or 10_000)


if __name__ == "__main__":
    main()
