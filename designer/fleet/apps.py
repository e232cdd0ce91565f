from django.apps import AppConfig


class FleetConfig(AppConfig):
    name = "designer.fleet"
    label = "fleet"

    def ready(self) -> None:
        from celery.signals import worker_init, worker_process_shutdown

        from designer.fleet import heartbeat

        # Every worker process announces itself from the moment it can take a job: from
        # worker_process_init, once Celery's Django fix-up has dropped the connection pool the
        # process inherited. The fix-up connects its own handler while handling worker_init (its
        # receiver was connected when the Celery app was made, before this one), so connecting
        # ours from worker_init puts it after the fix-up's. Before it, the first announcement
        # used the inherited pool and failed ("the pool is closed", or 10 s without a
        # connection), and a new worker stayed off the fleet until its next beat.
        worker_init.connect(heartbeat.connect_announcer, weak=False)
        worker_process_shutdown.connect(heartbeat.stop, weak=False)
