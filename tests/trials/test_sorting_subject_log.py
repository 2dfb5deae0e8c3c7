"""The enrollment log sorts by its column headers (also in its CSV export) and ignores an
unknown sort key."""

import datetime as dt

import pytest

from tests.factories import SubjectFactory


def _seen(html: str, names: list[str]) -> list[str]:
    body = html[html.index("<tbody") :]
    return sorted(names, key=body.index)


@pytest.fixture
def subjects(tenant):
    SubjectFactory(
        study_site=tenant.study_site,
        subject_identifier="ALP-101-002",
        screening_date=dt.date(2026, 3, 1),
    )
    SubjectFactory(
        study_site=tenant.study_site,
        subject_identifier="ALP-101-003",
        screening_date=dt.date(2025, 12, 1),
        consent_date=dt.date(2025, 11, 30),
    )
    # tenant.subject ALP-101-001 was screened on 2026-01-10
    return ["ALP-101-001", "ALP-101-002", "ALP-101-003"]


@pytest.mark.django_db
def test_sorting_by_a_column_changes_the_order_the_user_sees(client, tenant, subjects):
    client.force_login(tenant.coordinator)
    url = f"/study-sites/{tenant.study_site.pk}/subjects/"
    default = client.get(url).content.decode()
    assert _seen(default, subjects) == ["ALP-101-001", "ALP-101-002", "ALP-101-003"]

    newest = client.get(url, {"sort": "-screened"}).content.decode()
    assert _seen(newest, subjects) == ["ALP-101-002", "ALP-101-001", "ALP-101-003"]
    assert 'aria-sort="descending"' in newest

    oldest = client.get(url, {"sort": "screened"}).content.decode()
    assert _seen(oldest, subjects) == ["ALP-101-003", "ALP-101-001", "ALP-101-002"]

    export = client.get(f"{url}export.csv", {"sort": "screened"})
    lines = b"".join(export.streaming_content).decode().splitlines()[1:]
    assert [line.split(",")[0] for line in lines] == ["ALP-101-003", "ALP-101-001", "ALP-101-002"]


@pytest.mark.django_db
def test_an_unknown_sort_key_is_ignored(client, tenant, subjects):
    client.force_login(tenant.coordinator)
    url = f"/study-sites/{tenant.study_site.pk}/subjects/"
    response = client.get(url, {"sort": "race", "status": "screening"})
    assert response.status_code == 200
    assert _seen(response.content.decode(), subjects) == [
        "ALP-101-001",
        "ALP-101-002",
        "ALP-101-003",
    ]
