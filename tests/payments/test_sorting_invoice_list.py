"""The invoice list sorts by its column headers and ignores an unknown sort key."""

from decimal import Decimal

import pytest

from tests.factories.payments import SiteInvoiceFactory

URL = "/payments/invoices/"


def _seen(html: str, names: list[str]) -> list[str]:
    body = html[html.index("<tbody") :]
    return sorted(names, key=body.index)


@pytest.fixture
def invoices(tenant):
    for number, total in (("INV-B", "900.00"), ("INV-C", "50.00"), ("INV-A", "300.00")):
        SiteInvoiceFactory(
            study_site=tenant.study_site,
            number=number,
            total=Decimal(total),
            created_by=tenant.coordinator,
        )
    return ["INV-A", "INV-B", "INV-C"]


@pytest.mark.django_db
def test_sorting_by_a_column_changes_the_order_the_user_sees(client, tenant, invoices):
    client.force_login(tenant.coordinator)
    newest_first = client.get(URL).content.decode()
    assert _seen(newest_first, invoices) == ["INV-A", "INV-C", "INV-B"]

    by_number = client.get(URL, {"sort": "number"}).content.decode()
    assert _seen(by_number, invoices) == ["INV-A", "INV-B", "INV-C"]
    assert 'aria-sort="ascending"' in by_number

    largest = client.get(URL, {"sort": "-total"}).content.decode()
    assert _seen(largest, invoices) == ["INV-B", "INV-A", "INV-C"]


@pytest.mark.django_db
def test_an_unknown_sort_key_is_ignored(client, tenant, invoices):
    client.force_login(tenant.coordinator)
    response = client.get(URL, {"sort": "created_by__email", "status": "draft"})
    assert response.status_code == 200
    assert _seen(response.content.decode(), invoices) == ["INV-A", "INV-C", "INV-B"]
