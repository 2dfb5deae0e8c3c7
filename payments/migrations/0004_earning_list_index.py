"""An index in the earnings list's order (newest event first). At full bench scale a finance
user sees about 400,000 earnings; without it the API's first page sorted all of them (184 ms),
with it the page is read from the index (issue 8, the speed budget).

Built CONCURRENTLY so that the table stays writable while it builds."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("payments", "0003_invoice_and_run_list_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="earning",
            index=models.Index(fields=["event_date", "id"], name="earning_event_date_idx"),
        ),
    ]
