"""Each scorecard measure on hand-built records with a known answer, at an as-of date."""

import datetime as dt
from decimal import Decimal

import pytest

from monitoring.models import ActionItemOwner
from payments.models import PaymentRunStatus
from regulatory.models import ReviewStatus
from scorecards.measures import GROUP_SITE, MEASURES, scorecards, today
from scorecards.models import MEASURE_FIELDS
from tests.factories import SiteOrganizationFactory, StudyFactory, UserFactory
from tests.factories.regulatory import version_add
from tests.factories.safety import AdverseEventFactory
from tests.scorecards.builders import (
    AS_OF,
    END,
    action_item,
    approved_document,
    at,
    busy_study_site,
    enrolled,
    enrolling,
    in_screening,
    paid_visit,
    query,
    requirement,
    sae,
    screen_failed,
    visit,
)
from trials.models import StudySite, SubjectStatus, SubjectVisitStatus

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def card(study_site, as_of=AS_OF):
    return scorecards(StudySite.objects.filter(pk=study_site.pk), as_of=as_of)[study_site.pk]


def test_every_measure_has_a_definition_and_a_snapshot_column():
    assert [m.key for m in MEASURES] == list(MEASURE_FIELDS)
    assert all(len(m.definition) > 60 for m in MEASURES)


def test_enrollment_vs_target_counts_subjects_enrolled_by_the_as_of_date(tenant):
    study_site = enrolling(tenant.study, target=8)
    enrolled(study_site, AS_OF - 30 * DAY)
    enrolled(study_site, AS_OF - 20 * DAY, status=SubjectStatus.WITHDRAWN)
    enrolled(study_site, AS_OF, status=SubjectStatus.COMPLETED)  # on the day itself: counts
    enrolled(study_site, AS_OF + DAY)  # after: does not
    in_screening(study_site, AS_OF - 5 * DAY)

    reading = card(study_site)["enrollment"]

    assert reading.value == Decimal("37.5")  # 3 of 8
    assert reading.display == "37.5%"
    assert reading.detail == "3 of 8 enrolled"
    assert card(study_site, AS_OF - 25 * DAY)["enrollment"].display == "12.5%"  # 1 of 8


def test_enrollment_without_a_target_shows_a_dash(tenant):
    study_site = enrolling(tenant.study, target=0)
    enrolled(study_site, AS_OF - 3 * DAY)

    assert card(study_site)["enrollment"].display == "—"


def test_screen_failure_rate_is_failures_among_subjects_with_an_outcome(tenant):
    study_site = enrolling(tenant.study)
    for days in (40, 30, 20):
        enrolled(study_site, AS_OF - days * DAY)
    screen_failed(study_site, AS_OF - 10 * DAY)
    screen_failed(study_site, AS_OF + 2 * DAY)  # screened after the as-of date
    in_screening(study_site, AS_OF - 3 * DAY)  # no outcome yet

    reading = card(study_site)["screen_failure"]

    assert reading.value == Decimal("25.0")
    assert reading.detail == "1 of 4 with an outcome"


def test_a_study_site_with_no_subjects_and_no_records_shows_dashes_not_zeros(tenant):
    study_site = enrolling(tenant.study, target=10)

    readings = {r.key: r.display for r in card(study_site)}

    assert readings == {
        "enrollment": "0.0%",  # a target and nobody enrolled: that is a real 0 of 10
        "screen_failure": "—",
        "query_answer_days": "—",
        "queries_open_30": "—",
        "deviations": "—",
        "sae_on_time": "—",
        "documents_current": "—",
        "action_items_on_time": "—",
        "visit_to_payment_days": "—",
    }


def test_median_days_to_answer_uses_each_querys_first_answer(tenant):
    study_site = enrolling(tenant.study)
    subject = enrolled(study_site, AS_OF - 90 * DAY)
    raised = at(AS_OF - 60 * DAY)
    query(subject, raised, answers=[raised + DAY, raised + 10 * DAY])  # first answer: 1 day
    query(subject, raised, answers=[raised + 2 * DAY])
    query(subject, raised, answers=[raised + 4.5 * DAY])
    query(subject, at(AS_OF - 2 * DAY), answers=[at(AS_OF + 3 * DAY)])  # answered after: open
    query(subject, at(AS_OF + DAY), answers=[at(AS_OF + 2 * DAY)])  # raised after: ignored

    reading = card(study_site)["query_answer_days"]

    assert reading.value == Decimal("2.0")  # median of 1, 2 and 4.5 days
    assert reading.display == "2.0 days"
    assert reading.detail == "3 queries answered"


