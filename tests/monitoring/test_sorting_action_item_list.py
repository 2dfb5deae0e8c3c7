"""The action item list sorts by its column headers and ignores an unknown sort key."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories.monitoring import ActionItemFactory

URL = "/monitoring/action-items/"


def _seen(html: str, names: list[str]) -> list[str]:
    body = html[html.index("<tbody") :]
    return sorted(names, key=body.index)


@pytest.fixture
def items(tenant):
    today = timezone.localdate()
    for description, days in (
        ("File the signed ICF v3", 30),
        ("Countersign the delegation log", 3),
        ("Update the lab normal ranges", 12),
    ):
        ActionItemFactory(
            study_site=tenant.study_site,
            raised_by=tenant.cra,
            description=description,
            due_date=today + dt.timedelta(days=days),
        )
    return [
        "File the signed ICF v3",
        "Countersign the delegation log",
        "Update the lab normal ranges",
    ]


@pytest.mark.django_db
def test_sorting_by_a_column_changes_the_order_the_user_sees(client, tenant, items):
    client.force_login(tenant.coordinator)
    soonest = client.get(URL, {"sort": "due"}).content.decode()
    assert _seen(soonest, items) == [
        "Countersign the delegation log",
        "Update the lab normal ranges",
        "File the signed ICF v3",
    ]
    latest = client.get(URL, {"sort": "-due"}).content.decode()
    assert _seen(latest, items) == [
        "File the signed ICF v3",
        "Update the lab normal ranges",
        "Countersign the delegation log",
    ]
    assert 'aria-sort="descending"' in latest
    by_text = client.get(URL, {"sort": "what"}).content.decode()
    assert _seen(by_text, items) == [
        "Countersign the delegation log",
        "File the signed ICF v3",
        "Update the lab normal ranges",
    ]


@pytest.mark.django_db
def test_an_unknown_sort_key_is_ignored(client, tenant, items):
    client.force_login(tenant.cra)
    response = client.get(URL, {"sort": "-raised_by__password"})
    assert response.status_code == 200
    # the list's own order: status, then due date
    assert _seen(response.content.decode(), items) == [
        "Countersign the delegation log",
        "Update the lab normal ranges",
        "File the signed ICF v3",
    ]
