"""Builders for the work inbox tests: CROs with their people, and study-sites at a site with one
row of every kind of work waiting on the site, the CRA and CRO finance."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role, User
from monitoring.models import ActionItemOwner, VisitStatus
from payments.models import InvoiceStatus, PaymentDispute
from regulatory.models import ReviewStatus
from safety.models import AdverseEventStatus
from tests.factories import (
    CRAAssignmentFactory,
    CROFactory,
    StudyFactory,
    StudySiteFactory,
    SubjectFactory,
    member,
)
from tests.factories.feasibility import FeasibilityRequestFactory, QuestionnaireFactory
from tests.factories.monitoring import ActionItemFactory, MonitoringVisitFactory
from tests.factories.payments import (
    BudgetFactory,
    EarningFactory,
    PaymentRunFactory,
    SiteInvoiceFactory,
)
from tests.factories.queries import DataQueryFactory
from tests.factories.regulatory import (
    DocumentFactory,
    DocumentRequirementFactory,
    document_type,
    version_add,
)
from tests.factories.safety import SeriousAdverseEventFactory
from trials.models import StudySiteStatus, StudyUpdateKind
from trials.services import study_update_post

# What one study-site built by ``study_site_with_work`` puts in each inbox.
SITE_KINDS = {
    "visit_confirm",
    "action_item_due",
    "query_answer",
    "sae_clock",
    "study_update",
    "document_rejected",
    "document_expiring",
    "document_missing",
    "questionnaire_due",
    "invoice_returned",
    "payment_overdue",
}
CRA_KINDS = {"visit_date_proposed", "action_item_cra", "query_review", "sae_follow_up"}
FINANCE_KINDS = {"invoice_review", "dispute_answer"}  # the draft run waits for an approver
APPROVER_KINDS = {"invoice_review", "payment_run", "dispute_answer"}


@dataclass
class CroPeople:
    cro: object
    pm: User
    cra: User
    finance: User
    approver: User


def cro_with_people(name: str) -> CroPeople:
    cro = CROFactory(name=name)
    return CroPeople(
        cro=cro,
        pm=member(cro, Role.PROJECT_MANAGER, full_name=f"{name} PM"),
        cra=member(cro, Role.CRA, full_name=f"{name} CRA"),
        finance=member(cro, Role.FINANCE, full_name=f"{name} Finance"),
        approver=member(cro, Role.FINANCE_APPROVER, full_name=f"{name} Approver"),
    )


def _document(study_site, code: str, by: User, uploader: User, **version):
    requirement = DocumentRequirementFactory(
        study=study_site.study, document_type=document_type(code), created_by=by
    )
    document = DocumentFactory(study_site=study_site, requirement=requirement)
    version_add(document, uploaded_by=uploader, version_number=1, **version)


def study_site_with_work(people: CroPeople, site, coordinator: User):
    """A new study of ``people.cro`` at ``site`` (in start-up), with one item of every kind."""
    now = timezone.now()
    today = timezone.localdate()
    study = StudyFactory(cro=people.cro)
    study_site = StudySiteFactory(study=study, site=site, status=StudySiteStatus.CONTRACTED)
    CRAAssignmentFactory(study_site=study_site, cra=people.cra)
    subject = SubjectFactory(study_site=study_site)
    # Monitoring: a visit for the site to confirm, one whose new date the CRA must accept, an
    # action item each.
    MonitoringVisitFactory(study_site=study_site, cra=people.cra)
    MonitoringVisitFactory(
        study_site=study_site,
        cra=people.cra,
        status=VisitStatus.PROPOSED,
        proposed_at=now + dt.timedelta(days=12),
    )
    ActionItemFactory(study_site=study_site, raised_by=people.cra)
    ActionItemFactory(study_site=study_site, raised_by=people.cra, owner=ActionItemOwner.CRA)
    # Queries: one to answer (site), one answered (CRA reviews).
    DataQueryFactory(subject=subject, raised_by=people.cra)
    DataQueryFactory(subject=subject, raised_by=people.cra, status="answered")
    # Safety: an SAE clock running at the site.
    SeriousAdverseEventFactory(
        subject=subject,
        recorded_by=coordinator,
        awareness_at=now - dt.timedelta(hours=3),
        status=AdverseEventStatus.DRAFT,
    )
    # A study update to read.
    study_update_post(
        actor=people.pm,
        study=study,
        kind=StudyUpdateKind.NEWSLETTER,
        title=f"{study.protocol_number} newsletter",
        body="News.",
        study_sites=[study_site],
    )
    # Regulatory: a rejected document, an expiring one, and a required one not uploaded.
    _document(
        study_site,
        "delegation_log",
        people.pm,
        coordinator,
        status=ReviewStatus.REJECTED,
        review_reason="Unsigned.",
        reviewed_by=people.pm,
        reviewed_at=now,
    )
    _document(
        study_site,
        "lab_certification",
        people.pm,
        coordinator,
        status=ReviewStatus.APPROVED,
        reviewed_by=people.pm,
        reviewed_at=now,
        expires_on=today + dt.timedelta(days=10),
    )
    DocumentRequirementFactory(
        study=study, document_type=document_type("irb_protocol"), created_by=people.pm
    )
    # Feasibility: a questionnaire of the study, sent to the site.
    FeasibilityRequestFactory(
        questionnaire=QuestionnaireFactory(study=study, created_by=people.pm), site=site
    )
    # Payments: money overdue, an invoice sent back, one to review, a run, a dispute.
    BudgetFactory(study_site=study_site, currency=study.currency)
    earning = EarningFactory(study_site=study_site, event_date=today - dt.timedelta(days=100))
    for status, fields in (
        (InvoiceStatus.CHANGES_REQUESTED, {"review_comment": "Add the receipts."}),
        (InvoiceStatus.SUBMITTED, {}),
    ):
        SiteInvoiceFactory(
            study_site=study_site,
            created_by=coordinator,
            submitted_by=coordinator,
            submitted_at=now - dt.timedelta(days=1),
            status=status,
            total=Decimal("250.00"),
            **fields,
        )
    PaymentRunFactory(study_site=study_site, prepared_by=people.finance)
    PaymentDispute.objects.create(
        study_site=study_site, earning=earning, comment="Too low.", raised_by=coordinator
    )
    return study_site
