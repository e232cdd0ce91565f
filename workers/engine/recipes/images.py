"""Image grids as artifacts: generated samples, reconstructions beside their inputs.

An artifact is a JSON document stored by the service, so a grid travels as a
small PNG in base64 (``{"png": ..., "width", "height", "rows", "columns",
"caption"}``); the run page shows it as an ``<img>``.
"""
from __future__ import annotations

import base64
import io
from typing import Any

import torch
from torchvision.utils import make_grid


def grid_png(images: torch.Tensor, *, columns: int, value_range: tuple[float, float] = (0.0, 1.0),
             upscale_to: int = 32, caption: str = "") -> dict[str, Any]:
    """``images`` (N, C, H, W) with C in {1, 3} as one PNG grid (each tile upscaled to at least
    ``upscale_to`` pixels so 8x8 digits stay visible)."""
    from PIL import Image

    images = images.detach().float().cpu()
    if images.shape[1] not in (1, 3):
        images = images[:, :1]  # a many-channel output (e.g. U-Net classes): its first channel
    lo, hi = value_range
    images = ((images - lo) / (hi - lo)).clamp(0, 1)
    factor = max(1, -(-upscale_to // images.shape[-1]))
    if factor > 1:
        images = torch.nn.functional.interpolate(images, scale_factor=factor, mode="nearest")
    grid = make_grid(images, nrow=columns, padding=2, pad_value=0.5)
    pixels = (grid * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    image = Image.fromarray(pixels[:, :, 0] if images.shape[1] == 1 else pixels)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return {"png": base64.b64encode(buffer.getvalue()).decode("ascii"), "width": image.width,
            "height": image.height, "columns": columns, "rows": -(-len(images) // columns),
            "caption": caption}


@torch.no_grad()
def reconstructions(model: torch.nn.Module, split, device: torch.device, count: int = 8) -> dict[str, Any]:
    """The first ``count`` inputs of ``split`` (top row) above the model's reconstructions (bottom row)."""
    from .ensemble import first_tensor

    x = split[0:count][0].to(device)
    was_training = model.training
    model.eval()
    out = first_tensor(model(x)).float().reshape(x.shape)
    model.train(was_training)
    return grid_png(torch.cat([x.float(), out]), columns=len(x),
                    caption="inputs (top row) and their reconstructions (bottom row)")
