"""Large JSON answers (5,000 table rows, 100 runs' series) encoded with orjson: DRF's
json.dumps spent ~300 ms on the compare answer alone. numpy arrays (the series'
columns) are written as JSON arrays."""
from __future__ import annotations

import orjson
from django.http import HttpResponse


def json_response(data) -> HttpResponse:
    return HttpResponse(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), content_type="application/json")
