"""Reads of regulatory documents for pages, the API, dashboard panels and the checklists.

Every read starts from trials.access (``scope`` / ``get_visible_or_404`` /
``visible_study_sites``). A document's status is computed from its current version and today's
date, never stored: missing, submitted, approved, rejected, expiring, expired.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role, User
from core.db import correlated_count
from regulatory.models import (
    Document,
    DocumentRequirement,
    DocumentScope,
    DocumentType,
    DocumentVersion,
    ReviewStatus,
)
from trials import access
from trials.models import Study, StudySite

EXPIRING_WITHIN_DAYS = 60
IRB_PROTOCOL = "irb_protocol"


class SlotStatus:
    MISSING = "missing"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRING = "expiring"
    EXPIRED = "expired"

    LABELS = {
        MISSING: "Missing",
        SUBMITTED: "Submitted",
        APPROVED: "Approved",
        REJECTED: "Rejected",
        EXPIRING: "Expiring",
        EXPIRED: "Expired",
    }


def version_status(version: DocumentVersion | None, today: date | None = None) -> str:
    """What a coordinator or reviewer should read for a document whose current version is
    ``version``. An expiry date on or before today makes it expired, whatever its review."""
    if version is None:
        return SlotStatus.MISSING
    today = today or timezone.localdate()
    if version.expires_on is not None and version.expires_on <= today:
        return SlotStatus.EXPIRED
    if version.status == ReviewStatus.SUBMITTED:
        return SlotStatus.SUBMITTED
    if version.status == ReviewStatus.REJECTED:
        return SlotStatus.REJECTED
    if version.expires_on is not None and version.expires_on <= today + timedelta(
        days=EXPIRING_WITHIN_DAYS
    ):
        return SlotStatus.EXPIRING
    return SlotStatus.APPROVED


@dataclass
class DocumentSlot:
    """One document a study-site owes: a requirement, for the site or for one person."""

    requirement: DocumentRequirement
    person: User | None
    document: Document | None
    status: str
    note: str = ""

    @property
    def version(self) -> DocumentVersion | None:
        return self.document.current_version if self.document else None

    @property
    def key(self) -> str:
        return f"{self.requirement.pk}:{self.person.pk if self.person else 0}"

    @property
    def label(self) -> str:
        who = f" — {self.person.printed_name}" if self.person else ""
        return f"{self.requirement.label}{who}"

    @property
    def status_label(self) -> str:
        return SlotStatus.LABELS[self.status]

    @property
    def done(self) -> bool:
        return self.status in (SlotStatus.APPROVED, SlotStatus.EXPIRING)

    @property
    def uploadable(self) -> bool:
        return not (self.requirement.scope == DocumentScope.PI and self.person is None)


def site_investigators(study_site: StudySite) -> list[User]:
    """The PI first, then the site's other active investigators (its sub-investigators)."""
    people = list(
        User.objects.filter(
            memberships__organization_id=study_site.site_id,
            memberships__role=Role.INVESTIGATOR,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("full_name", "pk")
    )
    pi = study_site.principal_investigator
    if pi is not None:
        people = [pi, *[p for p in people if p.pk != pi.pk]]
    return people


def document_slots(study_site: StudySite, today: date | None = None) -> list[DocumentSlot]:
    """Every document the study requires of this study-site, with its status. The caller has
    already checked the study-site is visible. At most three queries, whatever the counts."""
    today = today or timezone.localdate()
    requirements = list(
        DocumentRequirement.objects.filter(study_id=study_site.study_id, is_active=True)
        .select_related("document_type")
        .order_by("document_type__order", "qualifier", "pk")
    )
    if not requirements:
        return []
    investigators: list[User] = []
    if any(r.scope == DocumentScope.INVESTIGATORS for r in requirements):
        investigators = site_investigators(study_site)
    documents = {
        (d.requirement_id, d.person_id): d
        for d in Document.objects.filter(
            study_site=study_site, requirement__in=[r.pk for r in requirements]
        ).select_related("current_version", "current_version__uploaded_by", "person")
    }
    pi = study_site.principal_investigator
    slots: list[DocumentSlot] = []
    for requirement in requirements:
        if requirement.scope == DocumentScope.SITE:
            people: list[User | None] = [None]
        elif requirement.scope == DocumentScope.PI:
            people = [pi]
        else:
            people = list(investigators) or [None]
        for person in people:
            document = documents.get((requirement.pk, person.pk if person else None))
            version = document.current_version if document else None
            note = ""
            if person is None and requirement.scope != DocumentScope.SITE:
                note = (
                    "Name the principal investigator first."
                    if requirement.scope == DocumentScope.PI
                    else "The site has no investigator yet."
                )
            slots.append(
                DocumentSlot(
                    requirement=requirement,
                    person=person,
                    document=document,
                    status=version_status(version, today),
                    note=note,
                )
            )
    return slots


def irb_approval_current(slots: list[DocumentSlot]) -> tuple[bool, str]:
    """Whether the study-site holds a current IRB/IEC approval of the protocol (approved, not
    expired) and every other IRB approval the study requires (amendments) is approved too."""
    irb = [s for s in slots if s.requirement.document_type.is_irb_approval]
    protocol = [s for s in irb if s.requirement.document_type.code == IRB_PROTOCOL]
    if not protocol:
        return False, "The study does not require the IRB/IEC approval of the protocol yet."
    for slot in protocol:
        if slot.status == SlotStatus.EXPIRED:
            return False, f"The IRB/IEC approval expired on {slot.version.expires_on:%d %b %Y}."
        if not slot.done:
            return False, f"IRB/IEC approval of the protocol: {slot.status_label.lower()}."
    for slot in irb:
        if not slot.done:
            return False, f"{slot.requirement.label}: {slot.status_label.lower()}."
    due = [s.version.expires_on for s in protocol if s.version.expires_on]
    if due:
        return True, f"Approved; continuing review due {min(due):%d %b %Y}."
    return True, "Approved."


# --- lists and single objects ----------------------------------------------------------------


def document_type_list() -> QuerySet[DocumentType]:
    return DocumentType.objects.order_by("order", "name")


def document_requirement_list(
    *, actor: User, study: Study | None = None, include_retired: bool = False
) -> QuerySet[DocumentRequirement]:
    queryset = access.scope(DocumentRequirement.objects.all(), actor).select_related(
        "document_type", "study", "created_by"
    )
    if study is not None:
        queryset = queryset.filter(study=study)
    if not include_retired:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("study__protocol_number", "document_type__order", "qualifier", "pk")


def document_requirement_get(*, actor: User, document_requirement_id) -> DocumentRequirement:
    return access.get_visible_or_404(
        DocumentRequirement.objects.select_related("document_type", "study", "created_by"),
        actor,
        document_requirement_id,
    )


def _document_queryset() -> QuerySet[Document]:
    return Document.objects.select_related(
        "study_site",
        "study_site__study",
        "study_site__site",
        "requirement",
        "requirement__document_type",
        "person",
        "current_version",
        "current_version__uploaded_by",
        "current_version__reviewed_by",
    )


def document_list(*, actor: User, filters: dict | None = None) -> QuerySet[Document]:
    """Visible documents in study, site-number and document-type order. The row query joins
    only what the order needs; the current version (with its uploader and reviewer) and the
    site are fetched by id. Joining all ten tables passed Postgres' join_collapse_limit, so it
    joined every document in the database before the tenancy filter (98 ms at full scale)."""
    filters = filters or {}
    queryset = access.scope(
        Document.objects.select_related(
            "study_site__study", "requirement__document_type", "person"
        ).prefetch_related(
            "study_site__site",
            Prefetch(
                "current_version",
                queryset=DocumentVersion.objects.select_related("uploaded_by", "reviewed_by"),
            ),
        ),
        actor,
    )
    if filters.get("study_site"):
        queryset = queryset.filter(study_site_id=filters["study_site"])
    if filters.get("study"):
        queryset = queryset.filter(study_site__study_id=filters["study"])
    if filters.get("review_status"):
        queryset = queryset.filter(current_version__status=filters["review_status"])
    return queryset.order_by(
        "study_site__study__protocol_number",
        "study_site__site_number",
        "requirement__document_type__order",
        "person__full_name",
        "pk",
    )


def document_get(*, actor: User, document_id) -> Document:
    return access.get_visible_or_404(_document_queryset(), actor, document_id)


def document_version_list(*, actor: User, document: Document) -> QuerySet[DocumentVersion]:
    return (
        access.scope(DocumentVersion.objects.filter(document=document), actor)
        .select_related("uploaded_by", "reviewed_by")
        .order_by("-version_number")
    )


def document_version_get(*, actor: User, document_version_id) -> DocumentVersion:
    return access.get_visible_or_404(
        DocumentVersion.objects.select_related(
            "document",
            "document__study_site",
            "document__study_site__study",
            "document__study_site__site",
            "document__requirement",
            "document__requirement__document_type",
            "document__person",
            "uploaded_by",
            "reviewed_by",
        ),
        actor,
        document_version_id,
    )


def review_queue(*, actor: User, filters: dict | None = None) -> QuerySet[DocumentVersion]:
    """Current versions waiting for the CRO's review, oldest first."""
    filters = filters or {}
    queryset = access.scope(
        DocumentVersion.objects.filter(
            status=ReviewStatus.SUBMITTED, superseded_at__isnull=True
        ).select_related(
            "document",
            "document__study_site",
            "document__study_site__study",
            "document__study_site__site",
            "document__requirement",
            "document__requirement__document_type",
            "document__person",
            "uploaded_by",
        ),
        actor,
    )
    if filters.get("study"):
        queryset = queryset.filter(document__study_site__study_id=filters["study"])
    return queryset.order_by("uploaded_at", "pk")


def attention_list(*, actor: User, today: date | None = None) -> QuerySet[DocumentVersion]:
    """Current versions that need the site's attention: rejected, expired or expiring soon."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=EXPIRING_WITHIN_DAYS)
    return (
        access.scope(DocumentVersion.objects.filter(superseded_at__isnull=True), actor)
        .filter(
            Q(status=ReviewStatus.REJECTED) | Q(expires_on__isnull=False, expires_on__lte=horizon)
        )
        .select_related(
            "document",
            "document__study_site",
            "document__study_site__study",
            "document__requirement",
            "document__requirement__document_type",
            "document__person",
        )
        .order_by("expires_on", "uploaded_at", "pk")
    )


def versions_shown(versions: QuerySet[DocumentVersion], *also: str) -> QuerySet[DocumentVersion]:
    """Versions for a list of rows: joined only to their document; what the rows show
    (study-site with study, CRO and site; requirement with document type; person; and the
    relations named in ``also``) is fetched by id. Joining those nine tables in the row query
    went past Postgres' join_collapse_limit, so it joined every matching version in the
    database before the tenancy filter (32 ms at full bench scale for one site; 6 ms lean)."""
    return (
        versions.select_related(None)
        .select_related("document")
        .prefetch_related(
            Prefetch(
                "document__study_site",
                queryset=StudySite.objects.select_related("study__cro", "site"),
            ),
            Prefetch(
                "document__requirement",
                queryset=DocumentRequirement.objects.select_related("document_type"),
            ),
            Prefetch("document__person", queryset=User.objects.all()),
            *also,
        )
    )


def study_site_document_overview(*, actor: User) -> QuerySet[StudySite]:
    """Visible study-sites with counts of their documents by the current version's state.

    Each count is a correlated subquery, computed for the rows a page shows. Joined counts
    multiplied each study-site's documents by its study's requirements and grouped that for
    every visible study-site before the page's LIMIT (186 ms for a PM at full bench scale)."""
    today = timezone.localdate()
    horizon = today + timedelta(days=EXPIRING_WITHIN_DAYS)
    documents = Document.objects.filter(study_site=OuterRef("pk"))

    def documents_where(**current) -> Coalesce:
        return correlated_count(
            documents.filter(**{f"current_version__{k}": v for k, v in current.items()}),
            "study_site",
        )

    return (
        access.visible_study_sites(actor)
        .select_related("study", "study__cro", "site")
        .annotate(
            requirement_count=correlated_count(
                DocumentRequirement.objects.filter(study=OuterRef("study_id"), is_active=True),
                "study",
            ),
            approved_count=correlated_count(
                documents.filter(current_version__status=ReviewStatus.APPROVED).filter(
                    Q(current_version__expires_on__isnull=True)
                    | Q(current_version__expires_on__gt=today)
                ),
                "study_site",
            ),
            submitted_count=documents_where(status=ReviewStatus.SUBMITTED),
            rejected_count=documents_where(status=ReviewStatus.REJECTED),
            expiring_count=documents_where(expires_on__lte=horizon),
        )
        .order_by("study__cro__name", "study__protocol_number", "site_number")
    )
