import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sponsor_viewer_reads_the_study_overview(live_server, page: Page, console_errors):
    call_command("seed_demo", "--force", verbosity=0)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("viewer@helix.example")
    page.get_by_label("Password").fill("trialbridge-demo")
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/studies/")
    page.get_by_role("link", name="MER-CARD-301", exact=True).first.click()
    page.get_by_role("link", name="Study overview").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Study overview · MER-CARD-301")
    expect(page.get_by_role("img", name="Cumulative subjects enrolled")).to_be_visible()
    for heading in ("Sites by status", "Query aging", "Payment aging", "Diversity"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    sites = page.get_by_test_id("site-table")
    expect(sites.locator("tbody tr")).to_have_count(2)

    page.get_by_test_id("status-closed").click()
    expect(page.get_by_text("No site of this study has this status.")).to_be_visible()
    page.get_by_role("link", name="Clear the filters").click()
    expect(page.get_by_test_id("site-table").locator("tbody tr")).to_have_count(2)

    page.get_by_role("link", name="% of target").click()
    expect(page.locator("th[aria-sort]")).to_contain_text("% of target")
    percents = [
        float(cell.inner_text().rstrip("%"))
        for cell in page.get_by_test_id("site-table").locator("tbody tr td:nth-child(5)").all()
    ]
    assert len(percents) == 2 and percents == sorted(percents)

    page.get_by_role("link", name="Weekly").click()
    page.get_by_text("The figures per week").click()
    expect(page.get_by_test_id("curve-table")).to_be_visible()
    assert console_errors == []
