"""An index in the monitoring visit list's default order (planned date, newest first): the
first page is read from it instead of sorting every visible visit (issue 8, the speed budget).

Built CONCURRENTLY so that the table stays writable while it builds."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("monitoring", "0001_initial"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="monitoringvisit",
            index=models.Index(fields=["planned_at", "id"], name="monitoring_visit_planned_idx"),
        ),
    ]
