"""The subject page's "Adverse events" panel and the close-out item "No SAE awaiting
acknowledgment"."""

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import RequestFactory

from core import checklists
from core.panels import panels_for
from safety import panels, services
from safety.checklists import close_out_items
from tests.factories.safety import AdverseEventFactory
from tests.safety.conftest import NOW, event_fields
from trials.models import StudySiteStatus

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _report(tenant, **overrides):
    return services.adverse_event_report(
        actor=tenant.coordinator, subject=tenant.subject, **event_fields(**overrides)
    )


def test_subject_panel_is_registered_for_the_subject_page():
    assert "Adverse events" in {p.name for p in panels_for("cro", {"cra"}, slot="subject")}


@time_machine.travel(NOW, tick=False)
def test_subject_panel_lists_running_clocks_first_and_offers_report_to_the_site(tenant):
    headache = _report(tenant, term="Headache", seriousness_criteria=[], awareness_at=None)
    submitted = _report(tenant, term="Sepsis", submit=True)
    draft = _report(tenant, term="Fracture")

    panel = panels.subject_adverse_events_panel(_request(tenant.coordinator), tenant.subject)
    assert [ae.pk for ae in panel["rows"]] == [draft.pk, submitted.pk, headache.pk]
    assert (panel["total"], panel["running"], panel["can_report"]) == (3, 1, True)
    html = render_to_string("safety/panels/subject_adverse_events.html", {"panel": panel})
    assert f"/safety/new/?subject={tenant.subject.pk}" in html
    assert 'data-clock-state="running"' in html and "22 h 00 min left" in html
    assert "1 SAE clock running" in html

    cro_panel = panels.subject_adverse_events_panel(_request(tenant.cra), tenant.subject)
    assert cro_panel["total"] == 3 and cro_panel["can_report"] is False
    html = render_to_string("safety/panels/subject_adverse_events.html", {"panel": cro_panel})
    assert "Report an adverse event" not in html


@time_machine.travel(NOW, tick=False)
def test_subject_panel_is_scoped_to_the_viewer(tenant, other_tenant):
    _report(tenant)
    for outsider in (other_tenant.coordinator, other_tenant.cra, other_tenant.sponsor_viewer):
        panel = panels.subject_adverse_events_panel(_request(outsider), tenant.subject)
        assert panel["rows"] == [] and panel["total"] == 0 and panel["can_report"] is False


def test_subject_panel_hides_report_on_a_closed_site(tenant):
    tenant.study_site.status = StudySiteStatus.CLOSED
    tenant.study_site.save(update_fields=["status"])
    panel = panels.subject_adverse_events_panel(_request(tenant.coordinator), tenant.subject)
    assert panel["can_report"] is False


@pytest.mark.parametrize("size", [1, 15])
def test_subject_panel_runs_constant_queries(tenant, size, django_assert_max_num_queries):
    AdverseEventFactory.create_batch(size, subject=tenant.subject, recorded_by=tenant.coordinator)
    request = _request(tenant.coordinator)
    with django_assert_max_num_queries(5):
        panel = panels.subject_adverse_events_panel(request, tenant.subject)
        render_to_string("safety/panels/subject_adverse_events.html", {"panel": panel})
    assert panel["total"] == size and len(panel["rows"]) == min(size, 10)


@time_machine.travel(NOW, tick=False)
def test_close_out_item_waits_for_acknowledgment(tenant, safety_user, django_assert_num_queries):
    def item():
        with django_assert_num_queries(1):
            (found,) = close_out_items(tenant.study_site)
        return found

    assert item().done is True
    _report(tenant, term="Headache", seriousness_criteria=[], awareness_at=None)
    assert item().done is True
    draft = _report(tenant)
    assert item().done is False and "not yet submitted" in item().detail
    services.adverse_event_submit(actor=tenant.coordinator, adverse_event=draft)
    found = item()
    assert found.done is False and "not yet acknowledged" in found.detail
    assert "status=reported" in found.url and f"site={tenant.study_site.site_id}" in found.url
    services.adverse_event_acknowledge(actor=safety_user, adverse_event=draft)
    found = item()
    assert (found.done, found.label) == (True, "No SAE awaiting acknowledgment")
    keys = [i.key for i in checklists.items(checklists.CLOSE_OUT, tenant.study_site)]
    assert keys.count("safety.sae_acknowledged") == 1
    assert close_out_items(tenant.study_site)[0].done is True
