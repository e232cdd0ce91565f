"""A sweep's trials: one row per Optuna trial, with the child run that trained it.

The sweep itself is a Run of kind ``tune`` (its config: base training config,
search space, objectives, sampler, pruner, budget); the Optuna study, in the
same database, is what the sampler learns from. These rows are the service's
record of each trial (for the trials table of 10,000 rows without loading the
study) and the guard against running a trial twice: (sweep, number) is unique
and a trial's run is created in the same transaction as its row.
"""
from __future__ import annotations

from django.db import models


class TrialState(models.TextChoices):
    RUNNING = "running", "Running"  # its run is queued or running
    COMPLETE = "complete", "Complete"
    PRUNED = "pruned", "Pruned"
    FAIL = "fail", "Failed"


class Trial(models.Model):
    sweep = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="trials")
    # Optuna's trial number in the sweep's study (0, 1, ...).
    number = models.IntegerField()
    # The train run of this trial; none when its params gave an invalid graph or config.
    run = models.OneToOneField("runs.Run", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="trial")
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=TrialState.choices, default=TrialState.RUNNING)
    # One value per objective, in the sweep's order; null until complete.
    values = models.JSONField(null=True, blank=True)
    # params / flops / memory of the trial's graph (its validation report's totals).
    totals = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # The last epoch a pruned trial reported.
    pruned_epoch = models.IntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["sweep", "number"], name="unique_trial_number")]

    def __str__(self) -> str:
        return f"trial {self.number} of sweep {self.sweep_id} ({self.state})"
