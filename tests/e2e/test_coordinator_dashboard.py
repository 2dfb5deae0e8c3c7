import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_lakeside_coordinator_sees_both_cros_on_the_dashboard(
    live_server, page: Page, console_errors, settings
):
    call_command("seed_demo", "--force", verbosity=0)
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.get_by_label("Email").fill("coordinator@lakeside.example")
    page.get_by_label("Password").fill("trialbridge-demo")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Meridian CRO (demo)")).to_be_visible()
    expect(page.get_by_role("heading", name="Apex Research (demo)")).to_be_visible()
    expect(
        page.get_by_text("Lakeside Clinical Research (demo) · Study coordinator")
    ).to_be_visible()

    # Follow a study-site link and reach its page.
    page.get_by_role("region", name="Meridian CRO (demo)").get_by_role(
        "link", name="MER-CARD-301", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lakeside Clinical Research")
    assert console_errors == []
