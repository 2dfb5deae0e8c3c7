"""Sweeps and exports hold one batch of rows at a time (issue 8, memory): the batching helper,
and the sweeps that use it sending exactly the same reminders whatever the batch size."""

import pytest
from django.core.management import call_command
from django.db import transaction

from core.db import batches
from core.models import Notification
from monitoring.services import reminders_send
from regulatory.services import document_expiry_remind
from trials.models import SubjectVisit

pytestmark = pytest.mark.django_db


def test_batches_cover_every_row_once_in_order_and_never_more_than_the_size():
    call_command("seed_scale", scale=0.0005)
    visits = SubjectVisit.objects.order_by("pk")

    seen = [list(batch) for batch in batches(visits, size=64)]

    assert max(len(batch) for batch in seen) == 64
    assert [v.pk for batch in seen for v in batch] == list(visits.values_list("pk", flat=True))


def _sweep() -> tuple[dict, int, list[str]]:
    with transaction.atomic():
        monitoring = reminders_send()
        expiring = document_expiry_remind()
        keys = sorted(
            Notification.objects.exclude(dedupe_key__startswith="bench:").values_list(
                "dedupe_key", flat=True
            )
        )
        transaction.set_rollback(True)
    return monitoring, expiring, keys


def test_sweeps_send_the_same_reminders_whatever_the_batch_size(settings):
    call_command("seed_scale", scale=0.0005)

    whole = _sweep()
    settings.SWEEP_BATCH_SIZE = 2
    in_pairs = _sweep()

    assert in_pairs == whole
    monitoring, expiring, _ = whole
    assert sum(monitoring.values()) > 0
    assert expiring > 0
