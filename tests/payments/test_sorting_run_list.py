"""The payment run list sorts by its column headers and ignores an unknown sort key."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories.payments import PaymentRunFactory

URL = "/payments/runs/"


def _seen(html: str, names: list[str]) -> list[str]:
    body = html[html.index("<tbody") :]
    return sorted(names, key=body.index)


@pytest.fixture
def runs(tenant):
    created = []
    for month, net in ((1, "700.00"), (3, "100.00"), (2, "400.00")):
        run = PaymentRunFactory(
            study_site=tenant.study_site,
            period_start=dt.date(2026, month, 1),
            period_end=dt.date(2026, month, 28),
            net=Decimal(net),
            gross=Decimal(net),
            prepared_by=tenant.finance,
        )
        created.append(run)
    return created


def _labels(runs) -> list[str]:
    return [f"2026-{run.period_start.month:02d}-01" for run in runs]


@pytest.mark.django_db
def test_sorting_by_a_column_changes_the_order_the_user_sees(client, tenant, runs):
    client.force_login(tenant.finance)
    january, march, february = _labels(runs)
    periods = [january, february, march]

    by_period = client.get(URL, {"sort": "period"}).content.decode()
    assert _seen(by_period, periods) == [january, february, march]
    assert 'aria-sort="ascending"' in by_period

    largest_net = client.get(URL, {"sort": "-net"}).content.decode()
    assert _seen(largest_net, periods) == [january, february, march]

    smallest_net = client.get(URL, {"sort": "net"}).content.decode()
    assert _seen(smallest_net, periods) == [march, february, january]


@pytest.mark.django_db
def test_an_unknown_sort_key_is_ignored(client, tenant, runs):
    client.force_login(tenant.finance)
    january, march, february = _labels(runs)
    response = client.get(URL, {"sort": "-prepared_by"})
    assert response.status_code == 200
    # the list's own order: newest run first
    assert _seen(response.content.decode(), [january, february, march]) == [
        february,
        march,
        january,
    ]
