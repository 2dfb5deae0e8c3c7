"""Regulatory objects of a tenant for the access sweep (one of each, created on demand)."""

from regulatory.models import ReviewStatus
from tests.factories.regulatory import (
    DocumentFactory,
    DocumentRequirementFactory,
    document_type,
    version_add,
)


def _version(tenant):
    existing = getattr(tenant, "_regulatory_version", None)
    if existing is None:
        requirement = DocumentRequirementFactory(
            study=tenant.study,
            document_type=document_type("irb_amendment"),
            qualifier=f"{tenant.study.protocol_number} Amendment Zeta",
            created_by=tenant.pm,
        )
        document = DocumentFactory(study_site=tenant.study_site, requirement=requirement)
        existing = version_add(
            document,
            uploaded_by=tenant.coordinator,
            original_filename=f"{tenant.site.name} irb-zeta.pdf",
            status=ReviewStatus.SUBMITTED,
        )
        tenant._regulatory_version = existing
    return existing


OBJECT_KWARGS = {
    "document_requirement_id": lambda tenant: _version(tenant).document.requirement_id,
    "document_id": lambda tenant: _version(tenant).document_id,
    "document_version_id": lambda tenant: _version(tenant).pk,
}


def markers(tenant) -> list[str]:
    _version(tenant)
    return [f"{tenant.study.protocol_number} Amendment Zeta", f"{tenant.site.name} irb-zeta.pdf"]
