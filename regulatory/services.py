"""Writes to regulatory documents. Each checks the actor's role for the study or study-site
(trials.access) and the allowed transition, inside one transaction that locks the row."""

from datetime import date, timedelta

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Role, User
from accounts.selectors import people_by_organization
from core.audit import audit_context, require_reason
from core.db import batches
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.notifications import Note, notify, notify_many
from regulatory.files import check_upload, storage_name
from regulatory.models import (
    REVIEW_TRANSITIONS,
    Document,
    DocumentRequirement,
    DocumentScope,
    DocumentType,
    DocumentVersion,
    ReviewStatus,
)
from trials import access
from trials.models import Study, StudySite, StudySiteStatus

# Who may do what here (trials.access.ACTIONS is the shared map; these are regulatory's own).
ACTIONS: dict[str, frozenset[str]] = {
    "document_requirement.manage": frozenset(
        {Role.ADMIN, Role.PROJECT_MANAGER, Role.REGULATORY, access.LEAD}
    ),
    "document.upload": access.SITE_ROLES,
    "document.review": frozenset({Role.REGULATORY}),
}
REMINDER_DAYS = (60, 30, 7)


def allowed(action: str, roles) -> bool:
    return bool(ACTIONS[action] & set(roles))


def _require(action: str, roles) -> None:
    if not allowed(action, roles):
        raise PermissionDenied("Your role does not allow this action.", code="permission_denied")


# --- requirements ------------------------------------------------------------------------------


