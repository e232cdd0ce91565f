"""The JSON parser every API view uses: DRF's, with nesting too deep for Python a 400.

json's decoder recurses once per level and raises RecursionError (not the
ValueError DRF turns into a 400) for a body like [[[[...]]]] 10,000 deep.
"""
from __future__ import annotations

from rest_framework.parsers import JSONParser as DRFJSONParser

from designer.core.errors import InputProblem, error


class JSONParser(DRFJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise InputProblem([error("the JSON body is nested too deeply to read; real documents "
                                      "stay under a few dozen levels", field="body")]) from None
