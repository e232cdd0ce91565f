"""Metric points unique on (run, key, step), replacing the plain index.

A takeover after a lost worker wrote some steps twice: the duplicates are
removed (the first kept) and the summaries of the series they were in
recounted before the constraint is added.
"""
from django.db import migrations, models

DUPLICATED = """SELECT DISTINCT run_id, key FROM runs_metricpoint
                GROUP BY run_id, key, step HAVING count(*) > 1"""
DELETE = """DELETE FROM runs_metricpoint WHERE id NOT IN
            (SELECT min(id) FROM runs_metricpoint GROUP BY run_id, key, step)"""
RECOUNT = """UPDATE runs_metricsummary SET count =
             (SELECT count(*) FROM runs_metricpoint p WHERE p.run_id = %s AND p.key = %s)
             WHERE run_id = %s AND key = %s"""


def remove_duplicates(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(DUPLICATED)
        series = cursor.fetchall()
        if not series:
            return
        cursor.execute(DELETE)
        for run_id, key in series:
            cursor.execute(RECOUNT, [run_id, key, run_id, key])


class Migration(migrations.Migration):

    dependencies = [
        ("runs", "0004_run_inputs_kinds_pruned"),
    ]

    operations = [
        migrations.RunPython(remove_duplicates, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="metricpoint", name="metric_run_key_step"),
        migrations.AddConstraint(
            model_name="metricpoint",
            constraint=models.UniqueConstraint(fields=("run", "key", "step"), name="unique_metric_point"),
        ),
    ]
