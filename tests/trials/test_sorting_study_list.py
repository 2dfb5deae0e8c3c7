"""The study list sorts by its column headers (?sort=), keeps the order across pages and
filters, and ignores a sort key it does not know."""

import pytest

from tests.factories import StudyFactory

URL = "/studies/"


def _seen(html: str, names: list[str]) -> list[str]:
    """``names`` in the order a user reads them in the table."""
    body = html[html.index("<tbody") :]
    return sorted(names, key=body.index)


@pytest.fixture
def studies(tenant):
    StudyFactory(cro=tenant.cro, protocol_number="ZED-900", title="Aardvark trial")
    StudyFactory(cro=tenant.cro, protocol_number="MID-500", title="Zebra trial")
    return ["ALPHA-001", "MID-500", "ZED-900"]


@pytest.mark.django_db
def test_sorting_by_a_column_changes_the_order_the_user_sees(client, tenant, studies):
    client.force_login(tenant.pm)
    ascending = client.get(URL, {"sort": "protocol"}).content.decode()
    assert _seen(ascending, studies) == ["ALPHA-001", "MID-500", "ZED-900"]
    assert 'aria-sort="ascending"' in ascending

    descending = client.get(URL, {"sort": "-protocol"}).content.decode()
    assert _seen(descending, studies) == ["ZED-900", "MID-500", "ALPHA-001"]
    assert 'aria-sort="descending"' in descending

    by_title = client.get(URL, {"sort": "title"}).content.decode()
    assert _seen(by_title, ["Aardvark trial", "Zebra trial"]) == ["Aardvark trial", "Zebra trial"]
    by_title_desc = client.get(URL, {"sort": "-title"}).content.decode()
    assert _seen(by_title_desc, ["Aardvark trial", "Zebra trial"]) == [
        "Zebra trial",
        "Aardvark trial",
    ]


@pytest.mark.django_db
def test_an_unknown_sort_key_is_ignored(client, tenant, studies):
    client.force_login(tenant.pm)
    for key in ("password", "-cro__name; drop", "--title", ""):
        response = client.get(URL, {"sort": key})
        assert response.status_code == 200
        html = response.content.decode()
        assert _seen(html, studies) == ["ALPHA-001", "MID-500", "ZED-900"]
        assert "aria-sort" not in html


@pytest.mark.django_db
def test_the_order_is_kept_across_pages_and_filters(client, tenant):
    for n in range(30):
        StudyFactory(cro=tenant.cro, protocol_number=f"P-{n:03d}", status="enrolling")
    client.force_login(tenant.pm)
    html = client.get(URL, {"sort": "-protocol", "status": "enrolling"}).content.decode()
    assert _seen(html, ["P-029", "P-005"]) == ["P-029", "P-005"]
    assert "P-004" not in html  # on page 2
    assert 'href="?sort=-protocol&amp;status=enrolling&amp;page=2"' in html
    assert '<input type="hidden" name="sort" value="-protocol">' in html
    page_two = client.get(URL, {"sort": "-protocol", "status": "enrolling", "page": 2})
    assert _seen(page_two.content.decode(), ["P-004", "P-000"]) == ["P-004", "P-000"]
