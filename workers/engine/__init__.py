"""Netweave's engine: pure PyTorch (no Django, no Celery).

Usable on its own, e.g. from a notebook: ``compile_graph(spec) -> torch.fx.GraphModule``.
"""
