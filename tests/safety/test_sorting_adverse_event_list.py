"""The adverse event list sorts by its column headers and ignores an unknown sort key."""

import datetime as dt

import pytest

from tests.factories.safety import AdverseEventFactory

URL = "/safety/"


def _seen(html: str, names: list[str]) -> list[str]:
    body = html[html.index("<tbody") :]
    return sorted(names, key=body.index)


@pytest.fixture
def events(tenant):
    for term, onset in (
        ("Nausea", dt.date(2026, 2, 3)),
        ("Headache", dt.date(2026, 1, 20)),
        ("Rash", dt.date(2026, 2, 10)),
    ):
        AdverseEventFactory(
            subject=tenant.subject, term=term, onset_date=onset, recorded_by=tenant.coordinator
        )
    return ["Headache", "Nausea", "Rash"]


@pytest.mark.django_db
def test_sorting_by_a_column_changes_the_order_the_user_sees(client, tenant, events):
    client.force_login(tenant.coordinator)
    newest_first = client.get(URL).content.decode()
    assert _seen(newest_first, events) == ["Rash", "Headache", "Nausea"]

    by_term = client.get(URL, {"sort": "term"}).content.decode()
    assert _seen(by_term, events) == ["Headache", "Nausea", "Rash"]
    assert 'aria-sort="ascending"' in by_term

    latest_onset = client.get(URL, {"sort": "-onset"}).content.decode()
    assert _seen(latest_onset, events) == ["Rash", "Nausea", "Headache"]


@pytest.mark.django_db
def test_an_unknown_sort_key_is_ignored(client, tenant, events):
    client.force_login(tenant.coordinator)
    response = client.get(URL, {"sort": "-description"})
    assert response.status_code == 200
    assert _seen(response.content.decode(), events) == ["Rash", "Headache", "Nausea"]
