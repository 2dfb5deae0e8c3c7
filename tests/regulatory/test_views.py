import pytest
from django.urls import reverse

from accounts.models import Role
from regulatory.models import DocumentVersion, ReviewStatus
from regulatory.services import document_version_upload
from tests.factories import StudySiteFactory, member
from tests.factories.regulatory import (
    PDF_BYTES,
    DocumentFactory,
    DocumentRequirementFactory,
    document_type,
    version_add,
)
from tests.regulatory.conftest import pdf


@pytest.fixture
def log(tenant):
    return DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("delegation_log"), created_by=tenant.pm
    )


def _grow(tenant, regulatory, n):
    """n more documents waiting for review, at n more sites of the study."""
    requirement = DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("lab_normal_ranges"), created_by=tenant.pm
    )
    for _ in range(n):
        study_site = StudySiteFactory(study=tenant.study)
        version_add(
            DocumentFactory(study_site=study_site, requirement=requirement),
            uploaded_by=tenant.coordinator,
        )


@pytest.mark.django_db
def test_coordinator_uploads_on_the_documents_page(client, tenant, log):
    client.force_login(tenant.coordinator)
    url = reverse("study_site_documents", kwargs={"study_site_id": tenant.study_site.pk})
    page = client.get(url).content.decode()
    assert "Delegation of authority log" in page and "Missing" in page

    response = client.post(url, {"slot": f"{log.pk}:0", "file": pdf("log.pdf")})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Submitted" in page and "log.pdf" in page

    response = client.post(url, {"slot": f"{log.pk}:0", "file": pdf("evil.pdf", b"MZ\x90")})
    assert response.status_code == 400
    assert "not accepted" in response.content.decode()
    assert DocumentVersion.objects.count() == 1


@pytest.mark.django_db
def test_cro_cannot_upload_and_sees_no_upload_form(client, tenant, log):
    client.force_login(tenant.pm)
    url = reverse("study_site_documents", kwargs={"study_site_id": tenant.study_site.pk})
    assert "Upload a document" not in client.get(url).content.decode()
    response = client.post(url, {"slot": f"{log.pk}:0", "file": pdf()})
    assert response.status_code == 403
    assert not DocumentVersion.objects.exists()


@pytest.mark.django_db
def test_download_is_an_access_checked_attachment(client, tenant, other_tenant, log):
    version = document_version_upload(
        actor=tenant.coordinator,
        study_site=tenant.study_site,
        requirement=log,
        file=pdf('bad"name\r\n.pdf'),
    )
    url = reverse("document_version_download", kwargs={"document_version_id": version.pk})
    client.force_login(tenant.cra)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "\n" not in disposition
    assert response["Content-Type"] == "application/pdf"
    for outsider in (other_tenant.coordinator, other_tenant.pm, other_tenant.sponsor_viewer):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        api_url = f"/api/v1/document-versions/{version.pk}/download/"
        assert client.get(api_url).status_code == 404
    client.force_login(tenant.coordinator)
    page = client.get(
        reverse("study_site_documents", kwargs={"study_site_id": tenant.study_site.pk})
    ).content.decode()
    assert version.file.name not in page


@pytest.mark.django_db
def test_review_queue_approves_in_place_with_htmx(client, tenant, log, regulatory):
    version = document_version_upload(
        actor=tenant.coordinator, study_site=tenant.study_site, requirement=log, file=pdf()
    )
    client.force_login(regulatory)
    assert "Delegation of authority log" in client.get("/documents/review/").content.decode()
    url = reverse("document_version_review", kwargs={"document_version_id": version.pk})

    response = client.post(url, {"decision": "reject", "reason": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()
    assert "<html" not in response.content.decode()

    response = client.post(url, {"decision": "approve"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Approved" in response.content.decode()
    version.refresh_from_db()
    assert version.status == ReviewStatus.APPROVED
    assert "Nothing waiting" in client.get("/documents/review/").content.decode()


@pytest.mark.django_db
def test_coordinator_cannot_review(client, tenant, log):
    version = document_version_upload(
        actor=tenant.coordinator, study_site=tenant.study_site, requirement=log, file=pdf()
    )
    client.force_login(tenant.coordinator)
    url = reverse("document_version_review", kwargs={"document_version_id": version.pk})
    assert client.post(url, {"decision": "approve"}).status_code == 403
    version.refresh_from_db()
    assert version.status == ReviewStatus.SUBMITTED


@pytest.mark.django_db
def test_requirements_page_adds_and_retires(client, tenant, regulatory):
    client.force_login(regulatory)
    url = reverse("document_requirements", kwargs={"study_id": tenant.study.pk})
    gcp = document_type("gcp_certificate")
    assert client.post(url, {"document_type": gcp.pk}).status_code == 302
    response = client.post(url, {"document_type": gcp.pk})
    assert response.status_code == 400 and "Already required" in response.content.decode()
    requirement = tenant.study.document_requirements.get()
    retire = reverse(
        "document_requirement_retire", kwargs={"document_requirement_id": requirement.pk}
    )
    client.post(retire, {"reason": "Covered by the sponsor"})
    requirement.refresh_from_db()
    assert not requirement.is_active
    client.force_login(tenant.coordinator)
    assert client.post(url, {"document_type": gcp.pk}).status_code == 403


@pytest.mark.django_db
def test_activation_page_shows_every_registered_item(client, tenant, log):
    client.force_login(tenant.coordinator)
    url = reverse("study_site_activation", kwargs={"study_site_id": tenant.study_site.pk})
    page = client.get(url).content.decode()
    assert "Required documents approved (0 of 1)" in page
    assert "IRB approval current" in page and "No expired documents" in page
    assert reverse("study_site_detail", kwargs={"study_site_id": tenant.study_site.pk}) in page
    page = client.get(
        reverse("study_site_close_out", kwargs={"study_site_id": tenant.study_site.pk})
    ).content.decode()
    assert "Documents final" in page


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [2, 20])
def test_list_pages_run_constant_queries(
    client, tenant, regulatory, extra, django_assert_max_num_queries
):
    _grow(tenant, regulatory, extra)
    member(tenant.site, Role.INVESTIGATOR)
    DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("investigator_cv"), created_by=tenant.pm
    )
    client.force_login(regulatory)
    for url in (
        "/documents/review/",
        "/documents/",
        f"/studies/{tenant.study.pk}/documents/",
        f"/study-sites/{tenant.study_site.pk}/documents/",
        f"/study-sites/{tenant.study_site.pk}/activation/",
        "/",
    ):
        with django_assert_max_num_queries(25):
            response = client.get(url)
        assert response.status_code == 200, url
    client.force_login(tenant.coordinator)
    with django_assert_max_num_queries(25):
        assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_dashboard_panels_show_rejected_documents_and_the_review_queue(
    client, tenant, log, regulatory
):
    version = document_version_upload(
        actor=tenant.coordinator, study_site=tenant.study_site, requirement=log, file=pdf()
    )
    client.force_login(regulatory)
    page = client.get("/").content.decode()
    assert "Documents to review" in page and "Delegation of authority log" in page
    client.post(
        reverse("document_version_review", kwargs={"document_version_id": version.pk}),
        {"decision": "reject", "reason": "Unsigned"},
    )
    client.force_login(tenant.coordinator)
    page = client.get("/").content.decode()
    assert "Documents expiring or rejected" in page
    assert "Delegation of authority log" in page and "Rejected" in page
