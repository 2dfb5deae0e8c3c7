"""Writes to the trial model. Each checks the actor's role and the allowed transition, inside
one transaction that locks the row."""

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization, OrganizationKind, Role, User
from accounts.selectors import organization_roles
from core.audit import audit_context, require_reason
from core.events import publish
from core.exceptions import ApplicationError, TransitionNotAllowed
from trials import access
from trials.models import (
    STUDY_SITE_TRANSITIONS,
    CRAAssignment,
    Milestone,
    MilestoneKind,
    Phase,
    Study,
    StudySite,
    StudySiteStatus,
    StudyTeamMember,
    TeamRole,
    VisitDefinition,
)

STUDY_EDITABLE_FIELDS = (
    "title",
    "phase",
    "therapeutic_area",
    "planned_sites",
    "planned_subjects",
    "diversity_goals",
)


def _validate_study_fields(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "title" in data and not str(data["title"]).strip():
        errors["title"] = ["Enter the study title."]
    if "phase" in data and data["phase"] not in Phase.values:
        errors["phase"] = [f"Choose one of {', '.join(Phase.values)}."]
    for field in ("planned_sites", "planned_subjects"):
        if field in data:
            value = data[field]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                errors[field] = ["Enter a whole number, 0 or more."]
    if "currency" in data:
        code = str(data["currency"] or "")
        if len(code) != 3 or not code.isalpha() or not code.isupper():
            errors["currency"] = ["Enter a three-letter ISO 4217 code such as USD or EUR."]
    if "diversity_goals" in data:
        goals = data["diversity_goals"]
        if not isinstance(goals, dict) or any(
            not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 100
            for v in goals.values()
        ):
            errors["diversity_goals"] = ["Give each category a goal between 0 and 100 percent."]
    return errors


@transaction.atomic
def study_create(
    *,
    actor: User,
    cro: Organization,
    sponsor: Organization,
    protocol_number: str,
    title: str,
    phase: str,
    therapeutic_area: str,
    currency: str,
    planned_sites: int = 0,
    planned_subjects: int = 0,
    diversity_goals: dict | None = None,
) -> Study:
    access.require("study.create", organization_roles(actor).get(cro.pk, set()))
    data = {
        "title": title,
        "phase": phase,
        "planned_sites": planned_sites,
        "planned_subjects": planned_subjects,
        "currency": (currency or "").upper(),
        "diversity_goals": diversity_goals or {},
    }
    errors = _validate_study_fields(data)
    protocol_number = (protocol_number or "").strip()
    if not protocol_number:
        errors["protocol_number"] = ["Enter the protocol number."]
    if sponsor.kind != OrganizationKind.SPONSOR:
        errors["sponsor"] = ["Choose a sponsor organization."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    if Study.objects.filter(cro=cro, protocol_number=protocol_number).exists():
        raise ApplicationError(
            "Your organization already has a study with this protocol number.",
            fields={"protocol_number": ["Already used by another of your studies."]},
        )
    try:
        with transaction.atomic():
            study = Study.objects.create(
                cro=cro,
                sponsor=sponsor,
                protocol_number=protocol_number,
                therapeutic_area=(therapeutic_area or "").strip(),
                **data,
            )
    except IntegrityError as exc:  # a concurrent create took the protocol number first
        raise ApplicationError(
            "Your organization already has a study with this protocol number.",
            fields={"protocol_number": ["Already used by another of your studies."]},
        ) from exc
    StudyTeamMember.objects.create(study=study, user=actor, role=TeamRole.LEAD)
    return study


@transaction.atomic
def study_update(*, actor: User, study: Study, reason: str, **changes: Any) -> Study:
    """Edit a study's entered data; a reason is required and recorded in the audit trail."""
    reason = require_reason(reason)
    study = Study.objects.select_for_update().get(pk=study.pk)
    access.require("study.manage", access.study_roles(actor, study))
    unknown = set(changes) - set(STUDY_EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            f"These fields cannot be changed here: {', '.join(sorted(unknown))}."
        )
    errors = _validate_study_fields(changes)
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    with audit_context(reason=reason):
        for field, value in changes.items():
            setattr(study, field, value.strip() if isinstance(value, str) else value)
        study.save(update_fields=list(changes) or None)
    return study


@transaction.atomic
def study_site_add(
    *,
    actor: User,
    study: Study,
    site: Organization,
    site_number: str,
    enrollment_target: int = 0,
    principal_investigator: User | None = None,
) -> StudySite:
    access.require("study_site.manage", access.study_roles(actor, study))
    errors: dict[str, list[str]] = {}
    site_number = (site_number or "").strip()
    if not site_number:
        errors["site_number"] = ["Enter the site number."]
    if site.kind != OrganizationKind.SITE:
        errors["site"] = ["Choose a research site."]
    if enrollment_target < 0:
        errors["enrollment_target"] = ["Enter a whole number, 0 or more."]
    if (
        principal_investigator is not None
        and not principal_investigator.memberships.filter(
            organization=site, role=Role.INVESTIGATOR, is_active=True
        ).exists()
    ):
        errors["principal_investigator"] = ["The PI must be an investigator of this site."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    try:
        with transaction.atomic():
            return StudySite.objects.create(
                study=study,
                site=site,
                site_number=site_number,
                enrollment_target=enrollment_target,
                principal_investigator=principal_investigator,
            )
    except IntegrityError as exc:
        raise ApplicationError(
            "This site or site number is already part of the study.",
            fields={"site_number": ["Site number or site already used in this study."]},
        ) from exc


@transaction.atomic
def study_site_assign_cra(*, actor: User, study_site: StudySite, cra: User) -> CRAAssignment:
    study_site = StudySite.objects.select_for_update().select_related("study").get(pk=study_site.pk)
    access.require("study_site.manage", access.study_site_roles(actor, study_site))
    if Role.CRA not in organization_roles(cra).get(study_site.study.cro_id, set()):
        raise ApplicationError(
            "Only a CRA of the study's CRO can be assigned.", fields={"cra": ["Not a CRA here."]}
        )
    assignment, _ = CRAAssignment.objects.get_or_create(study_site=study_site, cra=cra)
    return assignment


@transaction.atomic
def study_site_transition(
    *, actor: User, study_site: StudySite, to_status: str, reason: str = ""
) -> StudySite:
    study_site = StudySite.objects.select_for_update().select_related("study").get(pk=study_site.pk)
    access.require("study_site.manage", access.study_site_roles(actor, study_site))
    if to_status not in STUDY_SITE_TRANSITIONS.get(study_site.status, ()):
        raise TransitionNotAllowed(
            f"A {study_site.get_status_display().lower()} site cannot become {to_status}.",
            fields={"to_status": ["This change is not allowed."]},
        )
    with audit_context(reason=reason or f"status → {to_status}"):
        study_site.status = to_status
        study_site.save(update_fields=["status"])
    return study_site


@transaction.atomic
def visit_definition_add(
    *,
    actor: User,
    study: Study,
    code: str,
    name: str,
    day_offset: int,
    window_before: int = 0,
    window_after: int = 0,
) -> VisitDefinition:
    access.require("study.manage", access.study_roles(actor, study))
    errors: dict[str, list[str]] = {}
    if not (code or "").strip():
        errors["code"] = ["Enter a short code, e.g. V2."]
    if not (name or "").strip():
        errors["name"] = ["Enter the visit name."]
    if window_before < 0 or window_after < 0:
        errors["window_before" if window_before < 0 else "window_after"] = [
            "A window cannot be negative."
        ]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    if VisitDefinition.objects.filter(study=study, code=code.strip()).exists():
        raise ApplicationError(
            "This visit code is already in the schedule.", fields={"code": ["Already used."]}
        )
    order = VisitDefinition.objects.filter(study=study).count() + 1
    return VisitDefinition.objects.create(
        study=study,
        code=code.strip(),
        name=name.strip(),
        day_offset=day_offset,
        window_before=window_before,
        window_after=window_after,
        order=order,
    )


@transaction.atomic
def milestone_record(
    *,
    actor: User,
    study_site: StudySite,
    kind: str,
    actual_date: date,
    reason: str = "",
) -> Milestone:
    """Record that a study-site reached a milestone (SIV, FPI, COV …) on a date.

    Publishes ``milestone.reached`` (milestone_id) after commit, once per milestone: recording
    the same date again changes nothing; correcting the date needs a reason.
    """
    access.require("milestone.record", access.study_site_roles(actor, study_site))
    if kind not in MilestoneKind.values:
        raise ApplicationError("Unknown milestone.", fields={"kind": ["Choose a milestone."]})
    if actual_date > timezone.localdate():
        raise ApplicationError(
            "A milestone cannot be reached in the future.",
            fields={"actual_date": ["Enter today or an earlier date."]},
        )
    milestone, _ = Milestone.objects.select_for_update().get_or_create(
        study_id=study_site.study_id, study_site=study_site, kind=kind
    )
    if milestone.actual_date == actual_date:
        return milestone
    first_time = milestone.actual_date is None
    if not first_time:
        reason = require_reason(reason)
    with audit_context(reason=reason or f"{milestone.get_kind_display()} reached"):
        milestone.actual_date = actual_date
        milestone.save(update_fields=["actual_date"])
    if first_time:
        publish("milestone.reached", milestone_id=milestone.pk)
    return milestone


__all__ = [
    "milestone_record",
    "StudySiteStatus",
    "study_create",
    "study_site_add",
    "study_site_assign_cra",
    "study_site_transition",
    "study_update",
    "visit_definition_add",
]
