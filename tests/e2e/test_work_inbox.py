"""The work inbox in a browser, on the demo data: a coordinator filters it, reads and confirms
a study update in place (the navigation count follows); a CRA accepts a site's proposed date."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "trialbridge-demo"  # noqa: S105 - the published password of invented demo users


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--force", verbosity=0)
    cache.clear()  # no count cached for these ids by an earlier run


def sign_in(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def nav_count(page: Page):
    return page.locator("#mainnav a[href='/inbox/work/'] .tb-inbox-count")


def test_coordinator_filters_the_inbox_and_confirms_an_update_in_place(
    live_server, page: Page, console_errors, demo
):
    base = live_server.url
    sign_in(page, base, "coordinator@lakeside.example")
    # The navigation shows how much waits, loaded after the page.
    expect(nav_count(page)).to_be_visible()
    waiting = int(nav_count(page).inner_text())
    assert waiting > 10
    page.locator("#mainnav").get_by_role("link", name="Work").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Work inbox")
    rows = page.locator("tbody tr.inbox-row")
    expect(rows.first).to_be_visible()
    expect(page.locator("tbody")).to_contain_text("Meridian CRO (demo)")

    # Filter by CRO: only Apex's rows remain.
    page.get_by_label("CRO", exact=True).select_option(label="Apex Research (demo)")
    page.get_by_role("button", name="Filter").click()
    expect(rows.first).to_contain_text("Apex Research (demo)")
    expect(page.locator("tbody")).not_to_contain_text("Meridian CRO (demo)")

    # Filter by kind, then mark one study update read in place.
    page.get_by_role("link", name="Clear", exact=True).click()
    page.get_by_label("Kind").select_option(label="Study updates unread")
    page.get_by_role("button", name="Filter").click()
    updates = rows.count()
    assert updates >= 2
    first = rows.first
    first.get_by_role("button", name="Mark read").click()
    # An amendment notice must also be confirmed: the row turns into that next step.
    expect(first).to_contain_text("Confirm you read the protocol amendment notice")
    expect(nav_count(page)).to_have_text(str(waiting))
    first.get_by_role("button", name="Confirm").click()
    expect(first).to_contain_text("No longer waiting on you")
    expect(nav_count(page)).to_have_text(str(waiting - 1))
    expect(page.locator("#inbox-total")).to_contain_text(str(waiting - 1))

    # After a reload the update is gone from the list.
    page.reload()
    expect(rows).to_have_count(updates - 1)
    assert console_errors == []


def test_cra_accepts_a_proposed_date_from_the_inbox(live_server, page: Page, console_errors, demo):
    base = live_server.url
    sign_in(page, base, "cra@meridian.example")
    expect(nav_count(page)).to_be_visible()
    waiting = int(nav_count(page).inner_text())
    page.locator("#mainnav").get_by_role("link", name="Work").click()
    expect(
        page.get_by_text("Write the report of the Interim monitoring (IMV) visit")
    ).to_be_visible()
    expect(page.get_by_text("Review the answered query").first).to_be_visible()
    row = page.locator("tbody tr.inbox-row", has_text="Accept the date the site proposes")
    expect(row).to_contain_text("Riverbend Medical Center (demo)")
    row.get_by_role("button", name="Accept date").click()
    expect(page.locator("tbody")).to_contain_text("No longer waiting on you")
    expect(nav_count(page)).to_have_text(str(waiting - 1))
    assert console_errors == []
