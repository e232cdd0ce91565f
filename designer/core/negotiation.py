"""Views whose `?format=` is their own parameter (an export format, a CSV series), not
DRF's renderer override: they pick their answer themselves and answer errors in JSON."""
from __future__ import annotations

from rest_framework.negotiation import BaseContentNegotiation


class FormatIsOurs(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
