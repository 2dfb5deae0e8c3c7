import pytest
from rest_framework.test import APIClient

from regulatory.models import DocumentVersion
from tests.api.errors import error_of
from tests.factories import StudySiteFactory
from tests.factories.regulatory import (
    DocumentFactory,
    DocumentRequirementFactory,
    document_types,
    version_add,
)
from tests.regulatory.conftest import pdf, png


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.django_db
def test_requirement_upload_review_flow(api, tenant, regulatory):
    document_types()
    api.force_authenticate(regulatory)
    assert api.get("/api/v1/document-types/").json()["count"] == 12
    response = api.post(
        "/api/v1/document-requirements/",
        {"study": tenant.study.pk, "document_type": "delegation_log"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    requirement_id = response.json()["id"]

    api.force_authenticate(tenant.coordinator)
    response = api.post(
        "/api/v1/documents/",
        {"study_site": tenant.study_site.pk, "requirement": requirement_id, "file": png("x.pdf")},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    document = response.json()
    assert document["status"] == "submitted"
    assert document["current_version"]["content_type"] == "image/png"
    assert len(document["current_version"]["sha256"]) == 64

    response = api.post(
        "/api/v1/documents/",
        {
            "study_site": tenant.study_site.pk,
            "requirement": requirement_id,
            "file": pdf("setup.pdf", b"MZ\x90\x00 this is a program"),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in error_of(response)["fields"]

    assert api.post(f"/api/v1/documents/{document['id']}/approve/").status_code == 403

    api.force_authenticate(regulatory)
    stale = {"version": document["current_version"]["id"] + 999}
    assert api.post(f"/api/v1/documents/{document['id']}/approve/", stale).status_code == 409
    response = api.post(f"/api/v1/documents/{document['id']}/reject/", {"reason": ""})
    assert response.status_code == 400
    response = api.post(f"/api/v1/documents/{document['id']}/reject/", {"reason": "Blurred"})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert api.post(f"/api/v1/documents/{document['id']}/approve/").status_code == 409

    versions = api.get(f"/api/v1/documents/{document['id']}/versions/").json()["results"]
    assert [v["review_reason"] for v in versions] == ["Blurred"]
    download = api.get(versions[0]["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")

    checklist = api.get(f"/api/v1/study-sites/{tenant.study_site.pk}/activation/").json()
    assert checklist["complete"] is False
    keys = {item["key"]: item for item in checklist["items"]}
    assert keys["regulatory.documents_approved"]["done"] is False
    close_out = api.get(f"/api/v1/study-sites/{tenant.study_site.pk}/close-out/").json()
    assert "regulatory.documents_final" in {item["key"] for item in close_out["items"]}


@pytest.mark.django_db
def test_other_tenant_sees_nothing(api, tenant, other_tenant):
    requirement = DocumentRequirementFactory(study=tenant.study, created_by=tenant.pm)
    version = version_add(DocumentFactory(study_site=tenant.study_site, requirement=requirement))
    api.force_authenticate(other_tenant.coordinator)
    assert api.get("/api/v1/documents/").json()["count"] == 0
    assert api.get("/api/v1/document-requirements/").json()["count"] == 0
    assert api.get(f"/api/v1/documents/{version.document_id}/").status_code == 404
    assert api.get(f"/api/v1/document-versions/{version.pk}/").status_code == 404
    response = api.post(
        "/api/v1/documents/",
        {"study_site": tenant.study_site.pk, "requirement": requirement.pk, "file": pdf()},
        format="multipart",
    )
    assert response.status_code == 404
    assert DocumentVersion.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [2, 20])
def test_api_lists_run_constant_queries(api, tenant, extra, django_assert_max_num_queries):
    requirement = DocumentRequirementFactory(study=tenant.study, created_by=tenant.pm)
    for _ in range(extra):
        version_add(
            DocumentFactory(
                study_site=StudySiteFactory(study=tenant.study), requirement=requirement
            )
        )
    api.force_authenticate(tenant.pm)
    for url in ("/api/v1/documents/", "/api/v1/document-requirements/", "/api/v1/document-types/"):
        with django_assert_max_num_queries(8):
            response = api.get(url)
        assert response.status_code == 200
    assert api.get("/api/v1/documents/").json()["count"] == extra
