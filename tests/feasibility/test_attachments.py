"""Files a site attaches to its feasibility answers: checked by content, capped, stored under a
generated name, downloaded only through the access-checked view."""

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from feasibility import services
from feasibility.models import FeasibilityAttachment, RequestStatus
from tests.factories.regulatory import PDF_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _pdf(name="../../etc/Investigator CV.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _submit(request):
    request.status = RequestStatus.SUBMITTED
    request.submitted_at = timezone.now()
    request.save(update_fields=["status", "submitted_at"])


def test_site_attaches_a_file_and_both_sides_download_it(client, tenant, sent, candidate, settings):
    client.force_login(candidate["coordinator"])
    url = f"/feasibility/requests/{sent.pk}/attachments/"
    response = client.post(url, {"attachment-file": _pdf(), "attachment-note": "PI CV"})
    assert response.status_code == 302
    attachment = FeasibilityAttachment.objects.get()
    assert attachment.original_filename == "Investigator CV.pdf"
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF_BYTES)
    assert "CV" not in attachment.file.name and attachment.file.name.endswith(".pdf")
    assert attachment.file.name.startswith(f"feasibility/{sent.pk}/")
    page = client.get(sent.get_absolute_url()).content.decode()
    assert "Investigator CV.pdf" in page and "PI CV" in page

    download = client.get(attachment.get_download_url())
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["X-Content-Type-Options"] == "nosniff"

    client.force_login(tenant.pm)
    assert client.get(attachment.get_download_url()).status_code == 404  # draft: site only
    assert "Investigator CV.pdf" not in client.get(sent.get_absolute_url()).content.decode()
    _submit(sent)
    assert client.get(attachment.get_download_url()).status_code == 200
    assert "Investigator CV.pdf" in client.get(sent.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (_pdf("setup.pdf", b"MZ\x90\x00\x03 this is a program"), "not accepted"),
        (_pdf("empty.pdf", b""), "empty"),
        (_pdf("big.pdf", PDF_BYTES + b"0" * 4096), "limit"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    client, sent, candidate, settings, upload, message
):
    settings.FEASIBILITY_MAX_ATTACHMENT_BYTES = 2048
    client.force_login(candidate["coordinator"])
    response = client.post(
        f"/feasibility/requests/{sent.pk}/attachments/", {"attachment-file": upload}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not FeasibilityAttachment.objects.exists()
    assert _stored_files(settings) == []


def test_only_the_site_attaches_and_only_while_answering(tenant, sent, candidate, other_tenant):
    for actor in (tenant.pm, tenant.coordinator, other_tenant.coordinator):
        with pytest.raises(PermissionDenied):
            services.feasibility_attachment_add(actor=actor, request=sent, file=_pdf())
    _submit(sent)
    with pytest.raises(TransitionNotAllowed):
        services.feasibility_attachment_add(
            actor=candidate["coordinator"], request=sent, file=_pdf()
        )
    assert not FeasibilityAttachment.objects.exists()


def test_attachment_cap_per_request(sent, candidate, monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTACHMENTS_PER_REQUEST", 1)
    services.feasibility_attachment_add(actor=candidate["coordinator"], request=sent, file=_pdf())
    with pytest.raises(ApplicationError) as error:
        services.feasibility_attachment_add(
            actor=candidate["coordinator"], request=sent, file=_pdf()
        )
    assert "file" in error.value.fields
    assert FeasibilityAttachment.objects.count() == 1


def test_outsiders_get_404(client, tenant, sent, candidate, other_tenant):
    attachment = services.feasibility_attachment_add(
        actor=candidate["coordinator"], request=sent, file=_pdf()
    )
    _submit(sent)
    for outsider in (tenant.coordinator, other_tenant.pm, tenant.cra, tenant.sponsor_viewer):
        client.force_login(outsider)
        assert client.get(attachment.get_download_url()).status_code == 404
