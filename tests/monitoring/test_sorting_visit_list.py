"""The monitoring visit list sorts by its column headers and ignores an unknown sort key."""

import pytest

from monitoring.models import VisitType
from tests.factories.monitoring import plan

URL = "/monitoring/visits/"
# What the Type column says for each visit planned below, by planned date.
SIV, IMV, COV = "Site initiation (SIV)", "Interim monitoring (IMV)", "Close-out (COV)"


def _seen(html: str, names: list[str]) -> list[str]:
    body = html[html.index("<tbody") :]
    return sorted(names, key=body.index)


@pytest.fixture
def visits(tenant):
    plan(tenant, days=5, visit_type=VisitType.SIV)
    plan(tenant, days=40, visit_type=VisitType.IMV)
    plan(tenant, days=90, visit_type=VisitType.COV)
    return [SIV, IMV, COV]


@pytest.mark.django_db
def test_sorting_by_a_column_changes_the_order_the_user_sees(client, tenant, visits):
    client.force_login(tenant.cra)
    newest_first = client.get(URL).content.decode()
    assert _seen(newest_first, visits) == [COV, IMV, SIV]
    assert 'aria-sort="descending"' in newest_first

    oldest_first = client.get(URL, {"sort": "date"}).content.decode()
    assert _seen(oldest_first, visits) == [SIV, IMV, COV]
    assert 'aria-sort="ascending"' in oldest_first

    by_type = client.get(URL, {"sort": "type"}).content.decode()  # cov < imv < siv
    assert _seen(by_type, visits) == [COV, IMV, SIV]


@pytest.mark.django_db
def test_filters_keep_the_order_and_an_unknown_key_is_ignored(client, tenant, visits):
    client.force_login(tenant.coordinator)
    filtered = client.get(URL, {"sort": "date", "status": "planned"}).content.decode()
    assert _seen(filtered, visits) == [SIV, IMV, COV]
    assert '<input type="hidden" name="sort" value="date">' in filtered

    response = client.get(URL, {"sort": "agenda"})
    assert response.status_code == 200
    assert _seen(response.content.decode(), visits) == [COV, IMV, SIV]
