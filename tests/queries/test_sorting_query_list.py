"""The query list sorts by its column headers (?sort=), still honours the older ?ordering=
links, and ignores a sort key it does not know."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import SubjectFactory
from tests.factories.queries import DataQueryFactory

URL = "/queries/"


def _seen(html: str, names: list[str]) -> list[str]:
    body = html[html.index("<tbody") :]
    return sorted(names, key=body.index)


@pytest.fixture
def queries(tenant):
    now = timezone.now()
    for identifier, form, days in (
        ("ALP-101-007", "Vital signs", 1),
        ("ALP-101-002", "Laboratory", 20),
        ("ALP-101-005", "Adverse events", 8),
    ):
        subject = SubjectFactory(study_site=tenant.study_site, subject_identifier=identifier)
        DataQueryFactory(
            subject=subject,
            form_name=form,
            raised_by=tenant.cra,
            raised_at=now - dt.timedelta(days=days),
        )
    return ["ALP-101-002", "ALP-101-005", "ALP-101-007"]


@pytest.mark.django_db
def test_sorting_by_a_column_changes_the_order_the_user_sees(client, tenant, queries):
    client.force_login(tenant.coordinator)
    newest_first = client.get(URL).content.decode()
    assert _seen(newest_first, queries) == ["ALP-101-007", "ALP-101-005", "ALP-101-002"]

    by_subject = client.get(URL, {"sort": "subject"}).content.decode()
    assert _seen(by_subject, queries) == ["ALP-101-002", "ALP-101-005", "ALP-101-007"]
    assert 'aria-sort="ascending"' in by_subject

    oldest_first = client.get(URL, {"sort": "-age"}).content.decode()
    assert _seen(oldest_first, queries) == ["ALP-101-002", "ALP-101-005", "ALP-101-007"]

    by_form = client.get(URL, {"sort": "-form"}).content.decode()
    assert _seen(by_form, queries) == ["ALP-101-007", "ALP-101-002", "ALP-101-005"]


@pytest.mark.django_db
def test_an_older_ordering_link_and_an_unknown_sort_key(client, tenant, queries):
    client.force_login(tenant.coordinator)
    longest_waiting = client.get(URL, {"ordering": "waiting_since"}).content.decode()
    assert _seen(longest_waiting, queries) == ["ALP-101-002", "ALP-101-005", "ALP-101-007"]

    response = client.get(URL, {"sort": "text", "status": "open"})
    assert response.status_code == 200
    assert _seen(response.content.decode(), queries) == [
        "ALP-101-007",
        "ALP-101-005",
        "ALP-101-002",
    ]
