"""Work inbox rows of monitoring for a CRA ("my sites"): dates proposed by sites, visits held but
not recorded, their own action items and resolved ones to close — with the one-click actions."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from monitoring import inbox
from monitoring.models import ActionItem, ActionItemOwner, MonitoringVisit, VisitStatus
from tests.factories import member
from tests.factories.monitoring import ActionItemFactory, visit_at

pytestmark = pytest.mark.django_db

WORK = reverse("work_inbox")


def _kinds(user) -> dict[str, list]:
    kinds: dict[str, list] = {}
    for item in inbox.cra_items(user):
        kinds.setdefault(item.kind, []).append(item)
    return kinds


def test_cra_sees_the_work_of_their_own_sites(tenant, other_tenant):
    proposed = visit_at(tenant, VisitStatus.PROPOSED)
    held = visit_at(tenant, VisitStatus.CONFIRMED, days=20)
    MonitoringVisit.objects.filter(pk=held.pk).update(
        planned_at=timezone.now() - dt.timedelta(days=1)
    )
    visit_at(tenant, VisitStatus.CONFIRMED, days=5)  # still ahead: nothing to record yet
    mine = ActionItemFactory(
        study_site=tenant.study_site,
        raised_by=tenant.cra,
        owner=ActionItemOwner.CRA,
        description="Send the updated pharmacy manual",
    )
    ActionItemFactory(study_site=tenant.study_site, raised_by=tenant.cra)  # the site's to do
    visit_at(other_tenant, VisitStatus.PROPOSED)

    kinds = _kinds(tenant.cra)
    (accept,) = kinds["visit_date_proposed"]
    assert accept.key == f"monitoring.visit_proposed:{proposed.pk}"
    assert accept.action.label == "Accept date"
    assert accept.action.url == reverse(
        "monitoring_visit_accept", kwargs={"monitoring_visit_id": proposed.pk}
    )
    assert "Alpha Clinic (site 101) proposes" in accept.detail
    (record,) = kinds["visit_complete"]
    assert record.key == f"monitoring.visit_complete:{held.pk}"
    assert record.action is None  # the actual date is needed: done on the visit page
    (own,) = kinds["action_item_cra"]
    assert own.key == f"monitoring.action_item:{mine.pk}"
    assert own.cro_name == tenant.cro.name
    # Another CRA of the same CRO, not assigned to the site, has none of this.
    assert inbox.cra_items(member(tenant.cro, Role.CRA)) == []
    assert {i.cro_name for i in inbox.cra_items(other_tenant.cra)} == {other_tenant.cro.name}


def test_cra_accepts_a_proposed_date_in_place(client, tenant):
    visit = visit_at(tenant, VisitStatus.PROPOSED)
    client.force_login(tenant.cra)
    page = client.get(WORK).content.decode()
    action = reverse("monitoring_visit_accept", kwargs={"monitoring_visit_id": visit.pk})
    assert f'hx-post="{action}"' in page
    client.post(action, headers={"HX-Request": "true"})
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CONFIRMED
    row = client.get(
        WORK, {"row": f"monitoring.visit_proposed:{visit.pk}"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "No longer waiting on you" in row


def test_cra_closes_a_resolved_action_item_in_place(client, tenant, other_tenant):
    item = ActionItemFactory(
        study_site=tenant.study_site,
        raised_by=tenant.cra,
        status="resolved",
        resolution_note="Log signed and filed.",
        resolved_by=tenant.coordinator,
        resolved_at=timezone.now(),
    )
    (row,) = [i for i in inbox.cra_items(tenant.cra) if i.kind == "action_item_close"]
    assert "resolved: Log signed and filed." in row.detail
    close = reverse("action_item_close", kwargs={"action_item_id": item.pk})
    assert row.action.url == close
    client.force_login(other_tenant.cra)
    assert client.post(close, headers={"HX-Request": "true"}).status_code == 404
    client.force_login(tenant.cra)
    client.post(close, headers={"HX-Request": "true"})
    assert ActionItem.objects.get(pk=item.pk).status == "closed"
    assert not [i for i in inbox.cra_items(tenant.cra) if i.kind == "action_item_close"]


def test_cra_query_budget_does_not_grow_with_the_rows(tenant, django_assert_max_num_queries):
    def fill(n):
        for _ in range(n):
            visit_at(tenant, VisitStatus.PROPOSED)
            ActionItemFactory(
                study_site=tenant.study_site, raised_by=tenant.cra, owner=ActionItemOwner.CRA
            )

    fill(2)
    with django_assert_max_num_queries(8) as small:
        assert len(inbox.cra_items(tenant.cra)) == 4
    fill(8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(inbox.cra_items(tenant.cra)) == 20
