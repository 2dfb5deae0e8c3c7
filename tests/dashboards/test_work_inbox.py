"""The work inbox: providers scoped per tenant with constant queries, and the page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import inbox as monitoring_inbox
from monitoring.models import VisitStatus
from queries import inbox as query_inbox
from safety import inbox as safety_inbox
from tests.factories.monitoring import visit_at
from tests.factories.queries import DataQueryFactory
from tests.factories.safety import SeriousAdverseEventFactory
from tests.factories.trials import study_update
from trials import inbox as trials_inbox

URL = reverse("work_inbox")


def _fill(tenant, n: int) -> None:
    for _ in range(n):
        visit_at(tenant, VisitStatus.PLANNED)
        DataQueryFactory(subject=tenant.subject, raised_by=tenant.cra)
        SeriousAdverseEventFactory(
            subject=tenant.subject, recorded_by=tenant.coordinator, awareness_at=timezone.now()
        )
        study_update(tenant, study_sites=[tenant.study_site])


PROVIDERS = [
    (monitoring_inbox.site_items, "visit_confirm"),
    (query_inbox.site_items, "query_answer"),
    (safety_inbox.site_items, "sae_clock"),
    (trials_inbox.site_items, "study_update"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("provider", "kind"), PROVIDERS)
def test_site_provider_sees_own_tenant_only(tenant, other_tenant, provider, kind):
    _fill(tenant, 1)
    mine = provider(tenant.coordinator)
    assert [i.kind for i in mine if i.kind == kind]
    assert {i.cro_name for i in mine} == {tenant.cro.name}
    assert provider(other_tenant.coordinator) == []


@pytest.mark.django_db
@pytest.mark.parametrize(("provider", "kind"), PROVIDERS)
def test_site_provider_query_budget_is_constant(
    tenant, provider, kind, django_assert_max_num_queries
):
    _fill(tenant, 2)
    with django_assert_max_num_queries(6) as small:
        assert len(provider(tenant.coordinator)) >= 2
    _fill(tenant, 13)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(provider(tenant.coordinator)) >= 15


@pytest.mark.django_db
def test_cro_providers_scoped(tenant, other_tenant):
    query = DataQueryFactory(subject=tenant.subject, raised_by=tenant.cra, status="answered")
    rows = query_inbox.cro_items(tenant.cra)
    assert [r.key for r in rows] == [f"queries.query_review:{query.pk}"]
    assert query_inbox.cro_items(other_tenant.cra) == []
    assert monitoring_inbox.cra_items(other_tenant.cra) == []


@pytest.mark.django_db
def test_page_lists_items_most_urgent_first_with_cro_and_study(client, tenant, other_tenant):
    _fill(tenant, 1)
    _fill(other_tenant, 1)
    client.force_login(tenant.coordinator)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert tenant.cro.name in html and tenant.study.protocol_number in html
    assert other_tenant.study.protocol_number not in html
    # The running SAE clock (urgent) comes before the visit to confirm.
    assert html.index("Report SAE") < html.index("Confirm the Interim")
    assert "Waiting on you" not in html  # that card is on the dashboard
    # The dashboards and the navigation load the number from the count endpoint.
    assert ">4</span>" in client.get(reverse("work_inbox_count")).content.decode()


@pytest.mark.django_db
def test_page_filters_by_kind_study_cro_and_due(client, tenant):
    _fill(tenant, 1)
    client.force_login(tenant.coordinator)
    html = client.get(URL, {"kind": "query_answer"}).content.decode()
    assert "Answer the query" in html and "Report SAE" not in html
    html = client.get(URL, {"study": "0"}).content.decode()
    assert "Nothing matches these filters" in html
    html = client.get(URL, {"cro": str(tenant.cro.pk), "due": "none"}).content.decode()
    assert "Answer the query" in html and "Confirm the Interim" not in html
    html = client.get(URL, {"due": "week"}).content.decode()
    assert "Report SAE" in html and "Answer the query" not in html


@pytest.mark.django_db
def test_mark_read_in_place_updates_the_row(client, tenant):
    update = study_update(tenant, study_sites=[tenant.study_site], confirmation_required=False)
    recipient = update.recipients.get()
    client.force_login(tenant.coordinator)
    html = client.get(URL).content.decode()
    action = reverse(
        "study_update_recipient_read", kwargs={"study_update_recipient_id": recipient.pk}
    )
    assert f'hx-post="{action}"' in html
    assert client.post(action, headers={"HX-Request": "true"}).status_code == 200
    row = client.get(
        URL, {"row": f"trials.study_update:{recipient.pk}"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Done" in row and "<html" not in row
    recipient.refresh_from_db()
    assert recipient.read_at is not None
    assert update.title not in client.get(URL).content.decode()


@pytest.mark.django_db
def test_confirm_visit_in_place(client, tenant):
    visit = visit_at(tenant, VisitStatus.PLANNED)
    client.force_login(tenant.coordinator)
    action = reverse("monitoring_visit_confirm", kwargs={"monitoring_visit_id": visit.pk})
    assert action in client.get(URL).content.decode()
    client.post(action, headers={"HX-Request": "true"})
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CONFIRMED
    row = client.get(
        URL, {"row": f"monitoring.visit:{visit.pk}"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "No longer waiting on you" in row


@pytest.mark.django_db
def test_outsider_cannot_act_on_another_tenants_item(client, tenant, other_tenant):
    visit = visit_at(tenant, VisitStatus.PLANNED)
    client.force_login(other_tenant.coordinator)
    action = reverse("monitoring_visit_confirm", kwargs={"monitoring_visit_id": visit.pk})
    assert client.post(action).status_code == 404
    row = client.get(URL, {"row": f"monitoring.visit:{visit.pk}"}, headers={"HX-Request": "true"})
    assert "Confirm the Interim" not in row.content.decode()


@pytest.mark.django_db
def test_cra_and_finance_pages(client, tenant):
    DataQueryFactory(subject=tenant.subject, raised_by=tenant.cra, status="answered")
    client.force_login(tenant.cra)
    html = client.get(URL).content.decode()
    assert "Review the answered query" in html
    client.force_login(tenant.finance)
    assert client.get(URL).status_code == 200


@pytest.mark.django_db
def test_page_query_budget_is_constant(client, tenant, django_assert_max_num_queries):
    _fill(tenant, 2)
    client.force_login(tenant.coordinator)
    client.get(URL)
    with django_assert_max_num_queries(40) as small:
        assert client.get(URL).status_code == 200
    _fill(tenant, 13)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(URL).status_code == 200


def test_due_filter_window_is_a_week():
    from core.inbox import urgency_for

    today = dt.date(2026, 3, 1)
    assert urgency_for(dt.date(2026, 2, 28), today) == 30
    assert urgency_for(dt.date(2026, 3, 2), today) == 20
    assert urgency_for(None, today) == 10


COUNT = reverse("work_inbox_count")


@pytest.mark.django_db
def test_navigation_loads_the_count_badge_after_the_page(client, tenant):
    client.force_login(tenant.coordinator)
    html = client.get(reverse("notification_list")).content.decode()
    assert f'hx-get="{COUNT}" hx-trigger="load, inbox-changed from:body"' in html
    client.force_login(tenant.cra)
    assert f'hx-get="{COUNT}"' in client.get(reverse("notification_list")).content.decode()
    # A sponsor viewer has no work inbox, so no badge in the navigation.
    client.force_login(tenant.sponsor_viewer)
    assert f'hx-get="{COUNT}"' not in client.get(reverse("notification_list")).content.decode()


@pytest.mark.django_db
def test_count_is_a_small_badge_empty_when_nothing_waits(client, tenant):
    client.force_login(tenant.coordinator)
    empty = client.get(COUNT)
    assert empty.status_code == 200 and empty.content.decode().strip() == ""
    _fill(tenant, 1)
    client.force_login(tenant.investigator)  # another person: their own, fresh count
    body = client.get(COUNT).content.decode()
    assert body.startswith('<span class="badge') and ">4</span>" in body
    assert "<html" not in body


@pytest.mark.django_db
def test_count_is_cached_and_refreshed_after_an_in_place_action(client, tenant):
    update = study_update(tenant, study_sites=[tenant.study_site], confirmation_required=False)
    recipient = update.recipients.get()
    client.force_login(tenant.coordinator)
    assert ">1</span>" in client.get(COUNT).content.decode()
    visit_at(tenant, VisitStatus.PLANNED)
    visit_at(tenant, VisitStatus.PLANNED)
    # New work shows within the minute the count is cached, not on every page.
    assert ">1</span>" in client.get(COUNT).content.decode()
    action = reverse(
        "study_update_recipient_read", kwargs={"study_update_recipient_id": recipient.pk}
    )
    client.post(action, headers={"HX-Request": "true"})
    row = client.get(
        URL, {"row": f"trials.study_update:{recipient.pk}"}, headers={"HX-Request": "true"}
    )
    # The row refresh tells the page to reload its counts, and recounted.
    assert row["HX-Trigger"] == "inbox-changed"
    assert ">2</span>" in client.get(COUNT).content.decode()


@pytest.mark.django_db
def test_count_query_budget(client, tenant, other_tenant, django_assert_max_num_queries):
    from django.core.cache import cache

    _fill(tenant, 2)
    _fill(other_tenant, 3)
    client.force_login(tenant.coordinator)
    with django_assert_max_num_queries(40) as miss:
        assert ">8</span>" in client.get(COUNT).content.decode()
    with django_assert_max_num_queries(3):  # cached: the session, the user, the memberships
        assert ">8</span>" in client.get(COUNT).content.decode()
    cache.clear()
    _fill(tenant, 13)
    with django_assert_max_num_queries(len(miss.captured_queries)):
        assert ">60</span>" in client.get(COUNT).content.decode()
    client.force_login(other_tenant.coordinator)
    assert ">12</span>" in client.get(COUNT).content.decode()
