"""How the original module's state_dict keys map to an imported graph's node ids.

``import_module`` records, in ``metadata.import.modules``, the module path each node came
from; ``state_dict_for_graph`` renames the original's keys with it so the compiled graph
loads them with ``strict=True``. Submodules that forward never calls (auxiliary heads) are
listed as ``dropped`` by ``unused`` and their keys left out, as the import's note says.
"""
from __future__ import annotations

from torch import nn

from ..schema import GraphError, error


def unused(module: nn.Module, used: set[str]) -> list[str]:
    """The outermost submodules whose weights no imported node holds: heads that the traced
    forward never calls (GoogLeNet's and Inception v3's auxiliary classifiers in eval)."""
    def covered(key: str) -> bool:
        parts = key.split(".")
        return any(".".join(parts[:cut]) in used for cut in range(len(parts), 0, -1))

    keys = list(module.state_dict())
    loose = {k for k in keys if not covered(k)}
    out: list[str] = []
    for key in sorted(loose):
        parts = key.split(".")[:-1]
        for cut in range(1, len(parts) + 1):  # the shortest prefix holding only loose keys
            prefix = ".".join(parts[:cut]) + "."
            if all(k in loose for k in keys if k.startswith(prefix)):
                if prefix[:-1] not in out:
                    out.append(prefix[:-1])
                break
    return out


def state_dict_for_graph(doc: dict, state_dict: dict) -> dict:
    """The original module's ``state_dict`` with its keys renamed to the imported graph's
    node ids (``layer1.0.conv1.weight`` -> ``layer1_0_conv1.weight``), for
    ``compiled.load_state_dict(..., strict=True)``. Raises GraphError for a key that
    belongs to no node (a submodule that forward never calls)."""
    meta = (doc.get("metadata") or {}).get("import") or {}
    by_path = {path: node_id for node_id, path in (meta.get("modules") or {}).items()}
    dropped = tuple(f"{path}." for path in meta.get("dropped") or ())
    out, orphans = {}, []
    for key, value in state_dict.items():
        if key.startswith(dropped):  # an auxiliary head the graph left out, as noted
            continue
        parts = key.split(".")
        for cut in range(len(parts), 0, -1):  # the whole key: a Parameter node's tensor
            node_id = by_path.get(".".join(parts[:cut]))
            if node_id is not None:
                out[".".join([node_id, *parts[cut:]])] = value
                break
        else:
            orphans.append(key)
    if orphans:
        raise GraphError([error(f"the state_dict key {key!r} belongs to no imported node "
                                f"(its module is never called in forward)") for key in
                          orphans[:20]])
    return out
