"""Factories for regulatory documents. Files are real (tiny, invented) and stored through the
default storage, so downloads work."""

import hashlib
import importlib
import uuid

import factory
from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from factory.django import DjangoModelFactory

from regulatory.models import Document, DocumentRequirement, DocumentType, DocumentVersion
from tests.factories import StudyFactory, StudySiteFactory, UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def document_types() -> None:
    """The document types the migration seeds (again, after a transactional test flushed
    them)."""
    seeded = importlib.import_module("regulatory.migrations.0002_document_types")
    if DocumentType.objects.count() < len(seeded.TYPES):
        seeded.seed(django_apps, None)


def document_type(code: str) -> DocumentType:
    """One of the document types seeded by the migration."""
    document_types()
    return DocumentType.objects.get(code=code)


class DocumentRequirementFactory(DjangoModelFactory):
    class Meta:
        model = DocumentRequirement

    study = factory.SubFactory(StudyFactory)
    document_type = factory.LazyFunction(lambda: document_type("delegation_log"))
    scope = factory.LazyAttribute(lambda o: o.document_type.default_scope)
    created_by = factory.SubFactory(UserFactory)


class DocumentFactory(DjangoModelFactory):
    class Meta:
        model = Document

    study_site = factory.SubFactory(StudySiteFactory)
    requirement = factory.SubFactory(
        DocumentRequirementFactory, study=factory.SelfAttribute("..study_site.study")
    )


def _stored_file(obj) -> str:
    return default_storage.save(
        f"regulatory/{obj.document.study_site_id}/{uuid.uuid4().hex}.pdf",
        ContentFile(obj.content),
    )


class DocumentVersionFactory(DjangoModelFactory):
    """A stored version; use ``version_add`` to make it the document's current one."""

    class Meta:
        model = DocumentVersion
        exclude = ("content",)

    content = PDF_BYTES
    document = factory.SubFactory(DocumentFactory)
    version_number = factory.Sequence(lambda n: n + 1)
    file = factory.LazyAttribute(_stored_file)
    original_filename = "delegation-log.pdf"
    content_type = "application/pdf"
    size = factory.LazyAttribute(lambda o: len(o.content))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    uploaded_by = factory.SubFactory(UserFactory)


def version_add(document: Document, **fields) -> DocumentVersion:
    """A new current version of ``document`` (the previous one is not marked superseded)."""
    version = DocumentVersionFactory(document=document, **fields)
    document.current_version = version
    document.save(update_fields=["current_version"])
    return version