@transaction.atomic
def document_requirement_add(
    *,
    actor: User,
    study: Study,
    document_type: DocumentType,
    scope: str = "",
    qualifier: str = "",
) -> DocumentRequirement:
    """Require a document of every site of the study (or of its PI / each investigator)."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    _require("document_requirement.manage", access.study_roles(actor, study))
    scope = scope or document_type.default_scope
    if scope not in DocumentScope.values:
        raise ApplicationError("Unknown scope.", fields={"scope": ["Choose who provides it."]})
    qualifier = (qualifier or "").strip()
    if DocumentRequirement.objects.filter(
        study=study, document_type=document_type, qualifier=qualifier, is_active=True
    ).exists():
        raise ApplicationError(
            "The study already requires this document.",
            fields={"qualifier": ["Already required; add a qualifier such as 'Amendment 2'."]},
        )
    try:
        with transaction.atomic():
            return DocumentRequirement.objects.create(
                study=study,
                document_type=document_type,
                scope=scope,
                qualifier=qualifier,
                created_by=actor,
            )
    except IntegrityError as exc:
        raise ApplicationError(
            "The study already requires this document.",
            fields={"qualifier": ["Already required."]},
        ) from exc


@transaction.atomic
def document_requirement_retire(
    *, actor: User, requirement: DocumentRequirement, reason: str
) -> DocumentRequirement:
    """Stop requiring a document (its uploads stay on record); a reason is required."""
    reason = require_reason(reason)
    requirement = (
        DocumentRequirement.objects.select_for_update(of=("self",))
        .select_related("study", "document_type")
        .get(pk=requirement.pk)
    )
    _require("document_requirement.manage", access.study_roles(actor, requirement.study))
    if not requirement.is_active:
        raise TransitionNotAllowed("This requirement is already retired.")
    with audit_context(reason=reason):
        requirement.is_active = False
        requirement.save(update_fields=["is_active"])
    return requirement


# --- uploads -----------------------------------------------------------------------------------


def _check_person(
    requirement: DocumentRequirement, study_site: StudySite, person: User | None
) -> User | None:
    if requirement.scope == DocumentScope.SITE:
        if person is not None:
            raise ApplicationError(
                "This document is kept once for the site, not per person.",
                fields={"person": ["Leave empty for a site document."]},
            )
        return None
    if requirement.scope == DocumentScope.PI:
        pi = study_site.principal_investigator
        if pi is None:
            raise ApplicationError(
                "Name the site's principal investigator before uploading their documents.",
                fields={"person": ["No principal investigator named."]},
            )
        if person is not None and person.pk != pi.pk:
            raise ApplicationError(
                "This document is required of the principal investigator only.",
                fields={"person": ["Choose the principal investigator."]},
            )
        return pi
    if (
        person is None
        or not Membership.objects.filter(
            user=person,
            organization_id=study_site.site_id,
            role=Role.INVESTIGATOR,
            is_active=True,
        ).exists()
    ):
        raise ApplicationError(
            "Choose one of the site's investigators.",
            fields={"person": ["Choose an investigator of this site."]},
        )
    return person


def _check_dates(
    document_type: DocumentType, effective_on: date | None, expires_on: date | None
) -> None:
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if effective_on is not None and effective_on > today:
        errors["effective_on"] = ["Enter today or an earlier date."]
    if document_type.is_irb_approval and effective_on is None:
        errors["effective_on"] = ["Enter the date the IRB/IEC approved it."]
    if document_type.expires:
        if expires_on is None:
            errors["expires_on"] = ["This document expires: enter its expiry date."]
        elif expires_on <= today:
            errors["expires_on"] = ["This document has already expired; upload a current one."]
    if expires_on is not None and effective_on is not None and expires_on <= effective_on:
        errors["expires_on"] = ["The expiry date must come after the date issued."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)


@transaction.atomic
def document_version_upload(
    *,
    actor: User,
    study_site: StudySite,
    requirement: DocumentRequirement,
    file,
    person: User | None = None,
    effective_on: date | None = None,
    expires_on: date | None = None,
    note: str = "",
) -> DocumentVersion:
    """Upload a new version of a required document; it supersedes the current one and waits
    for the CRO's review. The file is checked by content, hashed, and stored under a generated
    name; nothing is stored when it is refused."""
    study_site = (
        StudySite.objects.select_for_update(of=("self",))
        .select_related("study", "principal_investigator")
        .get(pk=study_site.pk)
    )
    _require("document.upload", access.study_site_roles(actor, study_site))
    access.require_open(study_site)
    if requirement.study_id != study_site.study_id or not requirement.is_active:
        raise ApplicationError(
            "The study does not require this document.",
            fields={"requirement": ["Choose a document the study requires."]},
        )
    person = _check_person(requirement, study_site, person)
    _check_dates(requirement.document_type, effective_on, expires_on)
    checked = check_upload(file)

    document, _ = Document.objects.get_or_create(
        study_site=study_site, requirement=requirement, person=person
    )
    document = Document.objects.select_for_update().get(pk=document.pk)
    previous = (
        DocumentVersion.objects.select_for_update().get(pk=document.current_version_id)
        if document.current_version_id
        else None
    )
    number = (previous.version_number if previous else 0) + 1
    stored = default_storage.save(
        storage_name(study_site_id=study_site.pk, kind=checked.kind), file
    )
    try:
        with transaction.atomic():
            version = DocumentVersion.objects.create(
                document=document,
                version_number=number,
                file=stored,
                original_filename=checked.original_filename,
                content_type=checked.kind.content_type,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=actor,
                effective_on=effective_on,
                expires_on=expires_on,
                note=(note or "").strip()[:300],
            )
            if previous is not None:
                previous.superseded_at = timezone.now()
                previous.save(update_fields=["superseded_at"])
            document.current_version = version
            document.save(update_fields=["current_version"])
    except Exception:
        default_storage.delete(stored)
        raise
    transaction.on_commit(lambda: _notify_reviewers(version.pk))
    return version


def _notify_reviewers(version_id: int) -> None:
    version = (
        DocumentVersion.objects.select_related(
            "document__study_site__study", "document__study_site__site", "document__requirement"
        )
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        return
    study_site = version.document.study_site
    reviewers = User.objects.filter(
        memberships__organization_id=study_site.study.cro_id,
        memberships__role=Role.REGULATORY,
        memberships__is_active=True,
    ).distinct()
    for reviewer in reviewers:
        notify(
            recipient=reviewer,
            kind="document_submitted",
            title=f"To review: {version.document} — {study_site}",
            body=f"{study_site.site.name} uploaded version {version.version_number}.",
            url=version.document.get_absolute_url(),
            dedupe_key=f"document_submitted:{version.pk}:{reviewer.pk}",
            subject=version,
        )


# --- review ------------------------------------------------------------------------------------


def _review(*, actor: User, version: DocumentVersion, to_status: str, reason: str):
    version = (
        DocumentVersion.objects.select_for_update(of=("self",))
        .select_related("document", "document__study_site", "document__study_site__study")
        .get(pk=version.pk)
    )
    study_site = version.document.study_site
    _require("document.review", access.study_site_roles(actor, study_site))
    access.require_open(study_site)
    if version.superseded_at is not None:
        raise TransitionNotAllowed(
            "A newer version was uploaded; review that one.",
            fields={"version": ["Superseded."]},
        )
    if to_status not in REVIEW_TRANSITIONS.get(version.status, ()):
        raise TransitionNotAllowed(
            f"This version is already {version.get_status_display().lower()}.",
            fields={"version": ["Already reviewed."]},
        )
    with audit_context(reason=reason or f"document version {to_status}"):
        version.status = to_status
        version.reviewed_by = actor
        version.reviewed_at = timezone.now()
        version.review_reason = reason
        version.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    uploader_id = version.uploaded_by_id
    transaction.on_commit(lambda: _notify_uploader(version.pk, uploader_id))
    return version


def _notify_uploader(version_id: int, uploader_id: int) -> None:
    version = (
        DocumentVersion.objects.select_related("document__study_site__study", "uploaded_by")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        return
    verdict = version.get_status_display().lower()
    body = f"Version {version.version_number} was {verdict}."
    if version.review_reason:
        body += f" Reason: {version.review_reason}"
    notify(
        recipient=version.uploaded_by,
        kind=f"document_{version.status}",
        title=f"{version.document} {verdict} — {version.document.study_site}",
        body=body,
        url=version.document.get_absolute_url(),
        dedupe_key=f"document_review:{version.pk}:{uploader_id}",
        subject=version,
    )


@transaction.atomic
def document_version_approve(
    *, actor: User, version: DocumentVersion, reason: str = ""
) -> DocumentVersion:
    """The CRO regulatory specialist accepts the version (an optional note)."""
    return _review(
        actor=actor, version=version, to_status=ReviewStatus.APPROVED, reason=(reason or "").strip()
    )


@transaction.atomic
def document_version_reject(
    *, actor: User, version: DocumentVersion, reason: str
) -> DocumentVersion:
    """The CRO regulatory specialist refuses the version; the site is told why."""
    reason = require_reason(reason)
    return _review(actor=actor, version=version, to_status=ReviewStatus.REJECTED, reason=reason)


# --- expiry reminders -------------------------------------------------------------------------


def _threshold(days_left: int) -> int | None:
    """The reminder step a document is in: 60, 30, 7 days before, or 0 (expired)."""
    if days_left <= 0:
        return 0
    for step in sorted(REMINDER_DAYS):
        if days_left <= step:
            return step
    return None


def document_expiry_remind(*, today: date | None = None) -> int:
    """Tell the site (coordinators, site administrators, and the person the document is about)
    and the CRO's regulatory specialists that a current document expires in 60, 30 or 7 days,
    or has expired. Once per document version, step and person (dedupe keys), so a second run
    or a missed day never sends twice. Returns the number of notifications written."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=max(REMINDER_DAYS))
    expiring = (
        DocumentVersion.objects.filter(
            superseded_at__isnull=True,
            expires_on__isnull=False,
            expires_on__lte=horizon,
            expires_on__gte=today - timedelta(days=7),
            document__requirement__is_active=True,
        )
        .exclude(status=ReviewStatus.REJECTED)
        .exclude(document__study_site__status=StudySiteStatus.CLOSED)
        .select_related(
            "document__study_site__study",
            "document__study_site__site",
            "document__requirement__document_type",
            "document__person",
        )
        .order_by("expires_on", "pk")
    )
    written = 0
    for versions in batches(expiring):  # one batch in memory at a time, whatever the data size
        written += _expiry_notify(versions, today)
    return written


