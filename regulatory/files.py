"""Uploaded files: what they really are (by content, never by name), their hash, a safe name.

Accepted: PDF, PNG, JPEG, and Office Open XML documents (Word .docx, Excel .xlsx) without
macros. Anything else — an executable renamed ``.pdf`` included — is refused.
"""

import hashlib
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings

from core.exceptions import ApplicationError

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ZIP_SIGNATURES = (b"PK\x03\x04",)


@dataclass(frozen=True)
class FileKind:
    label: str
    content_type: str
    extension: str


PDF = FileKind("PDF", "application/pdf", ".pdf")
PNG = FileKind("PNG image", "image/png", ".png")
JPEG = FileKind("JPEG image", "image/jpeg", ".jpg")
DOCX = FileKind(
    "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docx",
)
XLSX = FileKind(
    "Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"
)
ACCEPTED = (PDF, PNG, JPEG, DOCX, XLSX)
ACCEPTED_TEXT = "PDF, PNG or JPEG image, Word (.docx) or Excel (.xlsx)"


def max_upload_bytes() -> int:
    return int(getattr(settings, "REGULATORY_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message, fields={"file": [message]}, code="invalid_file")


def _office_kind(uploaded) -> FileKind | None:
    uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None  # macro-enabled documents are refused
    if any(name.startswith("word/") for name in names):
        return DOCX
    if any(name.startswith("xl/") for name in names):
        return XLSX
    return None


def sniff(uploaded) -> FileKind | None:
    """The kind of the file from its first bytes (and, for a ZIP container, its entries)."""
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(ZIP_SIGNATURES):
        kind = _office_kind(uploaded)
        uploaded.seek(0)
        return kind
    return None


def sha256_of(uploaded) -> str:
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in iter(lambda: uploaded.read(1024 * 1024), b""):
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


def clean_original_name(name: str, kind: FileKind) -> str:
    """The uploader's file name, kept as a label only: no folders, no control or shell
    characters, at most 150 characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFKC", base)
    base = re.sub(r"[^\w.\- ()]+", "_", base, flags=re.UNICODE).strip(" ._")
    return (base or f"document{kind.extension}")[:150]


def storage_name(*, study_site_id: int, kind: FileKind) -> str:
    """A generated path; the original file name never becomes part of it."""
    return f"regulatory/{study_site_id}/{uuid.uuid4().hex}{kind.extension}"


@dataclass(frozen=True)
class CheckedFile:
    kind: FileKind
    size: int
    sha256: str
    original_filename: str


def check_upload(uploaded) -> CheckedFile:
    """Refuse an empty, oversized or disallowed file; otherwise say what it is."""
    if uploaded is None:
        raise _refuse("Choose a file to upload.")
    size = getattr(uploaded, "size", None)
    if not size:
        raise _refuse("The file is empty.")
    limit = max_upload_bytes()
    if size > limit:
        raise _refuse(
            f"The file is {size / 1048576:.1f} MB; the limit is {limit / 1048576:.0f} MB."
        )
    kind = sniff(uploaded)
    if kind is None:
        raise _refuse(f"This file type is not accepted. Upload a {ACCEPTED_TEXT} file.")
    return CheckedFile(
        kind=kind,
        size=size,
        sha256=sha256_of(uploaded),
        original_filename=clean_original_name(getattr(uploaded, "name", ""), kind),
    )
