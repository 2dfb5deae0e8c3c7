"""The bench harness without the load tool (CI has no wrk): pages resolve at a tiny scale,
queries are counted per page, and the report table comes out."""

import pytest
from django.core.management import call_command

from bench.run import FLOOR, Page, Result, count_queries, format_table, pages, signed_in_clients

pytestmark = pytest.mark.django_db


def test_query_counts_and_table_at_tiny_scale(settings):
    settings.ROOT_URLCONF = "bench.floor_urls"
    call_command("seed_scale", scale=0.0005)

    page_list = pages()
    counts = count_queries(page_list, signed_in_clients())

    assert {label for label in counts} >= {"coordinator dashboard", "CRA query list", FLOOR}
    assert {status for status, _ in counts.values()} == {200}
    assert all(queries >= 1 for _, queries in counts.values())
    table = format_table([Result(p, *counts[p.label]) for p in page_list])
    lines = table.splitlines()
    assert lines[0].startswith("| page | role | path | status | queries | req/s")
    assert len(lines) == 2 + len(page_list)
    assert "| coordinator enrollment log | coordinator | `/study-sites/" in table


def test_table_gives_the_ratio_to_the_floor():
    floor = Result(Page(FLOOR, "coordinator", "/bench/floor/"), 200, 1, 400.0, 5.0, 8.0, 9.0)
    page = Result(Page("query list", "cra", "/queries/"), 200, 10, 100.0, 20.0, 30.0, 40.0)

    table = format_table([page, floor])

    assert (
        "| query list | cra | `/queries/` | 200 | 10 | 100.0 | 20.0 | 30.0 | 40.0 | 0.25 | 0 |"
        in table
    )
    assert f"| {FLOOR} | coordinator | `/bench/floor/` | 200 | 1 | 400.0 |" in table
