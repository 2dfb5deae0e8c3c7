import pytest
from playwright.sync_api import Page, expect

from queries.models import DataQuery, DataQueryStatus
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, user) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_cra_raises_coordinator_answers_cra_closes(live_server, page: Page, console_errors, tenant):
    base = live_server.url
    subject = tenant.subject.subject_identifier

    # The CRA raises a query from the subject link.
    sign_in(page, base, tenant.cra)
    page.goto(f"{base}/queries/new/?subject={tenant.subject.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Raise a query on {subject}")
    page.get_by_label("Visit").select_option(str(tenant.subject_visit.pk))
    page.get_by_label("Form (CRF page)").fill("Vital signs")
    page.get_by_label("Field").fill("Weight")
    page.get_by_label("Query", exact=True).fill("Weight 7 kg looks wrong; please check.")
    page.get_by_role("button", name="Raise query").click()
    expect(page.get_by_text("it now waits on the site")).to_be_visible()
    query = DataQuery.objects.get()

    # The coordinator finds it in the query inbox and answers in place (HTMX).
    sign_in(page, base, tenant.coordinator)
    page.goto(f"{base}/queries/?waiting_on=site")
    page.get_by_role("link", name=f"#{query.pk}").click()
    page.get_by_label("Your answer").fill("Typo in the CRF; corrected to 70 kg.")
    page.get_by_role("button", name="Answer", exact=True).click()
    expect(page.get_by_text("Answer sent; the query now waits on the CRO.")).to_be_visible()
    expect(page.get_by_test_id("waiting-on")).to_have_text("Alpha CRO")

    # The CRA reviews the answer and closes the query.
    sign_in(page, base, tenant.cra)
    page.goto(f"{base}/queries/?status=answered")
    page.get_by_role("link", name=f"#{query.pk}").click()
    expect(page.get_by_text("Typo in the CRF; corrected to 70 kg.")).to_be_visible()
    page.get_by_label("Comment (optional)").fill("Confirmed against the source.")
    page.get_by_role("button", name="Close", exact=True).click()
    expect(page.get_by_text("Query closed.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Closed")

    query.refresh_from_db()
    assert query.status == DataQueryStatus.CLOSED
    assert [m.action for m in query.messages.order_by("created_at")] == [
        "raise",
        "answer",
        "close",
    ]
    assert console_errors == []
