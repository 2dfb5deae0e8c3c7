"""A closed study-site is read-only: its documents can be read and downloaded, not changed."""

import pytest
from rest_framework.test import APIClient

from core.exceptions import RecordLocked
from regulatory.models import DocumentVersion, ReviewStatus
from regulatory.services import document_version_approve, document_version_upload
from tests.api.errors import error_of
from tests.factories.regulatory import DocumentRequirementFactory, document_type
from tests.regulatory.conftest import pdf
from trials.models import StudySiteStatus

pytestmark = pytest.mark.django_db


def test_closed_site_refuses_upload_and_review_and_changes_nothing(tenant, regulatory):
    requirement = DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("delegation_log"), created_by=tenant.pm
    )
    version = document_version_upload(
        actor=tenant.coordinator,
        study_site=tenant.study_site,
        requirement=requirement,
        file=pdf(),
    )
    tenant.study_site.status = StudySiteStatus.CLOSED
    tenant.study_site.save(update_fields=["status"])

    with pytest.raises(RecordLocked):
        document_version_upload(
            actor=tenant.coordinator,
            study_site=tenant.study_site,
            requirement=requirement,
            file=pdf("v2.pdf"),
        )
    with pytest.raises(RecordLocked):
        document_version_approve(actor=regulatory, version=version)
    assert DocumentVersion.objects.count() == 1

    client = APIClient()
    client.force_authenticate(regulatory)
    document_id = version.document_id
    assert client.get(f"/api/v1/documents/{document_id}/").status_code == 200
    response = client.post(f"/api/v1/documents/{document_id}/approve/")
    assert response.status_code == 409
    assert error_of(response)["code"] == "read_only"
    version.refresh_from_db()
    assert version.status == ReviewStatus.SUBMITTED and version.reviewed_by is None
