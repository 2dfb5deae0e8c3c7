"""The work inbox per role: a site coordinator working with two CROs (and not a third), a CRA's
"my sites", CRO finance's queue — through the page, as the user sees it."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from core import inbox
from tests.dashboards.inbox_data import (
    APPROVER_KINDS,
    CRA_KINDS,
    FINANCE_KINDS,
    SITE_KINDS,
    cro_with_people,
    study_site_with_work,
)
from tests.factories import SiteOrganizationFactory, member

pytestmark = pytest.mark.django_db

URL = reverse("work_inbox")
COUNT = reverse("work_inbox_count")


@pytest.fixture
def network(db):
    """Lakeview works with Northwind and Southgate; Eastbay works only with Farpoint's site."""
    site = SiteOrganizationFactory(name="Lakeview Clinic")
    coordinator = member(site, Role.COORDINATOR, full_name="Lakeview Coordinator")
    north, south, far = (cro_with_people(n) for n in ("Northwind", "Southgate", "Farpoint"))
    other_site = SiteOrganizationFactory(name="Eastbay Hospital")
    other_coordinator = member(other_site, Role.COORDINATOR, full_name="Eastbay Coordinator")
    return {
        "coordinator": coordinator,
        "other_coordinator": other_coordinator,
        "north": north,
        "south": south,
        "far": far,
        "north_site": study_site_with_work(north, site, coordinator),
        "south_site": study_site_with_work(south, site, coordinator),
        "far_site": study_site_with_work(far, other_site, other_coordinator),
    }


def _kinds(user, org_kind: str, roles: set[str]) -> set[str]:
    return {i.kind for i in inbox.items_for(user, org_kind, roles)}


def _rows(html: str) -> int:
    return len(re.findall(r'<tr id="inbox-row-', html))


def test_coordinator_sees_both_cros_work_and_nothing_of_a_third(client, network):
    coordinator = network["coordinator"]
    assert _kinds(coordinator, "site", {Role.COORDINATOR}) == SITE_KINDS
    items = inbox.items_for(coordinator, "site", {Role.COORDINATOR})
    assert {i.cro_name for i in items} == {"Northwind", "Southgate"}
    client.force_login(coordinator)
    html = client.get(URL).content.decode()
    assert f"{len(items)} of {len(items)} items" in html
    assert "Northwind" in html and "Southgate" in html
    assert "Farpoint" not in html
    assert network["far_site"].study.protocol_number not in html
    # The CRO filter offers exactly the two CROs and narrows the list to one of them.
    north = network["north"].cro
    assert f'<option value="{north.pk}">Northwind</option>' in html
    narrowed = client.get(URL, {"cro": north.pk}).content.decode()
    assert "Southgate" not in narrowed.split("<tbody>")[1]
    assert _rows(narrowed) == len(SITE_KINDS)


def test_a_site_never_sees_another_sites_items_through_page_count_or_row(client, network):
    client.force_login(network["other_coordinator"])
    html = client.get(URL).content.decode()
    assert "Farpoint" in html
    for name in ("Northwind", "Southgate", "Lakeview"):
        assert name not in html
    count = client.get(COUNT).content.decode()
    assert f">{len(SITE_KINDS)}</span>" in count  # only Eastbay's own items
    lakeview_item = next(
        i for i in inbox.items_for(network["coordinator"], "site", {Role.COORDINATOR})
    )
    row = client.get(URL, {"row": lakeview_item.key}, headers={"HX-Request": "true"})
    assert lakeview_item.title not in row.content.decode()


def test_cra_sees_the_work_of_their_own_sites(client, network):
    cra = network["north"].cra
    assert _kinds(cra, "cro", {Role.CRA}) == CRA_KINDS
    client.force_login(cra)
    html = client.get(URL).content.decode()
    assert "Accept date" in html and "Review the answered query" in html
    assert "Follow up SAE" in html and "Action item:" in html
    assert network["north_site"].study.protocol_number in html
    for other in ("Southgate", "Farpoint"):
        assert other not in html


def test_cro_finance_sees_its_queue(client, network):
    north = network["north"]
    assert _kinds(north.finance, "cro", {Role.FINANCE}) == FINANCE_KINDS
    assert _kinds(north.approver, "cro", {Role.FINANCE_APPROVER}) == APPROVER_KINDS
    client.force_login(north.approver)
    html = client.get(URL).content.decode()
    assert "Review invoice" in html and "Approve payment run" in html
    assert "Answer the dispute" in html
    assert "Southgate" not in html and "Farpoint" not in html
    # Nothing that is only the site's work shows on the CRO side.
    assert "Revise and resubmit" not in html and "overdue to site" not in html