def test_queries_open_more_than_30_days_at_the_end_of_the_as_of_date(tenant):
    study_site = enrolling(tenant.study)
    subject = enrolled(study_site, AS_OF - 90 * DAY)
    old = at(AS_OF - 40 * DAY)
    query(subject, old)  # still open: counts
    query(subject, old, answers=[old + DAY])  # answered, waiting on the CRO: still open
    query(subject, old, answers=[old + DAY], resolved=at(AS_OF - 10 * DAY))  # closed before
    query(subject, old, answers=[old + DAY], resolved=END + DAY)  # closed after: open then
    query(subject, at(AS_OF - 10 * DAY))  # open, but only 10 days

    reading = card(study_site)["queries_open_30"]

    assert reading.value == 3
    assert reading.display == "3"
    assert reading.detail == "of 5 raised"


def test_no_query_raised_is_a_dash_and_none_old_is_a_zero(tenant):
    study_site = enrolling(tenant.study)
    subject = enrolled(study_site, AS_OF - 90 * DAY)
    assert card(study_site)["queries_open_30"].display == "—"

    query(subject, at(AS_OF - 5 * DAY))

    assert card(study_site)["queries_open_30"].display == "0"


def test_deviations_per_enrolled_subject(tenant):
    study_site = enrolling(tenant.study)
    subjects = [enrolled(study_site, AS_OF - 100 * DAY) for _ in range(4)]
    visit(
        subjects[0],
        target=AS_OF - 50 * DAY,
        status=SubjectVisitStatus.COMPLETED,
        actual=AS_OF - 40 * DAY,
        out_of_window=True,
        deviation_note="Transport strike; seen after the window",
    )
    visit(subjects[1], target=AS_OF - 30 * DAY, status=SubjectVisitStatus.MISSED)
    visit(
        subjects[2],
        target=AS_OF - 20 * DAY,
        status=SubjectVisitStatus.COMPLETED,
        actual=AS_OF - 20 * DAY,
    )  # in window: no deviation
    visit(
        subjects[3],
        target=AS_OF - 5 * DAY,
        status=SubjectVisitStatus.COMPLETED,
        actual=AS_OF + 5 * DAY,
        out_of_window=True,
    )  # happened after the as-of date
    visit(subjects[3], target=AS_OF + 10 * DAY, status=SubjectVisitStatus.MISSED)  # window later

    reading = card(study_site)["deviations"]

    assert reading.value == Decimal("0.50")  # 2 deviations, 4 subjects
    assert reading.detail == "2 deviations, 4 enrolled"


def test_saes_reported_within_24_hours(tenant):
    study_site = enrolling(tenant.study)
    subject = enrolled(study_site, AS_OF - 100 * DAY)
    aware = at(AS_OF - 30 * DAY)
    on_time = sae(subject, aware, reported=aware + dt.timedelta(hours=20))
    sae(subject, aware, reported=aware + dt.timedelta(hours=30))  # late
    sae(subject, at(AS_OF - 10 * DAY))  # clock ran out, never reported
    sae(subject, at(AS_OF, 12))  # still on the clock at the end of the day: not yet counted
    sae(  # a follow-up report is not an initial report
        subject,
        aware,
        reported=aware + dt.timedelta(hours=60),
        initial=on_time,
        follow_up_number=1,
    )
    AdverseEventFactory(subject=subject)  # not serious

    reading = card(study_site)["sae_on_time"]

    assert reading.value == Decimal("33.3")
    assert reading.detail == "1 of 3 on time"


def test_required_documents_current(tenant):
    study = StudyFactory()
    study_site = enrolling(study)
    as_of = today()
    current = requirement(study, "delegation_log")
    expired = requirement(study, "gcp_certificate")
    resubmitted = requirement(study, "medical_licence")
    requirement(study, "investigator_cv")  # nothing on file: missing
    requirement(study, "financial_disclosure", is_active=False)  # retired: not required
    approved_document(study_site, current, expires_on=as_of + 100 * DAY)
    approved_document(study_site, expired, expires_on=as_of)  # expires on the day: expired
    document = approved_document(study_site, resubmitted)
    version_add(document, version_number=2, status=ReviewStatus.SUBMITTED)  # latest: in review

    reading = card(study_site, as_of)["documents_current"]

    assert reading.value == Decimal("25.0")
    assert reading.detail == "1 of 4 current"


def test_documents_not_yet_on_file_at_an_earlier_date_do_not_count(tenant):
    study = StudyFactory()
    study_site = enrolling(study)
    approved_document(study_site, requirement(study, "delegation_log"))

    # The requirement and the upload happened today: a month ago nothing was required yet.
    assert card(study_site, today() - 30 * DAY)["documents_current"].display == "—"
    assert card(study_site, today())["documents_current"].display == "100.0%"


