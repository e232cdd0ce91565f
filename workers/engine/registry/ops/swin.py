"""torchvision's Swin Transformer blocks as single ops: shifted-window attention and patch
merging (v1 and v2). Their forward calls functions torch.fx cannot look into (window
partitions, masks, relative position tables), so they are layers here, built by
torchvision, with shapes from a run on the meta device. Inputs read (N, H, W, C).
"""
from __future__ import annotations

from ..core import OpSpec, register
from ..params import Bool, Float, Int, Ints
from ..shapes import ShapeError

LAYOUT = "(N, H, W, C)"


def _swin():
    from torchvision.models import swin_transformer  # loaded only when one is built
    return swin_transformer


def _attention(version: str):
    def build(p, shapes):
        cls = getattr(_swin(), f"ShiftedWindowAttention{version}")
        size = p["window_size"] if isinstance(p["window_size"], tuple) else \
            (p["window_size"],) * 2
        shift = p["shift_size"] if isinstance(p["shift_size"], tuple) else \
            (p["shift_size"],) * 2
        return cls(shapes[0][-1], list(size), list(shift), p["num_heads"], qkv_bias=p["qkv_bias"],
                   proj_bias=p["proj_bias"], attention_dropout=p["attention_dropout"],
                   dropout=p["dropout"])
    return build


def _heads(p, shapes):
    if shapes[0][-1] % p["num_heads"]:
        raise ShapeError(f"has num_heads={p['num_heads']}, which must divide the input's "
                         f"{shapes[0][-1]} channels")
    return shapes[0]


def _merging(version: str):
    def build(p, shapes):
        return getattr(_swin(), f"PatchMerging{version}")(shapes[0][-1])
    return build


def _merged(p, shapes):
    n, h, w, c = shapes[0]
    return (n, (h + 1) // 2, (w + 1) // 2, 2 * c)


for _version in ("", "V2"):
    register(OpSpec(
        name=f"SwinAttention{_version}", category="Attention",
        help=f"Swin Transformer{' v2' if _version else ''} shifted-window self-attention "
             f"over {LAYOUT} (torchvision)",
        params=(Int("num_heads", 4, "Attention heads (must divide the channels)", min=1,
                    max=1024),
                Ints("window_size", 7, "Window size (int or [h, w])", min=1, max=1024),
                Ints("shift_size", 0, "Shift of the windows (0: none)", min=0, max=1024),
                Bool("qkv_bias", True, "Bias in the query/key/value projection"),
                Bool("proj_bias", True, "Bias in the output projection"),
                Float("attention_dropout", 0.0, "Dropout on attention weights", min=0, max=1),
                Float("dropout", 0.0, "Dropout on the output", min=0, max=1)),
        build=_attention(_version), shape=_heads, rank=(4,), layout=LAYOUT,
        flops=lambda p, s, o: 0))
    register(OpSpec(
        name=f"PatchMerging{_version}", category="Attention",
        help=f"Swin{' v2' if _version else ''} patch merging: (N, H, W, C) -> "
             f"(N, H/2, W/2, 2C) (torchvision)",
        build=_merging(_version), shape=_merged, rank=(4,), layout=LAYOUT,
        flops=lambda p, s, o: 0))
