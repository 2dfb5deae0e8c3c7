from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from accounts.models import Organization, OrganizationKind
from core.models import Delivery, Notification, NotificationDigest, Signature
from core.signatures import content_hash, signature_is_valid
from dashboards.scale import BENCH_REASON, REQUIRED_DOCUMENTS, ScalePlan
from monitoring.models import (
    ActionItem,
    FollowUpLetter,
    MonitoringVisit,
    ReportStatus,
    VisitReport,
    VisitStatus,
    VisitType,
)
from payments.models import (
    Budget,
    Earning,
    EarningKind,
    InvoiceStatus,
    PaymentDispute,
    PaymentRun,
    PaymentRunLine,
    PaymentRunStatus,
    SiteInvoice,
)
from queries.models import DATA_QUERY_TRANSITIONS, DataQuery, DataQueryStatus, QueryMessage
from regulatory.models import Document, DocumentVersion, ReviewStatus
from safety.models import AdverseEvent
from trials.models import StudySite, Subject, SubjectVisit, SubjectVisitStatus

pytestmark = pytest.mark.django_db

TINY = 0.0005


def plan_of(scale: float) -> ScalePlan:
    return ScalePlan.of(
        studies=50,
        sites_per_study=100,
        subjects=100_000,
        visits=1_000_000,
        queries=300_000,
        scale=scale,
    )


def test_tiny_scale_builds_the_planned_counts():
    call_command("seed_scale", scale=TINY)

    plan = plan_of(TINY)
    assert (plan.studies, plan.sites_per_study, plan.subjects) == (2, 2, 50)
    assert StudySite.objects.count() == 4
    assert Subject.objects.count() == 50
    # visits are scheduled at enrollment, as the app does: only subjects who enrolled have them
    enrolled = Subject.objects.filter(enrollment_date__isnull=False).count()
    assert 0 < enrolled < 50
    assert SubjectVisit.objects.count() == enrolled * plan.visits_per_subject
    assert not SubjectVisit.objects.filter(subject__enrollment_date__isnull=True).exists()
    assert DataQuery.objects.count() == 150
    assert set(
        Organization.objects.filter(kind=OrganizationKind.CRO).values_list("name", flat=True)
    ) == {"Bench CRO A (bench)", "Bench CRO B (bench)"}
    assert not Organization.objects.exclude(name__endswith="(bench)").exists()


def test_every_study_site_has_monitoring_documents_and_a_budget():
    call_command("seed_scale", scale=TINY)

    for study_site in StudySite.objects.all():
        visits = MonitoringVisit.objects.filter(study_site=study_site)
        assert visits.filter(visit_type=VisitType.SIV, status=VisitStatus.APPROVED).count() == 1
        assert visits.filter(visit_type=VisitType.IMV).count() >= 5
        upcoming = visits.filter(
            status__in=[VisitStatus.PLANNED, VisitStatus.CONFIRMED, VisitStatus.PROPOSED]
        )
        assert upcoming.count() == 1
        assert Document.objects.filter(study_site=study_site).count() == len(REQUIRED_DOCUMENTS)
        assert Budget.objects.filter(study_site=study_site).count() == 1
    # each approved report has its letter and both signatures; drafts have no signature
    approved = VisitReport.objects.filter(status=ReportStatus.APPROVED)
    assert approved.exists()
    assert FollowUpLetter.objects.count() == approved.count()
    assert Signature.objects.filter(object_id__in=approved.values("pk")).count() >= 2 * (
        approved.count()
    )
    assert ActionItem.objects.filter(status="open").exists()
    assert ActionItem.objects.filter(status="closed").exists()
    # every document points at its latest version; earlier versions are superseded
    assert not Document.objects.filter(current_version__isnull=True).exists()
    assert not Document.objects.exclude(current_version__superseded_at__isnull=True).exists()
    assert (
        DocumentVersion.objects.filter(superseded_at__isnull=True).count()
        == Document.objects.count()
    )
    assert DocumentVersion.objects.filter(status=ReviewStatus.APPROVED).exists()
    assert DocumentVersion.objects.filter(expires_on__isnull=False).exists()


