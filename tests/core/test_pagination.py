"""Pagination whose count stops at a cap: long lists say "N+" pages, and every page past the
cap is still reachable (issue 8, the speed budget)."""

import pytest
from django.core.paginator import EmptyPage
from django.urls import reverse

from accounts.models import Organization
from core.pagination import CappedPaginator
from tests.factories import CROFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizations():
    for number in range(7):
        CROFactory(name=f"Paged CRO {number}")
    return Organization.objects.filter(name__startswith="Paged CRO").order_by("name")


def _paginator(queryset, cap: int) -> CappedPaginator:
    paginator = CappedPaginator(queryset, per_page=2)
    paginator.count_cap = cap
    return paginator


def test_a_list_within_the_cap_pages_as_usual(organizations):
    paginator = _paginator(organizations, cap=10)
    assert paginator.count == 7 and not paginator.capped and paginator.num_pages == 4
    last = paginator.page(4)
    assert [o.name for o in last] == ["Paged CRO 6"] and not last.has_next()
    with pytest.raises(EmptyPage):
        paginator.page(5)


def test_a_longer_list_counts_to_the_cap_and_still_reaches_every_row(
    organizations, django_assert_num_queries
):
    paginator = _paginator(organizations, cap=3)
    with django_assert_num_queries(1):
        assert paginator.capped
    assert paginator.num_pages == 2  # "Page 1 of 2+"
    names = []
    number = 1
    while True:
        page = paginator.page(number)
        names += [o.name for o in page]
        if not page.has_next():
            break
        number = page.next_page_number()
    assert names == [f"Paged CRO {n}" for n in range(7)]
    assert number == 4
    with pytest.raises(EmptyPage):
        paginator.page(5)


def test_the_html_list_says_there_are_more_pages(client, tenant, monkeypatch):
    from core import pagination
    from core.models import Notification

    monkeypatch.setattr(pagination.CappedPaginator, "count_cap", 30)
    for number in range(60):
        Notification.objects.create(
            recipient=tenant.pm, kind="test", title=f"Note {number}", dedupe_key=f"paged-{number}"
        )
    client.force_login(tenant.pm)
    url = reverse("notification_list")
    html = client.get(url).content.decode()
    assert "Page 1 of 2+" in html and "Next" in html
    html = client.get(url, {"page": 2}).content.decode()
    assert "Page 2 of 2+" in html and "Next" in html
    html = client.get(url, {"page": 3}).content.decode()
    # the last page: the total is known now, and the oldest notification is on it
    assert "Page 3 of 3" in html and "Next" not in html and "Note 0<" in html


def test_the_api_says_when_its_count_is_capped(client, tenant, monkeypatch):
    from rest_framework.test import APIClient

    from core import pagination
    from tests.factories import SubjectFactory

    for _ in range(4):
        SubjectFactory(study_site=tenant.study_site)
    api = APIClient()
    api.force_authenticate(tenant.coordinator)
    body = api.get("/api/v1/subjects/", {"page_size": 2}).json()
    assert body["count"] == 5 and body["count_capped"] is False

    monkeypatch.setattr(pagination.CappedPaginator, "count_cap", 3)
    body = api.get("/api/v1/subjects/", {"page_size": 2}).json()
    assert body["count"] == 3 and body["count_capped"] is True and body["next"]
    seen = []
    url = "/api/v1/subjects/?page_size=2"
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 5
