"""Datasets uploaded to a project (built-ins live in the engine's registry)."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models

UPLOAD_KINDS = ("csv", "image_zip", "npz")


class Dataset(models.Model):
    project = models.ForeignKey("graphs.Project", on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=[(k, k) for k in UPLOAD_KINDS])
    # Relative to MEDIA_ROOT; the name is generated, never the uploader's.
    file = models.CharField(max_length=500)
    original_name = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField()
    options = models.JSONField(default=dict, blank=True)
    # What the engine said when it checked the file: task, input_shape,
    # num_classes, sizes... so listing and binding never reload the data.
    description = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def path(self) -> Path:
        return Path(settings.MEDIA_ROOT) / self.file

    def spec(self) -> dict:
        """The engine's dataset spec for a job (docs/contracts.md section 3)."""
        return {"kind": self.kind, "path": str(self.path), "options": dict(self.options), "upload": self.pk}
