from django.db import migrations, models


def queued_since_created(apps, schema_editor):
    # Runs already queued were sent when they were created.
    Run = apps.get_model("runs", "Run")
    Run.objects.filter(state="queued", enqueued__isnull=True).update(enqueued=models.F("created"))


class Migration(migrations.Migration):
    """Run.enqueued: when the run's task was last sent, so the housekeeping
    sends again the task of a run left queued (a lost message)."""

    dependencies = [
        ("runs", "0002_event_data_lz4"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="enqueued",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(queued_since_created, migrations.RunPython.noop),
    ]
