"""The subject page's "Data queries" panel and the close-out item "All queries closed"."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from core import checklists
from core.panels import panels_for
from queries import panels, services
from queries.checklists import close_out_items
from tests.factories.queries import DataQueryFactory
from trials.models import StudySiteStatus

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _raise(tenant, text: str):
    return services.data_query_raise(
        actor=tenant.cra, subject=tenant.subject, form_name="Labs", text=text
    )


def test_subject_panel_is_registered_for_the_subject_page():
    names = {p.name for p in panels_for("site", {"coordinator"}, slot="subject")}
    assert "Data queries" in names
    assert "Data queries" not in {p.name for p in panels_for("site", {"coordinator"})}


def test_subject_panel_lists_open_queries_first_and_offers_raise_to_the_cra(tenant):
    closed = _raise(tenant, "Check the weight.")
    services.data_query_answer(actor=tenant.coordinator, data_query=closed, text="Corrected.")
    services.data_query_close(actor=tenant.cra, data_query=closed)
    answered = _raise(tenant, "Check the height.")
    services.data_query_answer(actor=tenant.coordinator, data_query=answered, text="Confirmed.")
    still_open = _raise(tenant, "Check the ALT value.")

    panel = panels.subject_queries(_request(tenant.cra), tenant.subject)
    assert [q.pk for q in panel["rows"]] == [still_open.pk, answered.pk, closed.pk]
    assert (panel["total"], panel["unresolved"], panel["can_raise"]) == (3, 2, True)
    html = render_to_string("queries/panels/subject_queries.html", {"panel": panel})
    assert f"/queries/new/?subject={tenant.subject.pk}" in html
    assert "2 open" in html

    site_panel = panels.subject_queries(_request(tenant.coordinator), tenant.subject)
    assert site_panel["total"] == 3 and site_panel["can_raise"] is False
    html = render_to_string("queries/panels/subject_queries.html", {"panel": site_panel})
    assert "Raise a query" not in html


def test_subject_panel_shows_nothing_of_the_subject_to_another_tenant(tenant, other_tenant):
    _raise(tenant, "Check the ALT value.")
    panel = panels.subject_queries(_request(other_tenant.coordinator), tenant.subject)
    assert panel["rows"] == [] and panel["total"] == 0 and panel["can_raise"] is False
    other = panels.subject_queries(_request(other_tenant.cra), tenant.subject)
    assert other["rows"] == [] and other["can_raise"] is False


def test_subject_panel_hides_raise_on_a_closed_site(tenant):
    tenant.study_site.status = StudySiteStatus.CLOSED
    tenant.study_site.save(update_fields=["status"])
    assert panels.subject_queries(_request(tenant.cra), tenant.subject)["can_raise"] is False


@pytest.mark.parametrize("size", [1, 15])
def test_subject_panel_runs_constant_queries(tenant, size, django_assert_max_num_queries):
    DataQueryFactory.create_batch(size, subject=tenant.subject, raised_by=tenant.cra)
    request = _request(tenant.cra)
    with django_assert_max_num_queries(6):
        panel = panels.subject_queries(request, tenant.subject)
        render_to_string("queries/panels/subject_queries.html", {"panel": panel})
    assert panel["total"] == size
    assert len(panel["rows"]) == min(size, 10)


def test_close_out_item_waits_for_every_query_to_be_closed(tenant, django_assert_num_queries):
    def item():
        with django_assert_num_queries(1):
            (found,) = close_out_items(tenant.study_site)
        return found

    assert item().done is True
    query = _raise(tenant, "Check the ALT value.")
    assert item().done is False and "1 waiting on the site" in item().detail
    services.data_query_answer(actor=tenant.coordinator, data_query=query, text="Confirmed.")
    assert item().done is False and "waiting on the CRO" in item().detail
    services.data_query_reopen(actor=tenant.cra, data_query=query, text="Attach the lab sheet.")
    assert item().done is False
    services.data_query_answer(actor=tenant.coordinator, data_query=query, text="Attached.")
    services.data_query_close(actor=tenant.cra, data_query=query)
    found = item()
    assert (found.done, found.label) == (True, "All queries closed")
    assert found.url == f"/queries/?study_site={tenant.study_site.pk}&ordering=waiting_since"
    keys = [i.key for i in checklists.items(checklists.CLOSE_OUT, tenant.study_site)]
    assert keys.count("queries.all_closed") == 1


def test_close_out_item_counts_only_its_own_study_site(tenant, other_tenant):
    _raise(tenant, "Check the ALT value.")
    assert close_out_items(other_tenant.study_site)[0].done is True


def test_list_link_from_the_panel_shows_only_that_subjects_queries(tenant, client):
    mine = _raise(tenant, "Check the ALT value.")
    other_subject = DataQueryFactory(
        subject__study_site=tenant.study_site, raised_by=tenant.cra, text="Other subject query"
    )
    client.force_login(tenant.coordinator)
    response = client.get(f"/queries/?subject={tenant.subject.pk}")
    assert response.status_code == 200
    ids = [query.pk for query, _ in response.context["rows"]]
    assert ids == [mine.pk] and other_subject.pk not in ids
    assert "Showing one subject" in response.content.decode()