def test_earnings_invoices_and_runs_add_up():
    call_command("seed_scale", scale=TINY)

    completed = SubjectVisit.objects.filter(status=SubjectVisitStatus.COMPLETED)
    visit_earnings = Earning.objects.filter(kind=EarningKind.VISIT)
    assert visit_earnings.count() == completed.count()
    assert set(visit_earnings.values_list("subject_visit_id", flat=True)) == set(
        completed.values_list("pk", flat=True)
    )
    assert Earning.objects.filter(kind=EarningKind.MILESTONE).count() == 4  # one SIV each
    # every run's totals are the sum of its lines, and no earning is paid twice
    for run in PaymentRun.objects.annotate(
        lines_gross=Sum("lines__gross"), lines_held=Sum("lines__holdback")
    ):
        assert (run.gross, run.holdback) == (run.lines_gross, run.lines_held)
    assert (
        PaymentRunLine.objects.filter(earning__isnull=False)
        .values("earning")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
        == 0
    )
    statuses = set(PaymentRun.objects.values_list("status", flat=True))
    assert {PaymentRunStatus.PAID, PaymentRunStatus.APPROVED} <= statuses
    for cro in Organization.objects.filter(kind=OrganizationKind.CRO):
        ready = PaymentRun.objects.filter(
            status=PaymentRunStatus.APPROVED, study_site__study__cro=cro
        )
        assert ready.exists(), f"{cro} has a run ready to pay"
    # paid invoices are in paid runs; an invoice total is the sum of its lines
    for invoice in SiteInvoice.objects.annotate(lines_total=Sum("lines__amount")):
        assert invoice.total == invoice.lines_total
    paid_lines = PaymentRunLine.objects.filter(invoice_line__invoice__status=InvoiceStatus.PAID)
    assert not paid_lines.exclude(run__status=PaymentRunStatus.PAID).exists()
    assert SiteInvoice.objects.values("status").distinct().count() >= 3
    assert PaymentDispute.objects.exists()
    # holdback is 10% per line
    line = PaymentRunLine.objects.filter(earning__isnull=False).first()
    assert line.holdback == (line.gross * Decimal("0.10")).quantize(Decimal("0.01"))


def test_seeded_signatures_match_the_signed_records():
    call_command("seed_scale", scale=TINY)

    for model in (VisitReport, SiteInvoice, PaymentRun):
        content_type = ContentType.objects.get_for_model(model)
        signatures = Signature.objects.filter(content_type=content_type)
        assert signatures.exists(), model
        for signature in signatures:
            record = model.objects.get(pk=signature.object_id)
            assert signature_is_valid(signature, record), (model, record.pk)
    # and a change to a signed record would be noticed
    run = PaymentRun.objects.filter(status=PaymentRunStatus.PAID).first()
    changed = {**run.signature_content(), "net": "0.00"}
    signature = Signature.objects.filter(object_id=run.pk, content_type__model="paymentrun").first()
    assert signature.content_hash != content_hash(changed)


def test_queries_age_like_real_ones_and_some_clocks_run():
    call_command("seed_scale", scale=TINY)

    resolved = DataQuery.objects.filter(
        status__in=[DataQueryStatus.CLOSED, DataQueryStatus.CANCELLED]
    )
    assert resolved.count() > DataQuery.objects.count() // 2
    assert not resolved.filter(resolved_at__isnull=True).exists()
    assert not DataQuery.objects.filter(
        Q(raised_at__gt=F("waiting_since")) | Q(subject_visit__status__in=["scheduled"])
    ).exists()
    assert AdverseEvent.objects.exists()
    assert AdverseEvent.objects.filter(is_serious=True).count() < AdverseEvent.objects.count()


def test_each_query_has_the_thread_that_led_to_its_status():
    call_command("seed_scale", scale=TINY)

    threads: dict[int, list[QueryMessage]] = {}
    for message in QueryMessage.objects.order_by("created_at", "pk"):
        threads.setdefault(message.data_query_id, []).append(message)
    queries = DataQuery.objects.all()
    assert set(threads) == {q.pk for q in queries}
    for query in queries:
        thread = threads[query.pk]
        assert (thread[0].action, thread[0].author_id) == ("raise", query.raised_by_id)
        status = DataQueryStatus.OPEN
        for message in thread[1:]:  # every step is a move the app allows
            assert message.from_status == status, query.pk
            assert message.action in DATA_QUERY_TRANSITIONS[status], query.pk
            status = DATA_QUERY_TRANSITIONS[status][message.action]
        assert status == query.status, query.pk
        answers = [m for m in thread if m.action == "answer"]
        if answers:  # the site's first answer is when its wait ended
            assert answers[0].created_at == query.raised_at + query.site_wait, query.pk
    assert QueryMessage.objects.filter(action="answer").exists()
    assert not QueryMessage.objects.filter(created_at__gt=timezone.now()).exists()


