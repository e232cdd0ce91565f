from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "designer.runs"
    label = "runs"

    def ready(self) -> None:
        from celery.signals import worker_process_init, worker_process_shutdown

        from designer.runs import warm

        # Each worker process starts its zygote at once, so that it is warm
        # by the first job (docs/contracts.md, section 3).
        worker_process_init.connect(warm.prestart, weak=False)
        worker_process_shutdown.connect(warm.shutdown, weak=False)
