"""Run inside a standalone-mode environment (SQLite, filesystem broker): make a user,
a token, a project with the tiny digits graph, and launch a training run through the
same service the API uses. Prints {"run": id, "token": key} as JSON."""
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from designer.graphs.models import Project  # noqa: E402
from designer.graphs.services import create_graph  # noqa: E402
from designer.runs.services import launch  # noqa: E402
from tests.api.documents import tiny_cnn  # noqa: E402

user = get_user_model().objects.create_user("solo", password="correct-horse-battery")
project = Project.objects.create(name="solo", owner=user)
graph = create_graph(project, "tiny", user, tiny_cnn(), "first")
run = launch(graph.head, user, dataset={"kind": "digits"},
             config={"epochs": 1, "batch_size": 128, "system_every_s": 1.0})
print(json.dumps({"run": run.pk, "token": Token.objects.create(user=user).key}))
