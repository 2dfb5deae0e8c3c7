"""Work inbox rows of safety: the CRO safety team acknowledges reports in one click; a CRA
follows up the SAE clocks running at their own sites."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from core import inbox as registry
from core.inbox import DUE_SOON, OVERDUE
from safety import inbox
from safety.models import AdverseEventStatus
from tests.factories import member
from tests.factories.safety import SeriousAdverseEventFactory

pytestmark = pytest.mark.django_db

WORK = reverse("work_inbox")


def _sae(tenant, *, hours_ago: int = 2, **fields):
    return SeriousAdverseEventFactory(
        subject=tenant.subject,
        recorded_by=tenant.coordinator,
        awareness_at=timezone.now() - dt.timedelta(hours=hours_ago),
        **fields,
    )


def _reported(tenant):
    return _sae(
        tenant,
        status=AdverseEventStatus.REPORTED,
        reported_at=timezone.now(),
        reported_by=tenant.coordinator,
    )


def test_cra_follows_up_sae_clocks_at_their_sites_only(tenant, other_tenant):
    running = _sae(tenant)
    late = _sae(tenant, hours_ago=30)
    _reported(tenant)  # already reported: the safety team's, not the CRA's
    _sae(other_tenant)
    rows = {i.key: i for i in inbox.cra_items(tenant.cra)}
    assert set(rows) == {f"safety.sae_follow_up:{e.pk}" for e in (running, late)}
    assert rows[f"safety.sae_follow_up:{running.pk}"].urgency == DUE_SOON
    assert rows[f"safety.sae_follow_up:{late.pk}"].urgency == OVERDUE
    assert "Alpha Clinic (site 101)" in rows[f"safety.sae_follow_up:{late.pk}"].detail
    assert inbox.cra_items(member(tenant.cro, Role.CRA)) == []  # not assigned to the site
    names = {r.name for r in registry.providers_for("cro", {Role.CRA})}
    assert "safety.cra" in names and "safety.cro" not in names


def test_safety_acknowledges_in_place_and_the_row_is_done(client, tenant, other_tenant):
    safety = member(tenant.cro, Role.SAFETY)
    event = _reported(tenant)
    (row,) = inbox.cro_items(safety)
    action = reverse("adverse_event_acknowledge", kwargs={"adverse_event_id": event.pk})
    assert row.action.label == "Acknowledge" and row.action.url == action
    client.force_login(safety)
    assert f'hx-post="{action}"' in client.get(WORK).content.decode()
    # Another CRO's safety officer cannot act on it.
    client.force_login(member(other_tenant.cro, Role.SAFETY))
    assert client.post(action, headers={"HX-Request": "true"}).status_code == 404
    client.force_login(safety)
    assert client.post(action, headers={"HX-Request": "true"}).status_code == 200
    event.refresh_from_db()
    assert event.status == AdverseEventStatus.ACKNOWLEDGED and event.acknowledged_by == safety
    row = client.get(
        WORK, {"row": f"safety.sae_acknowledge:{event.pk}"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "No longer waiting on you" in row


def test_cra_query_budget_does_not_grow_with_the_rows(tenant, django_assert_max_num_queries):
    for _ in range(2):
        _sae(tenant)
    with django_assert_max_num_queries(3) as small:
        assert len(inbox.cra_items(tenant.cra)) == 2
    for _ in range(10):
        _sae(tenant)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(inbox.cra_items(tenant.cra)) == 12