def test_notifications_with_digests_waiting_for_yesterday():
    call_command("seed_scale", scale=TINY)

    assert Notification.objects.count() > 4 * 12
    assert Notification.objects.filter(read_at__isnull=False).exists()
    waiting = Notification.objects.filter(delivery=Delivery.DIGEST, digest__isnull=True)
    assert waiting.exists()
    assert not waiting.filter(sent_at__isnull=False).exists()
    assert NotificationDigest.objects.filter(sent_at__isnull=False).exists()
    assert Notification.objects.filter(digest__isnull=False).exists()


@pytest.mark.parametrize("audit", ["bulk", "triggers"])
def test_every_seeded_row_has_its_insert_audit_event(audit):
    tracked = {
        model: next(t.event_model for t in model._meta.triggers if str(t.operation) == "INSERT")
        for model in apps.get_models()
        if any(str(t.operation) == "INSERT" for t in getattr(model._meta, "triggers", []))
    }
    before = {model: model.objects.count() for model in tracked}

    call_command("seed_scale", scale=TINY, audit_events=audit)

    seeded = {model for model in tracked if model.objects.count() > before[model]}
    assert {SubjectVisit, Earning, PaymentRunLine, DataQuery, MonitoringVisit} <= seeded
    for model in seeded:
        events = tracked[model].objects.filter(pgh_label="insert")
        bench = events.filter(pgh_context__metadata__reason=BENCH_REASON)
        assert bench.count() == model.objects.count() - before[model], model
        assert events.count() == model.objects.count(), model
    # an event holds the row as inserted
    visit = SubjectVisit.objects.filter(status=SubjectVisitStatus.COMPLETED).first()
    event = apps.get_model("trials", "SubjectVisitEvent").objects.get(
        pgh_obj=visit, pgh_label="insert"
    )
    assert (event.subject_id, event.actual_date, event.status) == (
        visit.subject_id,
        visit.actual_date,
        "completed",
    )


def test_nothing_that_happened_is_dated_in_the_future():
    call_command("seed_scale", scale=TINY)
    now = timezone.now()

    for model, fields in (
        (MonitoringVisit, ["created_at", "confirmed_at"]),
        (VisitReport, ["created_at", "submitted_at", "reviewed_at"]),
        (ActionItem, ["created_at", "resolved_at", "closed_at"]),
        (FollowUpLetter, ["sent_at", "acknowledged_at"]),
        (DocumentVersion, ["uploaded_at", "reviewed_at", "superseded_at"]),
        (SiteInvoice, ["created_at", "submitted_at", "approved_at"]),
        (PaymentRun, ["created_at", "approved_at", "paid_at"]),
        (DataQuery, ["raised_at", "waiting_since", "resolved_at"]),
        (AdverseEvent, ["created_at", "awareness_at", "reported_at", "acknowledged_at"]),
        (Signature, ["signed_at"]),
        (Notification, ["created_at", "sent_at", "read_at"]),
    ):
        for name in fields:
            assert not model.objects.filter(**{f"{name}__gt": now}).exists(), (model, name)
    assert (
        SubjectVisit.objects.filter(actual_date__isnull=False).aggregate(last=Max("actual_date"))[
            "last"
        ]
        < timezone.localdate()
    )


def test_one_percent_keeps_rows_per_study_site_of_the_full_run():
    full, one_percent = plan_of(1.0), plan_of(0.01)
    assert (full.study_sites, one_percent.study_sites) == (5000, 50)
    assert full.subjects / full.study_sites == one_percent.subjects / one_percent.study_sites
    # 12 visits per enrolled subject: 85% of 100,000 subjects × 12 ≈ the 1,000,000
    assert full.visits_per_subject == one_percent.visits_per_subject == 12


def test_refuses_a_database_with_non_bench_data_unless_forced():
    Organization.objects.create(kind=OrganizationKind.SITE, name="Real Site", country="US")

    with pytest.raises(CommandError, match="non-bench organizations"):
        call_command("seed_scale", scale=TINY)
    assert not Subject.objects.exists()

    call_command("seed_scale", scale=TINY, force=True)
    assert Subject.objects.count() == 50


def test_refuses_to_build_the_data_set_twice():
    call_command("seed_scale", scale=TINY)

    with pytest.raises(CommandError, match="already in this database"):
        call_command("seed_scale", scale=TINY)
    assert Subject.objects.count() == 50
    assert MonitoringVisit.objects.filter(visit_type=VisitType.SIV).count() == 4
