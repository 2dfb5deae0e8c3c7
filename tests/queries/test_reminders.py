import datetime as dt

import pytest
import time_machine

from core.models import Notification
from queries import services
from queries.tasks import data_query_aging_reminders

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 4, 6, 8, 0, tzinfo=dt.UTC)


def recipients(kind: str) -> list:
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__full_name", flat=True)
    )


def run_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return data_query_aging_reminders.delay().get()


def test_the_site_hears_after_five_days_once_a_day(tenant, query_at_t0):
    assert run_at(T0 + dt.timedelta(days=4, hours=23)) == 0

    assert run_at(T0 + dt.timedelta(days=5)) == 1
    assert recipients("query.waiting_on_site") == ["Alpha Coordinator"]
    # The same day again (a retry or a second beat): nothing new.
    assert run_at(T0 + dt.timedelta(days=5, hours=6)) == 0
    # The next day: one more reminder.
    assert run_at(T0 + dt.timedelta(days=6)) == 1
    assert Notification.objects.filter(kind="query.waiting_on_site").count() == 2
    notification = Notification.objects.filter(kind="query.waiting_on_site").first()
    assert notification.url == f"/queries/{query_at_t0.pk}/"


def test_after_ten_days_site_admin_and_pi_hear_too(tenant, query_at_t0):
    tenant.study_site.principal_investigator = tenant.investigator
    tenant.study_site.save(update_fields=["principal_investigator"])

    assert run_at(T0 + dt.timedelta(days=10, hours=1)) == 3
    assert recipients("query.overdue") == [
        "Alpha Coordinator",
        "Alpha Investigator",
        "Alpha Site Admin",
    ]


def test_an_answered_query_reminds_the_raiser_and_the_site_no_longer(tenant, query_at_t0):
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        services.data_query_answer(actor=tenant.coordinator, data_query=query_at_t0, text="ok")

    assert run_at(T0 + dt.timedelta(days=5, hours=12)) == 0
    assert run_at(T0 + dt.timedelta(days=6)) == 1
    assert recipients("query.answer_to_review") == ["Alpha CRA"]
    assert recipients("query.waiting_on_site") == []


def test_resolved_queries_remind_nobody(tenant, query_at_t0):
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        services.data_query_cancel(actor=tenant.cra, data_query=query_at_t0, text="Wrong subject")
    assert run_at(T0 + dt.timedelta(days=30)) == 0


@pytest.fixture
def query_at_t0(tenant):
    with time_machine.travel(T0, tick=False):
        return services.data_query_raise(
            actor=tenant.cra,
            subject=tenant.subject,
            form_name="Labs",
            text="Potassium value missing.",
        )
