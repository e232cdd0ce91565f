"""Checking a launch before a run row exists: kind, config, inputs, dataset, graph, resources.

Every problem comes back as a 400 listing errors in the shared shape, with
the node (graph, binding) or the field (config.optimizer.lr, inputs[0].run,
dataset.kind) it belongs to, so the launch form can show each one where it
belongs. Nothing here knows a kind by name: what a kind takes (its config
model, how many input runs, whether it runs distributed) comes from the
engine's job registry.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from designer.core import store
from designer.core.errors import InputProblem, error
from designer.datasets import services as datasets
from designer.graphs import engine
from designer.graphs.models import GraphVersion
from designer.runs.models import Run, RunState
from designer.runs.queues import Queue

MAX_DEVICES = 64
MAX_NODES = 64
CHECKPOINTS = ("best", "last")


@dataclass(frozen=True)
class Launch:
    dataset: dict
    config: dict
    inputs: list[dict]


def job_kind(kind):
    """The engine's registered kind, or a 400 on `kind` listing the known ones."""
    from workers.engine.jobs import JobError, get_job

    try:
        return get_job(kind)
    except JobError as exc:
        raise InputProblem(exc.errors) from None


def check_config(kind, config) -> dict:
    from workers.engine.train import ConfigError

    if config is not None and not isinstance(config, dict):
        raise InputProblem([error("config must be an object", field="config")])
    try:
        return kind.parse_config(config).model_dump(mode="json")
    except ConfigError as exc:
        raise InputProblem([{**e, "field": f"config.{e['field']}" if e.get("field") else "config"}
                            for e in exc.errors]) from None


def check_resources(kind, devices: int, queue: str, nodes: int = 1) -> None:
    problems = []
    if not 1 <= devices <= MAX_DEVICES:
        problems.append(error(f"devices must be between 1 and {MAX_DEVICES}", field="devices"))
    elif devices > 1 and not kind.distributed:
        problems.append(error(f"{kind.kind!r} jobs run as one process; ask for 1 device", field="devices"))
    if not 1 <= nodes <= MAX_NODES:
        problems.append(error(f"nodes must be between 1 and {MAX_NODES}", field="nodes"))
    elif nodes > 1 and not kind.distributed:
        problems.append(error(f"{kind.kind!r} jobs run on one worker; ask for 1 node", field="nodes"))
    if queue not in Queue.names():
        problems.append(error(f"queue must be one of {', '.join(Queue.names())}", field="queue"))
    if problems:
        raise InputProblem(problems)


def check_capacity(queue: str, devices: int, device: str | None) -> None:
    """A run that needs GPUs is refused while no live worker on its queue has that many.

    Read from the workers' own announcements (designer/fleet): a run must never
    wait for a GPU nobody has, nor train on the CPU in silence."""
    if queue != Queue.GPU and device != "cuda":
        return
    from designer.fleet.services import workers_serving

    most = max((len(w.devices.get("gpus") or []) for w in workers_serving(queue)), default=0)
    if most < devices:
        have = f"the most any has is {most}" if most else "none has a GPU"
        raise InputProblem([error(
            f"this run needs {devices} GPU(s) but of the workers serving queue {queue!r} now {have}: "
            f"start a GPU worker on that queue (docker compose's worker-gpu), ask for fewer devices, "
            f"or launch on the cpu queue with device 'auto' or 'cpu'", field="queue")])


def check_nodes(queue: str, nodes: int) -> None:
    """A multi-node run needs that many live workers on its queue at once, or it would wait for ever."""
    if nodes <= 1:
        return
    from designer.fleet.services import workers_serving

    serving = len(workers_serving(queue))
    if serving < nodes:
        raise InputProblem([error(
            f"this run needs {nodes} workers of queue {queue!r} at once but {serving} serve it now: "
            f"start more workers on that queue (one per node), or ask for fewer nodes", field="nodes")])


