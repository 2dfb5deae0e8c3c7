"""Work inbox rows of the regulatory app: what the site must renew, correct or upload, and what
the CRO's regulatory specialist must review."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from core.inbox import DUE_SOON, OVERDUE, WAITING
from regulatory import inbox
from regulatory.models import DocumentScope, ReviewStatus
from tests.factories import StudyFactory, StudySiteFactory, member
from tests.factories.regulatory import (
    DocumentFactory,
    DocumentRequirementFactory,
    document_type,
    version_add,
)
from trials.models import StudySiteStatus

pytestmark = pytest.mark.django_db


def _requirement(study, code: str, created_by, **fields):
    return DocumentRequirementFactory(
        study=study, document_type=document_type(code), created_by=created_by, **fields
    )


def _document(tenant, code: str, *, study_site=None, person=None, **version):
    study_site = study_site or tenant.study_site
    requirement = _requirement(study_site.study, code, tenant.pm)
    document = DocumentFactory(study_site=study_site, requirement=requirement, person=person)
    if version.get("status", ReviewStatus.SUBMITTED) != ReviewStatus.SUBMITTED:
        version.setdefault("reviewed_at", timezone.now())
        version.setdefault("reviewed_by", tenant.pm)
    version.setdefault("version_number", 1)
    version_add(document, uploaded_by=tenant.coordinator, **version)
    return document


def _by_kind(items) -> dict[str, list]:
    kinds: dict[str, list] = {}
    for item in items:
        kinds.setdefault(item.kind, []).append(item)
    return kinds


def test_site_renews_expired_and_expiring_documents_and_re_uploads_rejected_ones(
    tenant, other_tenant
):
    today = timezone.localdate()
    _document(
        tenant,
        "delegation_log",
        status=ReviewStatus.REJECTED,
        review_reason="Page 2 is not signed.",
    )
    _document(
        tenant, "irb_protocol", status=ReviewStatus.APPROVED, expires_on=today - dt.timedelta(1)
    )
    _document(
        tenant,
        "lab_certification",
        status=ReviewStatus.APPROVED,
        expires_on=today + dt.timedelta(days=10),
    )
    _document(
        tenant,
        "lab_normal_ranges",
        status=ReviewStatus.APPROVED,
        expires_on=today + dt.timedelta(days=50),
    )
    # Waiting on the CRO's review (even if it expires soon), or valid for long: not the site's.
    _document(tenant, "informed_consent_form", expires_on=today + dt.timedelta(days=5))
    _document(
        tenant,
        "protocol_signature_page",
        status=ReviewStatus.APPROVED,
        expires_on=today + dt.timedelta(days=400),
        person=tenant.investigator,
    )

    kinds = _by_kind(inbox.site_items(tenant.coordinator))

    (rejected,) = kinds["document_rejected"]
    assert rejected.title.startswith("Upload a corrected Delegation of authority log")
    assert "Page 2 is not signed." in rejected.detail
    assert (rejected.cro_name, rejected.study_label) == (tenant.cro.name, "ALPHA-001")
    expiring = {i.title: i for i in kinds["document_expiring"]}
    assert len(expiring) == 3
    expired = next(i for t, i in expiring.items() if "expired" in t)
    assert expired.urgency == OVERDUE and expired.due == today - dt.timedelta(1)
    soon = next(i for t, i in expiring.items() if "Laboratory certification" in t)
    assert soon.urgency == DUE_SOON
    later = next(i for t, i in expiring.items() if "normal ranges" in t)
    assert later.urgency == WAITING
    assert "Informed consent" not in " ".join(expiring)
    assert inbox.site_items(other_tenant.coordinator) == []


def test_missing_required_documents_one_row_per_study_site_in_start_up(tenant):
    study_site = tenant.study_site
    study_site.status = StudySiteStatus.SELECTED
    study_site.principal_investigator = tenant.investigator
    study_site.save(update_fields=["status", "principal_investigator"])
    sub_investigator = member(tenant.site, Role.INVESTIGATOR, full_name="Sub Investigator")
    _document(tenant, "delegation_log")  # uploaded: not missing, even before its review
    _requirement(tenant.study, "form_fda_1572", tenant.pm)  # the PI's
    gcp = _requirement(tenant.study, "gcp_certificate", tenant.pm)  # each investigator's
    assert gcp.scope == DocumentScope.INVESTIGATORS
    version_add(
        DocumentFactory(study_site=study_site, requirement=gcp, person=sub_investigator),
        uploaded_by=tenant.coordinator,
    )

    (row,) = inbox.start_up_items(tenant.coordinator)
    assert row.kind == "document_missing"
    # The 1572 of the PI and the PI's GCP certificate; the sub-investigator's is uploaded.
    assert row.title == "Upload 2 missing required documents for site 101 (start-up)"
    assert "Form FDA 1572" in row.detail and "GCP" in row.detail
    assert row.url == f"/study-sites/{study_site.pk}/documents/"

    study_site.status = StudySiteStatus.ACTIVATED
    study_site.save(update_fields=["status"])
    assert inbox.start_up_items(tenant.coordinator) == []


def test_regulatory_specialist_reviews_uploads_of_their_cro_only(tenant, other_tenant, regulatory):
    document = _document(tenant, "delegation_log")
    _document(tenant, "irb_protocol", status=ReviewStatus.APPROVED)
    (row,) = inbox.cro_items(regulatory)
    assert row.kind == "document_review"
    assert row.title == "Review Delegation of authority log v1"
    assert row.url == document.get_absolute_url()
    assert "Alpha Clinic" in row.detail
    other_regulatory = member(other_tenant.cro, Role.REGULATORY)
    assert inbox.cro_items(other_regulatory) == []


def _start_up_study_sites(tenant, n: int) -> None:
    for _ in range(n):
        study = StudyFactory(cro=tenant.cro)
        study_site = StudySiteFactory(
            study=study, site=tenant.site, status=StudySiteStatus.CONTRACTED
        )
        _requirement(study, "form_fda_1572", tenant.pm)
        _requirement(study, "gcp_certificate", tenant.pm)
        _document(
            tenant,
            "delegation_log",
            study_site=study_site,
            status=ReviewStatus.REJECTED,
            review_reason="Unsigned.",
        )
        _document(tenant, "irb_protocol", study_site=study_site)


def test_query_budget_does_not_grow_with_the_rows(
    tenant, regulatory, django_assert_max_num_queries
):
    member(tenant.site, Role.INVESTIGATOR)
    _start_up_study_sites(tenant, 2)
    # Rows of versions, then their study-sites, requirements and people (and, for the CRO, the
    # uploaders) by id: 4 + 5; the start-up rows: study-sites, requirements, uploads, people.
    with django_assert_max_num_queries(13) as small:
        site_rows = inbox.site_items(tenant.coordinator) + inbox.start_up_items(tenant.coordinator)
        cro_rows = inbox.cro_items(regulatory)
    assert len(site_rows) == 4 and len(cro_rows) == 2
    _start_up_study_sites(tenant, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        site_rows = inbox.site_items(tenant.coordinator) + inbox.start_up_items(tenant.coordinator)
        cro_rows = inbox.cro_items(regulatory)
    assert len(site_rows) == 20 and len(cro_rows) == 10
