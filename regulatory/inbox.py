"""Work inbox rows of the regulatory app (registered in RegulatoryConfig.ready()).

Site side: documents expired or expiring soon, documents the CRO rejected (upload a corrected
version), and the required documents still missing at study-sites in start-up (one row per
study-site). CRO side: uploads waiting for the regulatory specialist's review. Every read starts
from the app's selectors (trials.access); a constant number of queries, capped.
"""

from collections import defaultdict
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from core.inbox import CAP, DUE_SOON, OVERDUE, WAITING, InboxItem
from regulatory import selectors
from regulatory.models import Document, DocumentRequirement, DocumentScope
from regulatory.selectors import SlotStatus
from trials import access
from trials.models import StudySiteStatus

KINDS_SITE = {
    "document_expiring": "Documents expiring or expired",
    "document_rejected": "Documents to re-upload",
}
KINDS_START_UP = {"document_missing": "Required documents missing"}
KINDS_CRO = {"document_review": "Documents to review"}

START_UP_STATUSES = (StudySiteStatus.SELECTED, StudySiteStatus.CONTRACTED)
EXPIRY_SOON_DAYS = 14
MISSING_NAMES_SHOWN = 2


def _where(study_site) -> dict:
    study = study_site.study
    return {
        "cro_name": study.cro.name,
        "cro_id": study.cro_id,
        "study_label": study.protocol_number,
        "study_id": study.pk,
    }


def _attention_items(actor, today) -> list[InboxItem]:
    versions = selectors.versions_shown(selectors.attention_list(actor=actor, today=today))[:CAP]
    items = []
    for version in versions:
        document = version.document
        study_site = document.study_site
        status = selectors.version_status(version, today)
        site = f"Site {study_site.site_number}"
        if status == SlotStatus.REJECTED:
            items.append(
                InboxItem(
                    key=f"regulatory.document_rejected:{version.pk}",
                    kind="document_rejected",
                    title=f"Upload a corrected {document}: version {version.version_number} "
                    "was rejected",
                    url=document.get_absolute_url(),
                    urgency=DUE_SOON,
                    detail=f"{site} · {version.review_reason}",
                    since=version.reviewed_at or version.uploaded_at,
                    **_where(study_site),
                )
            )
        elif status in (SlotStatus.EXPIRED, SlotStatus.EXPIRING):
            expired = status == SlotStatus.EXPIRED
            soon = version.expires_on <= today + timedelta(days=EXPIRY_SOON_DAYS)
            items.append(
                InboxItem(
                    key=f"regulatory.document_expiring:{version.pk}",
                    kind="document_expiring",
                    title=(
                        f"Renew the expired {document}"
                        if expired
                        else f"Renew the {document} before it expires"
                    ),
                    url=document.get_absolute_url(),
                    due=version.expires_on,
                    urgency=OVERDUE if expired else (DUE_SOON if soon else WAITING),
                    detail=f"{site} · expires {version.expires_on:%d %b %Y}",
                    since=version.uploaded_at,
                    **_where(study_site),
                )
            )
        # A version still under review is waiting on the CRO, not on the site.
    return items


def _missing_items(actor) -> list[InboxItem]:
    """Required documents with no upload yet, per study-site in start-up (four queries)."""
    study_sites = list(
        access.visible_study_sites(actor)
        .filter(status__in=START_UP_STATUSES)
        .select_related("study__cro", "site")
        .order_by("study__protocol_number", "site_number", "pk")[:CAP]
    )
    if not study_sites:
        return []
    requirements: dict[int, list[DocumentRequirement]] = defaultdict(list)
    for requirement in selectors.document_requirement_list(actor=actor).filter(
        study_id__in={s.study_id for s in study_sites}
    ):
        requirements[requirement.study_id].append(requirement)
    uploaded = set(
        Document.objects.filter(
            study_site__in=[s.pk for s in study_sites], current_version__isnull=False
        ).values_list("study_site_id", "requirement_id", "person_id")
    )
    investigators: dict[int, list[int]] = defaultdict(list)
    if any(r.scope == DocumentScope.INVESTIGATORS for rows in requirements.values() for r in rows):
        for site_id, user_id in (
            Membership.objects.filter(
                organization_id__in={s.site_id for s in study_sites},
                role=Role.INVESTIGATOR,
                is_active=True,
            )
            .order_by("user_id")
            .values_list("organization_id", "user_id")
        ):
            investigators[site_id].append(user_id)
    items = []
    for study_site in study_sites:
        missing: list[str] = []
        for requirement in requirements.get(study_site.study_id, []):
            pi = study_site.principal_investigator_id
            if requirement.scope == DocumentScope.SITE:
                people = [None]
            elif requirement.scope == DocumentScope.PI:
                people = [pi]
            else:
                named = [pi, *investigators[study_site.site_id]]
                people = list(dict.fromkeys(p for p in named if p is not None)) or [None]
            for person in people:
                if (study_site.pk, requirement.pk, person) not in uploaded:
                    missing.append(requirement.label)
        if not missing:
            continue
        names = list(dict.fromkeys(missing))
        shown = ", ".join(names[:MISSING_NAMES_SHOWN])
        if len(names) > MISSING_NAMES_SHOWN:
            shown += f" and {len(names) - MISSING_NAMES_SHOWN} more"
        count = len(missing)
        items.append(
            InboxItem(
                key=f"regulatory.document_missing:{study_site.pk}",
                kind="document_missing",
                title=f"Upload {count} missing required document{'s' if count != 1 else ''} "
                f"for site {study_site.site_number} (start-up)",
                url=reverse("study_site_documents", kwargs={"study_site_id": study_site.pk}),
                urgency=WAITING,
                detail=shown,
                since=study_site.created_at,
                **_where(study_site),
            )
        )
    return items


def site_items(actor) -> list[InboxItem]:
    """Documents to renew or to correct."""
    return _attention_items(actor, timezone.localdate())


def start_up_items(actor) -> list[InboxItem]:
    """Required documents still missing at study-sites in start-up."""
    return _missing_items(actor)


def cro_items(actor) -> list[InboxItem]:
    versions = selectors.versions_shown(selectors.review_queue(actor=actor), "uploaded_by")[:CAP]
    return [
        InboxItem(
            key=f"regulatory.document_review:{version.pk}",
            kind="document_review",
            title=f"Review {version.document} v{version.version_number}",
            url=version.document.get_absolute_url(),
            urgency=DUE_SOON
            if timezone.now() - version.uploaded_at > timedelta(days=5)
            else WAITING,
            detail=(
                f"{version.document.study_site.site.name} "
                f"(site {version.document.study_site.site_number}) · uploaded by "
                f"{version.uploaded_by}"
            ),
            since=version.uploaded_at,
            **_where(version.document.study_site),
        )
        for version in versions
    ]