def parse_inputs(raw) -> list[dict]:
    """`[5, {"run": 6, "checkpoint": "last"}]` → `[{"run": 5, "checkpoint": "best"}, ...]`."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 64:
        raise InputProblem([error("inputs must be a list of at most 64 runs", field="inputs")])
    out = []
    for i, item in enumerate(raw):
        item = {"run": item} if isinstance(item, int) and not isinstance(item, bool) else item
        run_id = item.get("run") if isinstance(item, dict) else None
        if not isinstance(run_id, int) or isinstance(run_id, bool) or not 0 < run_id < 2**63:
            raise InputProblem([error("give a run id or {\"run\": id, \"checkpoint\": \"best\"}",
                                      field=f"inputs[{i}].run")])
        checkpoint = item.get("checkpoint", "best")
        if checkpoint not in CHECKPOINTS:
            raise InputProblem([error(f"checkpoint must be one of {', '.join(CHECKPOINTS)}",
                                      field=f"inputs[{i}].checkpoint")])
        out.append({"run": run_id, "checkpoint": checkpoint})
    return out


def check_inputs(kind, inputs: list[dict], project) -> list[Run]:
    """Each input a finished run of this project with the checkpoint named."""
    least, most = kind.inputs
    if not least <= len(inputs) <= most:
        wanted = f"exactly {least}" if least == most else f"between {least} and {most}"
        raise InputProblem([error(f"{kind.kind!r} takes {wanted} input runs; got {len(inputs)}",
                                  field="inputs")])
    found = Run.objects.in_bulk([i["run"] for i in inputs])
    runs = []
    for i, item in enumerate(inputs):
        run, field = found.get(item["run"]), f"inputs[{i}].run"
        if run is None or run.project_id != project.pk:
            raise InputProblem([error(f"run {item['run']} is not a run of this project", field=field)])
        if not job_kind(run.kind).checkpoints:
            raise InputProblem([error(f"run {run.pk} is {run.kind!r}: it leaves no model checkpoint to start from",
                                      field=field)])
        if run.state != RunState.SUCCEEDED:
            raise InputProblem([error(f"run {run.pk} is {run.state}; only succeeded runs can be inputs",
                                      field=field)])
        if not store.has_run_file(run.pk, f"checkpoints/{item['checkpoint']}.pt"):
            other = "last" if item["checkpoint"] == "best" else "best"
            hint = f"; use {other!r}" if store.has_run_file(run.pk, f"checkpoints/{other}.pt") else ""
            raise InputProblem([error(f"run {run.pk} has no {item['checkpoint']} checkpoint{hint}",
                                      field=f"inputs[{i}].checkpoint")])
        runs.append(run)
    return runs


def pinned_dataset(run: Run) -> tuple[dict, dict]:
    """The dataset a run used, resolved again (an upload by its id)."""
    spec = run.dataset
    if isinstance(spec, dict) and isinstance(spec.get("upload"), int):
        return datasets.resolve({"id": spec["upload"]}, run.project)
    return datasets.resolve(spec, run.project)


def check_same_data(description: dict, source: Run, source_description: dict, field: str = "dataset") -> None:
    """An input run's model only fits data with its input shape and classes."""
    mine = (description.get("input_shape"), description.get("num_classes"))
    theirs = (source_description.get("input_shape"), source_description.get("num_classes"))
    if mine != theirs:
        raise InputProblem([error(
            f"dataset {description.get('name')!r} gives input {mine[0]} with {mine[1] or 'no'} classes, but "
            f"run {source.pk} was trained on {source_description.get('name')!r} (input {theirs[0]}, "
            f"{theirs[1] or 'no'} classes): pick a dataset with the same input shape and classes",
            field=field)])


