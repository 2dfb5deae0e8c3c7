"""Upload validation: type by content, size limit, empty files, hashes, generated names."""

import hashlib
import os

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from core.exceptions import ApplicationError
from regulatory.models import DocumentVersion
from regulatory.services import document_version_upload
from tests.factories.regulatory import PDF_BYTES, DocumentRequirementFactory, document_type
from tests.regulatory.conftest import office_bytes, pdf, png

EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


@pytest.fixture
def requirement(tenant):
    return DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("delegation_log"), created_by=tenant.pm
    )


def _upload(tenant, requirement, file):
    return document_version_upload(
        actor=tenant.coordinator, study_site=tenant.study_site, requirement=requirement, file=file
    )


def _stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


@pytest.mark.django_db
def test_pdf_is_stored_under_a_generated_name_with_its_hash(tenant, requirement):
    version = _upload(tenant, requirement, pdf("../../etc/passwd;rm -rf.pdf"))

    assert version.content_type == "application/pdf"
    assert version.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert version.size == len(PDF_BYTES)
    assert "passwd" not in version.file.name and ".." not in version.file.name
    assert version.file.name.startswith(f"regulatory/{tenant.study_site.pk}/")
    assert "/" not in version.original_filename and ";" not in version.original_filename
    assert version.original_filename.endswith("passwd_rm -rf.pdf")
    with default_storage.open(version.file.name, "rb") as handle:
        assert handle.read() == PDF_BYTES


@pytest.mark.django_db
def test_png_bytes_named_pdf_are_recorded_as_png(tenant, requirement):
    version = _upload(tenant, requirement, png("looks-like.pdf"))
    assert version.content_type == "image/png"
    assert version.file.name.endswith(".png")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("folder", "content_type"),
    [
        ("word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("xl", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_office_documents_are_recognised_by_their_entries(
    tenant, requirement, folder, content_type
):
    file = SimpleUploadedFile("log.bin", office_bytes(folder))
    assert _upload(tenant, requirement, file).content_type == content_type


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cv.pdf", EXE_BYTES, "not accepted"),
        ("cv.pdf", b"", "empty"),
        ("notes.txt", b"plain text pretending", "not accepted"),
        ("archive.docx", office_bytes("other"), "not accepted"),
        ("macro.docx", office_bytes("word", ("word/vbaProject.bin",)), "not accepted"),
        ("broken.docx", b"PK\x03\x04garbage", "not accepted"),
    ],
)
def test_refused_files_store_nothing(tenant, requirement, settings, name, content, message):
    with pytest.raises(ApplicationError) as error:
        _upload(tenant, requirement, SimpleUploadedFile(name, content))
    assert message in error.value.fields["file"][0]
    assert not DocumentVersion.objects.exists()
    assert _stored_files(settings) == []


@pytest.mark.django_db
def test_oversized_file_is_refused(tenant, requirement, settings):
    settings.REGULATORY_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ApplicationError) as error:
        _upload(tenant, requirement, pdf(content=PDF_BYTES + b"0" * 100))
    assert "limit" in error.value.fields["file"][0]
    assert not DocumentVersion.objects.exists()
    assert _stored_files(settings) == []
