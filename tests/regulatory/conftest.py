import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from tests.factories import member
from tests.factories.regulatory import PDF_BYTES, PNG_BYTES


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files go to a temporary folder, never the developer's media root."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def regulatory(tenant):
    """The CRO's regulatory specialist."""
    return member(tenant.cro, Role.REGULATORY, full_name="Alpha Regulatory")


def office_bytes(folder: str, extra: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<doc/>")
        for name in extra:
            archive.writestr(name, "x")
    return buffer.getvalue()


def pdf(name: str = "cv.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png(name: str = "scan.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")
