"""The shapes of the dashboards' and series' answers, for the OpenAPI schema.

The views build these answers as plain dicts (or JSON text from the database)
for speed; these serializers only describe them, so that /api/schema/ is
complete and the editor's types are generated from it
(frontend/src/api/schema.ts). docs/contracts.md section 6 says the same in prose.
"""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers as s

from designer.core.openapi import ErrorItem
from designer.runs.models import RunState
from designer.runs.serializers import CheckpointSerializer, SummarySerializer

GOALS = ("min", "max", "none")
X_AXES = ("step", "time")


def numbers(**kwargs) -> s.ListField:
    return s.ListField(child=s.FloatField(allow_null=True), **kwargs)


class SeriesLine(s.Serializer):
    key = s.CharField()
    count = s.IntegerField(help_text="points stored for this key (before downsampling)")
    step = s.ListField(child=s.IntegerField())
    value = s.ListField(child=s.FloatField())
    time = s.ListField(child=s.FloatField(), required=False,
                       help_text="Unix seconds; always from GET /api/series, only with x=time from compare")


class RunSeriesOf(s.Serializer):
    run = s.IntegerField()
    series = SeriesLine(many=True)


class ManySeriesAnswer(s.Serializer):
    x = s.ChoiceField(X_AXES)
    runs = RunSeriesOf(many=True)


class MetricColumn(s.Serializer):
    key = s.CharField()
    goal = s.ChoiceField(GOALS, help_text="which way is better; none for a setting such as the learning rate")


class TableRow(s.Serializer):
    id = s.IntegerField()
    name = s.CharField()
    state = s.ChoiceField(RunState.choices)
    kind = s.CharField()
    graph = s.IntegerField()
    graph_name = s.CharField()
    graph_version = s.IntegerField()
    version = s.IntegerField()
    dataset = s.CharField(help_text="an upload's name, a built-in's kind")
    queue = s.CharField()
    devices = s.IntegerField()
    created = s.DateTimeField()
    started = s.DateTimeField(allow_null=True)
    finished = s.DateTimeField(allow_null=True)
    duration = s.FloatField(allow_null=True, help_text="seconds")
    created_by = s.CharField(allow_null=True)
    tags = s.ListField(child=s.CharField())
    notes = s.CharField(allow_blank=True)
    hp = s.DictField(child=s.JSONField(), help_text="hyperparameter name → value")
    best = s.DictField(child=s.FloatField())
    last = s.DictField(child=s.FloatField())


class RunsTableAnswer(s.Serializer):
    count = s.IntegerField()
    offset = s.IntegerField()
    limit = s.IntegerField()
    sort = s.CharField()
    metrics = MetricColumn(many=True)
    hparams = s.ListField(child=s.CharField())
    rows = TableRow(many=True)


class NodeRef(s.Serializer):
    id = s.CharField()
    op = s.CharField()


class ChangedNode(NodeRef):
    params = s.DictField(child=s.ListField(child=s.JSONField()), required=False,
                         help_text="param → [old, new]")
    op_changed = s.ListField(child=s.CharField(), required=False)
    repeat = s.ListField(child=s.JSONField(), required=False)


class GraphDiff(s.Serializer):
    nodes_added = NodeRef(many=True)
    nodes_removed = NodeRef(many=True)
    nodes_changed = ChangedNode(many=True)
    edges_added = s.ListField(child=s.DictField(child=s.CharField()))
    edges_removed = s.ListField(child=s.DictField(child=s.CharField()))
    variables_changed = s.DictField(child=s.ListField(child=s.JSONField()))
    blocks_changed = s.ListField(child=s.CharField(), required=False)


class CompareRun(s.Serializer):
    id = s.IntegerField()
    name = s.CharField()
    state = s.ChoiceField(RunState.choices)
    project = s.IntegerField()
    graph = s.IntegerField()
    graph_name = s.CharField()
    graph_version = s.IntegerField()
    version = s.IntegerField()
    dataset = s.CharField()
    steps_per_epoch = s.FloatField(allow_null=True)
    series = SeriesLine(many=True)


