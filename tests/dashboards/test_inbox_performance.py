"""The inbox of a coordinator whose site works with 10 CROs and 40 studies answers with a
constant number of queries: doubling the CROs, studies and every kind of work does not add one.
(Server time on the scale data set is measured in bench/, not here.)"""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import Role
from tests.dashboards.inbox_data import cro_with_people, study_site_with_work
from tests.factories import SiteOrganizationFactory, member

pytestmark = pytest.mark.django_db

URL = reverse("work_inbox")
COUNT = reverse("work_inbox_count")
STUDIES_PER_CRO = 4


def _add_cros(site, coordinator, n: int, start: int) -> None:
    for number in range(start, start + n):
        people = cro_with_people(f"CRO {number:02d}")
        for _ in range(STUDIES_PER_CRO):
            study_site_with_work(people, site, coordinator)


def test_inbox_of_a_site_with_10_then_20_cros_runs_the_same_queries(
    client, django_assert_max_num_queries
):
    site = SiteOrganizationFactory(name="Busy Site")
    coordinator = member(site, Role.COORDINATOR)
    _add_cros(site, coordinator, 10, start=1)
    client.force_login(coordinator)
    client.get(URL)  # warm the session and the templates
    cache.clear()  # measure with nothing cached (the overdue sums are kept for a minute)

    with django_assert_max_num_queries(50) as page_10:
        html = client.get(URL, {"kind": "query_answer"}).content.decode()
    assert "40 of 440 items" in html
    cache.clear()
    with django_assert_max_num_queries(50) as count_10:
        assert ">440</span>" in client.get(COUNT).content.decode()

    _add_cros(site, coordinator, 10, start=11)
    cache.clear()
    with django_assert_max_num_queries(len(page_10.captured_queries)):
        html = client.get(URL, {"kind": "query_answer"}).content.decode()
    assert "80 of 880 items" in html, re.search(r"\d+ of \d+ items?", html)
    assert "CRO 20" in html and "CRO 01" in html
    cache.clear()
    with django_assert_max_num_queries(len(count_10.captured_queries)):
        assert ">880</span>" in client.get(COUNT).content.decode()
