from django.apps import AppConfig


class FleetConfig(AppConfig):
    name = "designer.fleet"
    label = "fleet"

    def ready(self) -> None:
        from celery.signals import worker_process_init, worker_process_shutdown

        from designer.fleet import heartbeat

        # Every worker process announces itself from the moment it can take a job.
        worker_process_init.connect(heartbeat.start, weak=False)
        worker_process_shutdown.connect(heartbeat.stop, weak=False)
