"""The document lists (the study-site overview and the review queue) sort by their column
headers and ignore an unknown sort key."""

import pytest

from tests.factories import SiteOrganizationFactory, StudySiteFactory
from tests.factories.regulatory import (
    DocumentFactory,
    DocumentRequirementFactory,
    document_type,
    version_add,
)


def _seen(html: str, names: list[str]) -> list[str]:
    body = html[html.index("<tbody") :]
    return sorted(names, key=body.index)


@pytest.fixture
def sites(tenant):
    """Documents waiting for review at three study-sites, uploaded at site 103 first, then
    at 101 (the tenant's Alpha Clinic), then at 102."""
    requirement = DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("delegation_log"), created_by=tenant.pm
    )
    zenith = StudySiteFactory(
        study=tenant.study, site=SiteOrganizationFactory(name="Zenith Hospital"), site_number="103"
    )
    brook = StudySiteFactory(
        study=tenant.study, site=SiteOrganizationFactory(name="Brook Clinic"), site_number="102"
    )
    for study_site in (zenith, tenant.study_site, brook):
        version_add(
            DocumentFactory(study_site=study_site, requirement=requirement),
            uploaded_by=tenant.coordinator,
        )
    return ["Alpha Clinic", "Brook Clinic", "Zenith Hospital"]


@pytest.mark.django_db
def test_the_overview_sorts_by_its_columns(client, tenant, sites):
    client.force_login(tenant.pm)
    by_site = client.get("/documents/", {"sort": "-site"}).content.decode()
    assert _seen(by_site, sites) == ["Zenith Hospital", "Brook Clinic", "Alpha Clinic"]
    assert 'aria-sort="descending"' in by_site
    by_number = client.get("/documents/", {"sort": "study"}).content.decode()
    assert _seen(by_number, sites) == ["Alpha Clinic", "Brook Clinic", "Zenith Hospital"]

    response = client.get("/documents/", {"sort": "site__password"})
    assert response.status_code == 200
    assert _seen(response.content.decode(), sites) == [
        "Alpha Clinic",
        "Brook Clinic",
        "Zenith Hospital",
    ]


@pytest.mark.django_db
def test_the_review_queue_sorts_by_its_columns(client, tenant, sites):
    client.force_login(tenant.pm)
    oldest_first = client.get("/documents/review/").content.decode()
    assert _seen(oldest_first, sites) == ["Zenith Hospital", "Alpha Clinic", "Brook Clinic"]
    assert 'aria-sort="ascending"' in oldest_first

    newest_first = client.get("/documents/review/", {"sort": "-uploaded"}).content.decode()
    assert _seen(newest_first, sites) == ["Brook Clinic", "Alpha Clinic", "Zenith Hospital"]

    by_site = client.get("/documents/review/", {"sort": "study"}).content.decode()
    assert _seen(by_site, sites) == ["Alpha Clinic", "Brook Clinic", "Zenith Hospital"]

    response = client.get("/documents/review/", {"sort": "sha256"})
    assert response.status_code == 200
    assert _seen(response.content.decode(), sites) == [
        "Zenith Hospital",
        "Alpha Clinic",
        "Brook Clinic",
    ]
