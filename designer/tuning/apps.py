from django.apps import AppConfig


class TuningConfig(AppConfig):
    name = "designer.tuning"
    label = "tuning"

    def ready(self) -> None:
        # The tune kind's hooks in the runs app: its steps and its trials' job.json.
        from designer.runs import hooks
        from designer.tuning import coordinator, services

        hooks.register("tune", hooks.KindHooks(step=coordinator.step, child_job=services.trial_job,
                                                  attempts=services.trial_attempts))
