import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from accounts.models import User
from trials.models import Subject, SubjectVisitStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_coordinator_screens_enrolls_and_completes_a_visit(live_server, page: Page, console_errors):
    call_command("seed_demo", "--force", verbosity=0)
    # "Today" is the coordinator's day (dates in the future are refused in their time zone).
    zone = User.objects.get(email="coordinator@lakeside.example").time_zone
    today = dt.datetime.now(ZoneInfo(zone)).date()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("coordinator@lakeside.example")
    page.get_by_label("Password").fill("trialbridge-demo")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("region", name="Meridian CRO (demo)").get_by_role(
        "link", name="MER-CARD-301", exact=True
    ).click()
    page.get_by_role("link", name="Enrollment log", exact=True).click()
    expect(page.get_by_role("heading", name="Enrollment log")).to_be_visible()
    page.get_by_role("button", name="Register a subject").click()
    page.get_by_label("Screening date").fill((today - dt.timedelta(days=2)).isoformat())
    page.get_by_label("Consent signed on").fill((today - dt.timedelta(days=3)).isoformat())
    page.get_by_label("Consent form version").fill("v3.0")
    page.get_by_label("Race").select_option("black")
    page.get_by_role("button", name="Register subject").click()

    expect(page.get_by_text("registered at screening")).to_be_visible()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Screening")
    identifier = heading.inner_text().split()[1]

    page.get_by_label("New status").select_option("enrolled")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("Visits are scheduled")).to_be_visible()

    row = page.locator("tr", has_text="Day 1 (randomization)")
    row.get_by_role("link", name="Record").click()
    page.get_by_label("Visit date").fill(today.isoformat())
    page.get_by_role("button", name="Save visit").click()
    expect(page.get_by_text("Visit recorded as completed.")).to_be_visible()
    expect(page.locator("tr", has_text="Day 1 (randomization)")).to_contain_text("Completed")

    subject = Subject.objects.get(subject_identifier=identifier)
    assert subject.visits.get(definition__code="D1").status == SubjectVisitStatus.COMPLETED
    assert console_errors == []
