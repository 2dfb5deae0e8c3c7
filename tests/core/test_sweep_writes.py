"""The reminder sweeps write each batch's notifications at once (notify_many): a few queries per
batch whatever they send, the same reminders whatever the batch size, and nothing the second
time."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.models import Notification
from monitoring.models import ActionItem, MonitoringVisit
from monitoring.services import reminders_send
from payments.models import SiteInvoice
from payments.services import payment_reminders_send
from queries.models import DataQuery
from queries.services import data_query_send_aging_reminders
from regulatory.models import DocumentVersion
from regulatory.services import document_expiry_remind
from safety.models import AdverseEvent
from safety.services import sae_escalate
from trials.models import StudySite, SubjectVisit
from trials.services import subject_visit_send_due_reminders

pytestmark = pytest.mark.django_db

# Each sweep's queries when all its rows fit in one batch: its reads, the recipients of the
# batch, and two statements to write the batch's notifications, per kind of reminder.
SWEEPS = {
    "monitoring": (reminders_send, 25),
    "payments": (payment_reminders_send, 19),
    "queries": (data_query_send_aging_reminders, 7),
    "regulatory": (document_expiry_remind, 4),
    "safety": (sae_escalate, 10),
    "trials": (subject_visit_send_due_reminders, 4),
}


def _count(result) -> int:
    return sum(result.values()) if isinstance(result, dict) else result


def _run_all() -> tuple[dict[str, int], list[str]]:
    """Every sweep once, inside a transaction that is rolled back; what each sent, and the keys."""
    with transaction.atomic():
        sent = {name: _count(sweep()) for name, (sweep, _) in SWEEPS.items()}
        keys = sorted(
            Notification.objects.exclude(dedupe_key__startswith="bench:").values_list(
                "dedupe_key", flat=True
            )
        )
        transaction.set_rollback(True)
    return sent, keys


def test_a_sweep_writes_in_a_few_queries_whatever_it_sends(settings):
    call_command("seed_scale", scale=0.01)
    settings.SWEEP_BATCH_SIZE = 10_000
    ContentType.objects.get_for_models(  # cached in a running worker
        MonitoringVisit, ActionItem, SiteInvoice, StudySite, DataQuery, DocumentVersion
    )
    ContentType.objects.get_for_models(AdverseEvent, SubjectVisit)
    sent = {}
    for name, (sweep, queries) in SWEEPS.items():
        with CaptureQueriesContext(connection) as first:
            sent[name] = _count(sweep())
        with CaptureQueriesContext(connection) as second:
            assert _count(sweep()) == 0, name
        assert len(first) <= queries, (name, sent[name], len(first))
        assert len(second) <= queries, name
    assert all(sent.values()), sent  # the 1% bench data gives every sweep something to send
    # One notification at a time cost about five statements each; a batch costs a few in all.
    assert sum(sent.values()) > 5 * sum(queries for _, queries in SWEEPS.values())


def test_sweeps_send_the_same_reminders_whatever_the_batch_size(settings):
    call_command("seed_scale", scale=0.01)

    settings.SWEEP_BATCH_SIZE = 10_000
    whole = _run_all()
    settings.SWEEP_BATCH_SIZE = 25
    in_batches = _run_all()

    assert in_batches == whole
    sent, keys = whole
    assert len(keys) == sum(sent.values()) > 0
    assert mail.outbox == []  # rolled back: no email was queued for commit
