"""Invented regulatory demo data: required documents for the Meridian studies and documents in
every state (approved, waiting for review, rejected, expiring, missing) at their sites.

``seed(today=...)`` is idempotent: requirements are looked up by study + type + qualifier,
documents by study-site + requirement + person, and a document that already has a version gets
no new one. It runs inside seed_demo's transaction and audit context.
"""

import hashlib
import importlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.models import User
from regulatory.models import (
    Document,
    DocumentRequirement,
    DocumentScope,
    DocumentType,
    DocumentVersion,
    ReviewStatus,
)
from trials.models import StudySite

REGULATORY = "regulatory@meridian.example"
FULL_SET = (
    "protocol_signature_page",
    "form_fda_1572",
    "investigator_cv",
    "medical_licence",
    "gcp_certificate",
    "financial_disclosure",
    "irb_protocol",
    "informed_consent_form",
    "lab_certification",
    "lab_normal_ranges",
    "delegation_log",
)
REQUIREMENTS = {
    "MER-ONC-205": FULL_SET,
    "MER-CARD-301": ("irb_protocol", "gcp_certificate", "delegation_log", "informed_consent_form"),
}


@dataclass(frozen=True)
class DemoDocument:
    protocol: str
    site_number: str
    type_code: str
    status: str
    uploader: str
    expires_in: int | None = None  # days from today
    reason: str = ""
    person: str | None = None  # e-mail; None = the PI for personal documents


LAKESIDE = "coordinator@lakeside.example"
RIVERBEND = "coordinator@riverbend.example"
APPROVED, SUBMITTED, REJECTED = ReviewStatus.APPROVED, ReviewStatus.SUBMITTED, ReviewStatus.REJECTED

DOCUMENTS = (
    # MER-ONC-205 / 110 (Lakeside, activated): everything approved, the GCP certificate soon
    # to expire.
    *(
        DemoDocument("MER-ONC-205", "110", code, APPROVED, LAKESIDE, expires_in=400)
        for code in FULL_SET
        if code not in ("gcp_certificate",)
    ),
    DemoDocument("MER-ONC-205", "110", "gcp_certificate", APPROVED, LAKESIDE, expires_in=25),
    # MER-ONC-205 / 111 (Riverbend, selected): start-up under way.
    DemoDocument("MER-ONC-205", "111", "irb_protocol", SUBMITTED, RIVERBEND, expires_in=350),
    DemoDocument("MER-ONC-205", "111", "informed_consent_form", APPROVED, RIVERBEND),
    DemoDocument(
        "MER-ONC-205",
        "111",
        "delegation_log",
        REJECTED,
        RIVERBEND,
        reason="The PI's signature and date are missing on page 2.",
    ),
    DemoDocument("MER-ONC-205", "111", "lab_normal_ranges", SUBMITTED, RIVERBEND),
    # MER-CARD-301 / 101 (Lakeside, enrolling): the IRB continuing review comes up soon.
    DemoDocument("MER-CARD-301", "101", "irb_protocol", APPROVED, LAKESIDE, expires_in=45),
    DemoDocument("MER-CARD-301", "101", "delegation_log", APPROVED, LAKESIDE),
    DemoDocument("MER-CARD-301", "101", "gcp_certificate", APPROVED, LAKESIDE, expires_in=300),
    DemoDocument(
        "MER-CARD-301",
        "101",
        "informed_consent_form",
        REJECTED,
        LAKESIDE,
        reason="The footer shows version 3.0; the IRB approved version 3.1.",
    ),
    DemoDocument("MER-CARD-301", "102", "informed_consent_form", APPROVED, RIVERBEND),
    DemoDocument("MER-CARD-301", "102", "irb_protocol", APPROVED, RIVERBEND, expires_in=200),
    DemoDocument("MER-CARD-301", "102", "delegation_log", SUBMITTED, RIVERBEND),
)


def _pdf(title: str) -> bytes:
    """A tiny, valid-looking invented PDF."""
    text = f"TrialBridge demo document (invented): {title}"
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% "
        + text.encode("ascii", "replace")
        + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def _ensure_document_types() -> None:
    """The document types come from a data migration; a database emptied since (a test run's
    flush, a manual reset) gets them back, idempotently, from the same list."""
    from django.apps import apps

    migration = importlib.import_module("regulatory.migrations.0002_document_types")
    migration.seed(apps, None)


def seed(*, today: date) -> dict[str, int]:
    _ensure_document_types()
    created = {"document_requirements": 0, "documents": 0, "document_versions": 0}
    people = {u.email: u for u in User.objects.filter(email__endswith=".example")}
    reviewer = people.get(REGULATORY)
    if reviewer is None:
        return created
    types = {t.code: t for t in DocumentType.objects.all()}
    study_sites = {
        (ss.study.protocol_number, ss.site_number): ss
        for ss in StudySite.objects.select_related("study", "principal_investigator").filter(
            study__protocol_number__in=list(REQUIREMENTS)
        )
    }
    requirements: dict[tuple[str, str], DocumentRequirement] = {}
    studies = {ss.study.protocol_number: ss.study for ss in study_sites.values()}
    for protocol, codes in REQUIREMENTS.items():
        study = studies.get(protocol)
        if study is None:
            continue
        for code in codes:
            requirement, made = DocumentRequirement.objects.get_or_create(
                study=study,
                document_type=types[code],
                qualifier="",
                is_active=True,
                defaults={"scope": types[code].default_scope, "created_by": reviewer},
            )
            created["document_requirements"] += made
            requirements[(protocol, code)] = requirement

    moment = datetime.combine(today, time(9, 0), tzinfo=UTC)
    for spec in DOCUMENTS:
        study_site = study_sites.get((spec.protocol, spec.site_number))
        requirement = requirements.get((spec.protocol, spec.type_code))
        uploader = people.get(spec.uploader)
        if study_site is None or requirement is None or uploader is None:
            continue
        person = None
        if requirement.scope != DocumentScope.SITE:
            person = people.get(spec.person) if spec.person else study_site.principal_investigator
            if person is None:
                continue
        document, made = Document.objects.get_or_create(
            study_site=study_site, requirement=requirement, person=person
        )
        created["documents"] += made
        if document.current_version_id:
            continue
        title = f"{requirement.document_type.name} — {study_site}"
        content = _pdf(title)
        name = default_storage.save(
            f"regulatory/{study_site.pk}/{uuid.uuid4().hex}.pdf", ContentFile(content)
        )
        expires_on = today + timedelta(days=spec.expires_in) if spec.expires_in else None
        if requirement.document_type.expires and expires_on is None:
            expires_on = today + timedelta(days=365)
        reviewed = spec.status != SUBMITTED
        version = DocumentVersion.objects.create(
            document=document,
            version_number=1,
            file=name,
            original_filename=f"{requirement.document_type.code.replace('_', '-')}.pdf",
            content_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=uploader,
            effective_on=today - timedelta(days=30)
            if requirement.document_type.is_irb_approval
            else None,
            expires_on=expires_on,
            status=spec.status,
            reviewed_by=reviewer if reviewed else None,
            reviewed_at=moment if reviewed else None,
            review_reason=spec.reason,
        )
        document.current_version = version
        document.save(update_fields=["current_version"])
        created["document_versions"] += 1
    return created
