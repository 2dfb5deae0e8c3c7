"""Indexes for the query list's default order (newest first) and the "Queries to answer"
panel (open or re-opened, longest waiting first): both read the first rows from an index
instead of sorting every visible query (issue 8, the speed budget).

Built CONCURRENTLY so that a large table stays writable while they build."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("queries", "0001_initial"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="dataquery",
            index=models.Index(fields=["raised_at", "id"], name="data_query_raised_idx"),
        ),
        AddIndexConcurrently(
            model_name="dataquery",
            index=models.Index(
                condition=models.Q(("status__in", ("open", "reopened"))),
                fields=["waiting_since", "id"],
                name="data_query_site_waiting_idx",
            ),
        ),
    ]