def _expiry_notify(versions: list[DocumentVersion], today: date) -> int:
    """One batch: the people of its sites and CROs (one query), then its notifications, written
    at once (two statements)."""
    org_ids = {v.document.study_site.site_id for v in versions} | {
        v.document.study_site.study.cro_id for v in versions
    }
    people = people_by_organization(
        organization_ids=org_ids, roles=[Role.COORDINATOR, Role.SITE_ADMIN, Role.REGULATORY]
    )
    notes = []
    for version in versions:
        step = _threshold((version.expires_on - today).days)
        if step is None:
            continue
        study_site = version.document.study_site
        recipients = {
            user.pk: user
            for org in (study_site.site_id, study_site.study.cro_id)
            for user in people[org]
        }
        if version.document.person is not None:
            recipients[version.document.person.pk] = version.document.person
        if step == 0:
            title = f"Expired: {version.document} — {study_site}"
            body = f"It expired on {version.expires_on:%d %b %Y}; the site cannot be activated "
            body += "with an expired document. Upload the renewed one."
        else:
            title = f"Expires in {step} days or less: {version.document} — {study_site}"
            body = f"It expires on {version.expires_on:%d %b %Y}. Upload the renewed document."
        notes += [
            Note(
                recipient=user,
                kind="document_expiry",
                title=title,
                body=body,
                url=version.document.get_absolute_url(),
                dedupe_key=f"document_expiry:{version.pk}:{step}:{user.pk}",
                subject=version,
            )
            for user in recipients.values()
        ]
    return len(notify_many(notes))
