"""Large answers: JSON encoded with orjson (DRF's json.dumps spent ~300 ms on the compare
answer alone; numpy arrays, the series' columns, are written as JSON arrays) and CSV
streamed row by row (a project of 50,000 runs or a series of millions of points is never
held in memory)."""
from __future__ import annotations

import csv

import orjson
from django.http import HttpResponse, StreamingHttpResponse


def json_response(data) -> HttpResponse:
    return HttpResponse(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), content_type="application/json")


class _Echo:
    def write(self, value):
        return value


def csv_response(rows, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