class CompareMetric(s.Serializer):
    key = s.CharField()
    goal = s.ChoiceField(GOALS)
    best = numbers()
    last = numbers()


class Hparam(s.Serializer):
    name = s.CharField()
    values = s.ListField(child=s.JSONField())


class ArchitectureVersion(s.Serializer):
    graph_version = s.IntegerField()
    graph = s.IntegerField()
    graph_name = s.CharField()
    version = s.IntegerField()
    runs = s.ListField(child=s.IntegerField())
    diff = GraphDiff(allow_null=True)


class Architecture(s.Serializer):
    base_run = s.IntegerField()
    base_version = s.IntegerField()
    versions = ArchitectureVersion(many=True)


class CompareAnswer(s.Serializer):
    x = s.ChoiceField(X_AXES)
    keys = s.ListField(child=s.CharField())
    runs = CompareRun(many=True)
    metrics = CompareMetric(many=True)
    hparams = Hparam(many=True)
    architecture = Architecture()


class ConfusionMatrix(s.Serializer):
    kind = s.CharField()
    step = s.IntegerField(allow_null=True)
    data = s.ListField(child=s.ListField(child=s.IntegerField()), help_text="rows: true class")
    labels = s.ListField(child=s.CharField(), allow_null=True)


class PerClassScores(s.Serializer):
    labels = s.ListField(child=s.CharField())
    precision = s.ListField(child=s.FloatField())
    recall = s.ListField(child=s.FloatField())
    f1 = s.ListField(child=s.FloatField())
    support = s.ListField(child=s.IntegerField())


class PerClass(s.Serializer):
    kind = s.CharField()
    step = s.IntegerField(allow_null=True)
    data = PerClassScores()


class CalibrationBins(s.Serializer):
    lower = s.ListField(child=s.FloatField())
    upper = s.ListField(child=s.FloatField())
    count = s.ListField(child=s.IntegerField())
    accuracy = s.ListField(child=s.FloatField())
    confidence = s.ListField(child=s.FloatField())
    ece = s.FloatField(help_text="expected calibration error")


class Calibration(s.Serializer):
    """An evaluation's reliability diagram: per confidence bin, its size, accuracy and mean confidence."""

    kind = s.CharField()
    step = s.IntegerField(allow_null=True)
    data = CalibrationBins()


class ModelNode(s.Serializer):
    id = s.CharField()
    op = s.CharField()
    params = s.IntegerField(allow_null=True)
    flops = s.IntegerField(allow_null=True)
    memory = s.IntegerField(allow_null=True)
    output = s.ListField(child=s.IntegerField(allow_null=True), allow_null=True)


class ModelSummary(s.Serializer):
    ok = s.BooleanField()
    totals = s.DictField(child=s.IntegerField(), help_text="params, flops, memory")
    nodes = ModelNode(many=True)
    errors = ErrorItem(many=True)


class EnsembleMember(s.Serializer):
    run = s.IntegerField()
    name = s.CharField()
    test_accuracy = s.FloatField()
    test_loss = s.FloatField()
    test_f1 = s.FloatField()
    weight = s.FloatField(help_text="its weight in the weighted method (fitted on the validation split)")


class EnsembleData(s.Serializer):
    method = s.CharField()
    members = EnsembleMember(many=True)
    methods = s.DictField(child=s.DictField(child=s.FloatField()), help_text="each method's test metrics")
    best_member_test_accuracy = s.FloatField()


class Ensemble(s.Serializer):
    """An ensemble run's members and methods (docs/contracts.md section 7)."""

    kind = s.CharField()
    step = s.IntegerField(allow_null=True)
    data = EnsembleData()


class ImageGridData(s.Serializer):
    png = s.CharField(help_text="a PNG, base64")
    width = s.IntegerField()
    height = s.IntegerField()
    rows = s.IntegerField()
    columns = s.IntegerField()
    caption = s.CharField(allow_blank=True)


