"""Monitoring items of the activation and close-out checklists: one fact per item, a constant
number of queries, each linking to the page where it is fixed."""

import pytest
from django.utils import timezone

from core import checklists
from monitoring.models import ActionItemStatus, VisitStatus, VisitType
from monitoring.panels import cov_items, siv_item
from tests.factories.monitoring import ActionItemFactory, MonitoringVisitFactory

pytestmark = pytest.mark.django_db


def _visit(tenant, visit_type, status):
    done = status not in (VisitStatus.PLANNED, VisitStatus.CONFIRMED)
    return MonitoringVisitFactory(
        study_site=tenant.study_site,
        cra=tenant.cra,
        visit_type=visit_type,
        status=status,
        actual_date=timezone.localdate() if done else None,
    )


def _by_key(items):
    return {item.key: item for item in items}


def test_siv_item_is_done_once_the_initiation_visit_took_place(
    tenant, other_tenant, django_assert_num_queries
):
    _visit(tenant, VisitType.SIV, VisitStatus.CONFIRMED)
    _visit(tenant, VisitType.IMV, VisitStatus.APPROVED)
    with django_assert_num_queries(1):
        (item,) = siv_item(tenant.study_site)
    assert (item.label, item.done) == ("Site initiation visit completed", False)
    assert item.url.startswith("/monitoring/")
    _visit(tenant, VisitType.SIV, VisitStatus.COMPLETED)
    assert siv_item(tenant.study_site)[0].done is True
    assert siv_item(other_tenant.study_site)[0].done is False
    keys = [i.key for i in checklists.items(checklists.ACTIVATION, tenant.study_site)]
    assert keys.count("monitoring.siv") == 1


def test_close_out_items_follow_the_cov_and_the_action_items(
    tenant, other_tenant, django_assert_num_queries
):
    _visit(tenant, VisitType.COV, VisitStatus.PLANNED)
    item = ActionItemFactory(study_site=tenant.study_site, raised_by=tenant.cra)
    ActionItemFactory(study_site=other_tenant.study_site, raised_by=other_tenant.cra)
    with django_assert_num_queries(2):
        items = _by_key(cov_items(tenant.study_site))
    assert items["monitoring.cov"].done is False
    assert items["monitoring.cov"].label == "Close-out visit completed"
    assert items["monitoring.action_items"].done is False
    assert items["monitoring.action_items"].detail == "1 open"
    assert items["monitoring.action_items"].url.startswith("/monitoring/action-items/")

    _visit(tenant, VisitType.COV, VisitStatus.APPROVED)
    item.status = ActionItemStatus.CLOSED
    item.resolution_note = "Filed."
    item.closed_at = timezone.now()
    item.save()
    items = _by_key(cov_items(tenant.study_site))
    assert items["monitoring.cov"].done and items["monitoring.action_items"].done
    assert items["monitoring.action_items"].label == "All action items closed"
    keys = [i.key for i in checklists.items(checklists.CLOSE_OUT, tenant.study_site)]
    for key in ("monitoring.cov", "monitoring.action_items"):
        assert keys.count(key) == 1