def test_action_items_closed_on_time(tenant):
    study_site = enrolling(tenant.study)
    due = AS_OF - 10 * DAY
    action_item(study_site, tenant.cra, due=due, closed=at(due, 23))  # on the due date
    action_item(study_site, tenant.cra, due=due, closed=at(due + DAY))  # a day late
    action_item(study_site, tenant.cra, due=due)  # still open
    action_item(study_site, tenant.cra, due=AS_OF + DAY)  # not due yet
    action_item(study_site, tenant.cra, due=due, owner=ActionItemOwner.CRA)  # the CRA's

    reading = card(study_site)["action_items_on_time"]

    assert reading.value == Decimal("33.3")
    assert reading.detail == "1 of 3 on time"


def test_days_from_visit_to_payment_is_the_median_over_paid_visits(tenant):
    study_site = enrolling(tenant.study)
    paid_visit(study_site, visit_on=AS_OF - 70 * DAY, paid_on=AS_OF - 60 * DAY)  # 10 days
    paid_visit(study_site, visit_on=AS_OF - 80 * DAY, paid_on=AS_OF - 60 * DAY)  # 20 days
    paid_visit(study_site, visit_on=AS_OF - 90 * DAY, paid_on=AS_OF - 30 * DAY)  # 60 days
    paid_visit(study_site, visit_on=AS_OF - 20 * DAY, paid_on=AS_OF + 5 * DAY)  # paid after
    paid_visit(
        study_site,
        visit_on=AS_OF - 20 * DAY,
        paid_on=None,
        run_status=PaymentRunStatus.APPROVED,
    )  # approved, not paid

    reading = card(study_site)["visit_to_payment_days"]

    assert reading.value == Decimal("20.0")
    assert reading.display == "20.0 days"
    assert reading.detail == "3 visits paid"
    assert card(study_site, AS_OF - 45 * DAY)["visit_to_payment_days"].value == Decimal("15.0")


def test_the_site_wide_line_pools_the_records_of_every_study(tenant):
    site = SiteOrganizationFactory()
    first = enrolling(tenant.study, site, target=10)
    second = enrolling(StudyFactory(), site, target=30)
    for _ in range(3):
        enrolled(first, AS_OF - 10 * DAY)
    enrolled(second, AS_OF - 10 * DAY)
    paid_visit(first, visit_on=AS_OF - 70 * DAY, paid_on=AS_OF - 60 * DAY)  # 10 days
    paid_visit(second, visit_on=AS_OF - 80 * DAY, paid_on=AS_OF - 60 * DAY)  # 20 days
    paid_visit(second, visit_on=AS_OF - 90 * DAY, paid_on=AS_OF - 60 * DAY)  # 30 days

    per_site = scorecards(StudySite.objects.filter(site=site), as_of=AS_OF)
    pooled = scorecards(StudySite.objects.filter(site=site), as_of=AS_OF, group=GROUP_SITE)

    assert per_site[first.pk]["enrollment"].value == Decimal("30.0")
    assert per_site[second.pk]["enrollment"].value == Decimal("3.3")
    assert pooled[site.pk]["enrollment"].value == Decimal("10.0")  # 4 of 40, not the mean
    assert per_site[second.pk]["visit_to_payment_days"].value == Decimal("25.0")
    assert pooled[site.pk]["visit_to_payment_days"].value == Decimal("20.0")  # of 10, 20, 30


def test_the_site_wide_line_covers_only_the_study_sites_given(tenant):
    site = SiteOrganizationFactory()
    mine = enrolling(tenant.study, site, target=10)
    theirs = enrolling(StudyFactory(), site, target=10)
    enrolled(mine, AS_OF - 10 * DAY)
    for _ in range(5):
        enrolled(theirs, AS_OF - 10 * DAY)

    pooled = scorecards(StudySite.objects.filter(pk=mine.pk), as_of=AS_OF, group=GROUP_SITE)

    assert pooled[site.pk]["enrollment"].detail == "1 of 10 enrolled"


def test_computing_many_study_sites_takes_the_same_number_of_queries(
    tenant, django_assert_max_num_queries
):
    raiser = UserFactory()
    for _ in range(3):
        busy_study_site(tenant.study, raised_by=raiser)
    with django_assert_max_num_queries(9) as captured:
        cards = scorecards(StudySite.objects.filter(study=tenant.study), as_of=AS_OF)
    few = len(captured.captured_queries)
    assert all(
        c["visit_to_payment_days"].value is not None
        for c in cards.values()
        if c.key != tenant.study_site.pk
    )

    for _ in range(6):
        busy_study_site(tenant.study, raised_by=raiser)
    with django_assert_max_num_queries(few):
        cards = scorecards(StudySite.objects.filter(study=tenant.study), as_of=AS_OF)
    assert len(cards) == 10
