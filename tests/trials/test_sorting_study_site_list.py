"""The study-site list sorts by its column headers and ignores an unknown sort key."""

import pytest

from tests.factories import SiteOrganizationFactory, StudySiteFactory, SubjectFactory

URL = "/study-sites/"


def _seen(html: str, names: list[str]) -> list[str]:
    body = html[html.index("<tbody") :]
    return sorted(names, key=body.index)


@pytest.fixture
def sites(tenant):
    busy = StudySiteFactory(
        study=tenant.study, site=SiteOrganizationFactory(name="Zenith Hospital"), site_number="102"
    )
    for n in range(3):
        SubjectFactory(study_site=busy, subject_identifier=f"ZEN-{n}")
    StudySiteFactory(
        study=tenant.study, site=SiteOrganizationFactory(name="Brook Clinic"), site_number="103"
    )
    return ["Alpha Clinic", "Brook Clinic", "Zenith Hospital"]


@pytest.mark.django_db
def test_sorting_by_a_column_changes_the_order_the_user_sees(client, tenant, sites):
    client.force_login(tenant.pm)
    by_site = client.get(URL, {"sort": "site"}).content.decode()
    assert _seen(by_site, sites) == ["Alpha Clinic", "Brook Clinic", "Zenith Hospital"]
    by_site_desc = client.get(URL, {"sort": "-site"}).content.decode()
    assert _seen(by_site_desc, sites) == ["Zenith Hospital", "Brook Clinic", "Alpha Clinic"]
    most_screened = client.get(URL, {"sort": "-screened"}).content.decode()
    assert _seen(most_screened, sites)[0] == "Zenith Hospital"
    assert 'aria-sort="descending"' in most_screened


@pytest.mark.django_db
def test_an_unknown_sort_key_is_ignored(client, tenant, sites):
    client.force_login(tenant.pm)
    response = client.get(URL, {"sort": "-principal_investigator__password"})
    assert response.status_code == 200
    # the list's own order: CRO, protocol, site number
    assert _seen(response.content.decode(), sites) == [
        "Alpha Clinic",
        "Zenith Hospital",
        "Brook Clinic",
    ]