class ImageGrid(s.Serializer):
    """A recipe's image grid: a GAN's samples or an autoencoder's reconstructions."""

    kind = s.CharField()
    step = s.IntegerField(allow_null=True)
    data = ImageGridData()


class CompressRatios(s.Serializer):
    params = s.FloatField(allow_null=True)
    flops = s.FloatField(allow_null=True)
    file = s.FloatField()
    latency_b1 = s.FloatField()
    latency_b64 = s.FloatField()


class CompressRow(s.Serializer):
    """One model of a compress run's report, measured like the others (docs/contracts.md section 3)."""

    model = s.CharField(help_text="source, pruned, sparse, fp16, bf16, int8_static, int8_qat, int8_dynamic")
    metrics = s.DictField(child=s.FloatField())
    params = s.IntegerField()
    flops = s.IntegerField(allow_null=True)
    file_bytes = s.IntegerField()
    latency_b1_ms = s.FloatField()
    latency_b64_ms = s.FloatField()
    notes = s.ListField(child=s.CharField())
    extra = s.DictField()
    ratios = CompressRatios()


class CompressReportData(s.Serializer):
    metric = s.CharField(help_text="the row's headline metric: accuracy, or loss; <metric>_change is its change")
    rows = CompressRow(many=True)


class CompressReport(s.Serializer):
    kind = s.CharField()
    step = s.IntegerField(allow_null=True)
    data = CompressReportData()


class ProducedVersionData(s.Serializer):
    graph = s.IntegerField()
    version = s.IntegerField()
    version_id = s.IntegerField()
    source_version = s.IntegerField()
    source_version_id = s.IntegerField()


class ProducedVersion(s.Serializer):
    """The graph version a run's model became (a compress run with structured pruning)."""

    kind = s.CharField()
    step = s.IntegerField(allow_null=True)
    data = ProducedVersionData()


class InsightsAnswer(s.Serializer):
    run = s.IntegerField()
    state = s.ChoiceField(RunState.choices)
    confusion_matrix = ConfusionMatrix(allow_null=True)
    per_class = PerClass(allow_null=True)
    calibration = Calibration(allow_null=True)
    ensemble = Ensemble(allow_null=True)
    images = ImageGrid(many=True)
    system = SummarySerializer(many=True)
    model = ModelSummary()
    checkpoints = CheckpointSerializer(many=True)
    compress_report = CompressReport(allow_null=True)
    produced_version = ProducedVersion(allow_null=True)


def query(name: str, help_text: str, type_=str) -> OpenApiParameter:
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, required=False, description=help_text)


SERIES_PARAMS = [
    query("keys", "comma-separated metric keys (train/loss,val/accuracy); all when left out"),
    query("points", "at most this many points a line (4 to 10,000; default 1,000)", int),
    OpenApiParameter("x", str, OpenApiParameter.QUERY, required=False, enum=list(X_AXES),
                     description="step (default) or time"),
]
SERIES_FORMAT = OpenApiParameter("format", str, OpenApiParameter.QUERY, required=False, enum=["json", "csv"],
                                 description="json (default): downsampled lines; csv: every stored point "
                                             "(run,key,step,value,time; points and x do not apply)")
RUNS_PARAM = OpenApiParameter("runs", str, OpenApiParameter.QUERY, required=True,
                              description="comma-separated run ids")
TABLE_PARAMS = [
    query("sort", "id|name|state|created|started|finished|graph|version|duration, best:<key>, "
                  "last:<key> or hp:<dotted.name>; '-' for descending"),
    query("state", "comma list of states"), query("graph", "graph id", int), query("tag", "a tag"),
    query("q", "search name, notes, tags, graph name and #id"),
    query("offset", "first row", int), query("limit", "rows (up to 5,000)", int),
]
CSV = {(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV text")}
FILE = {(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="the file")}