def check_graph(version: GraphVersion) -> dict:
    report = engine.call("validate_graph", version.document,
                         param_budget=settings.NETWEAVE_PARAM_BUDGET, max_nodes=settings.NETWEAVE_MAX_NODES)
    if not report.get("ok"):
        raise InputProblem(report.get("errors") or [error("the graph does not compile")],
                           detail=f"graph version {version.number} does not compile; fix it in the editor")
    return report


def check_binding(document: dict, description: dict) -> None:
    """The graph's one Input must take what the dataset gives."""
    inputs = [n for n in document.get("nodes", []) if isinstance(n, dict) and n.get("op") == "Input"]
    if len(inputs) != 1:
        raise InputProblem([error(f"a run needs exactly one Input node; the graph has {len(inputs)}",
                                  field="graph")])
    node = inputs[0]
    declared = (node.get("params") or {}).get("shape")
    wanted = description.get("input_shape")
    if declared is not None and wanted is not None and list(declared) != list(wanted):
        raise InputProblem([error(
            f"Input '{node.get('id')}' takes shape {list(declared)} but dataset "
            f"{description.get('name', '')!r} gives {list(wanted)}: set the Input's shape to {list(wanted)}",
            node=node.get("id"), field="shape")])


def check_outputs(document: dict, report: dict, description: dict, task: str | None) -> None:
    """A classifier's first Output must give one score per class of the dataset."""
    classes = description.get("num_classes")
    if (task or description.get("task")) != "classification" or not classes:
        return
    outputs = [n.get("id") for n in document.get("nodes", []) if isinstance(n, dict) and n.get("op") == "Output"]
    shape = next((e.get("shape") for e in report.get("edges", []) if outputs and e.get("target") == outputs[0]),
                 None)
    if not shape or any(d is None for d in shape[1:]):
        return  # symbolic: the job's own first forward pass checks it
    if len(shape) != 2 or shape[1] != classes:
        raise InputProblem([error(
            f"the model gives {shape[1:]} per sample but dataset {description.get('name')!r} has "
            f"{classes} classes: end with {classes} outputs", node=outputs[0], field="graph")])


def check_launch(version: GraphVersion, dataset, config, *, kind: str, devices: int, queue: str,
                 inputs=None, nodes: int = 1) -> Launch:
    """All checks, cheapest first; returns the dataset spec, full config and inputs to pin."""
    entry = job_kind(kind)
    check_resources(entry, devices, queue, nodes)
    full_config = check_config(entry, config)
    check_capacity(queue, devices, full_config.get("device"))
    check_nodes(queue, nodes)
    project = version.graph.project
    pinned = parse_inputs(inputs)
    sources = check_inputs(entry, pinned, project)
    source_data = pinned_dataset(sources[0]) if sources else None
    if dataset is None and source_data is not None:
        spec, description = source_data
    else:
        spec, description = datasets.resolve(dataset, project)
    if source_data is not None:
        check_same_data(description, sources[0], source_data[1])
    for i, source in enumerate(sources[1:], start=1):  # every input must fit the same data
        theirs = source_data[1] if source.dataset == sources[0].dataset else pinned_dataset(source)[1]
        check_same_data(description, source, theirs, field=f"inputs[{i}].run")
    report = check_graph(version)
    if entry.extra.get("binds_input", True):
        check_binding(version.document, description)
        task = full_config.get("task") or (sources[0].config.get("task") if sources else None)
        check_outputs(version.document, report, description, task)
    check_kind(entry, full_config, version.document, description)
    return Launch(dataset=spec, config=full_config, inputs=pinned)


def check_kind(kind, config: dict, document: dict, description: dict) -> None:
    """A kind's own checks of graph and data (its config model's ``check_job``), before anything runs."""
    check = getattr(kind.parse_config(config), "check_job", None)
    if check is None:
        return
    try:
        check(document, description)
    except ValueError as exc:  # JobError and the engine's other bad-input errors carry `errors`
        if not getattr(exc, "errors", None):
            raise
        raise InputProblem(exc.errors) from None
