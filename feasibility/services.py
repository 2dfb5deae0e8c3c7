"""Writes in feasibility. Each checks the actor's role (feasibility.access) and the allowed
transition (models.REQUEST_TRANSITIONS), inside one transaction that locks the row."""

import uuid
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Membership, Organization, OrganizationKind, User
from core.audit import audit_context, require_reason
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.notifications import notify
from feasibility import access, prefill
from feasibility.models import (
    CHOICE_KINDS,
    OPEN_STATUSES,
    REQUEST_TRANSITIONS,
    Answer,
    AnswerSource,
    FeasibilityAttachment,
    FeasibilityRequest,
    ProfileField,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireItem,
    QuestionnaireStatus,
    RequestStatus,
)
from feasibility.scoring import (
    ValueRejected,
    clean_rule,
    clean_value,
    score_item,
    total,
)
from regulatory.files import check_upload
from trials import services as trial_services
from trials.models import Study, StudySiteStatus

REMINDER_DAYS = (3, 1)


def _site_people(site_id: int) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organization_id=site_id, is_active=True, role__in=access.SITE_NOTIFY_ROLES
        )
        .select_related("user")
        .order_by("user_id")
        .distinct("user_id")
    ]


def _transition_check(request: FeasibilityRequest, to_status: str) -> None:
    if to_status not in REQUEST_TRANSITIONS.get(request.status, ()):
        raise TransitionNotAllowed(
            f"A request that is “{request.get_status_display().lower()}” cannot become "
            f"“{RequestStatus(to_status).label.lower()}”."
        )


# --- question bank ---------------------------------------------------------------------------


@transaction.atomic
def question_create(
    *,
    actor: User,
    owner: Organization,
    text: str,
    kind: str,
    options: list[str] | None = None,
    help_text: str = "",
    profile_field: str = "",
    reuse_answers: bool = True,
) -> Question:
    """Add a question to a CRO's bank. Its canonical key is the key of its wording, so the same
    wording at another CRO is recognized as the same question (and pre-fills)."""
    if owner.kind != OrganizationKind.CRO or owner.pk not in access.question_bank_owner_ids(actor):
        raise PermissionDenied("Only a CRO project manager or administrator adds questions.")
    errors: dict[str, list[str]] = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = ["Enter the question."]
    if kind not in QuestionKind.values:
        errors["kind"] = ["Choose a question type."]
    cleaned_options = []
    for option in options or []:
        option = str(option).strip()
        if option and option not in cleaned_options:
            cleaned_options.append(option[:100])
    if kind in CHOICE_KINDS and len(cleaned_options) < 2:
        errors["options"] = ["Give at least two options."]
    if kind not in CHOICE_KINDS and cleaned_options:
        errors["options"] = ["Only choice questions have options."]
    if profile_field not in ProfileField.values:
        errors["profile_field"] = ["Choose a profile field or none."]
    key = slugify(text)[:80].strip("-")
    if text and not key:
        errors["text"] = ["Use some letters or digits in the question."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    if Question.objects.filter(
        Q(owner__isnull=True) | Q(owner=owner), Q(key=key) | Q(text__iexact=text)
    ).exists():
        raise ApplicationError(
            "This question is already in the bank.",
            fields={"text": ["The same question is already in the bank: use that one."]},
        )
    try:
        with transaction.atomic():
            return Question.objects.create(
                owner=owner,
                key=key,
                text=text,
                kind=kind,
                options=cleaned_options,
                help_text=(help_text or "").strip(),
                profile_field=profile_field,
                reuse_answers=reuse_answers,
            )
    except IntegrityError as exc:
        raise ApplicationError(
            "This question is already in the bank.", fields={"text": ["Already in the bank."]}
        ) from exc


# --- questionnaires --------------------------------------------------------------------------


@transaction.atomic
def questionnaire_create(
    *, actor: User, study: Study, title: str, instructions: str = ""
) -> Questionnaire:
    access.require_manage(actor, study)
    title = (title or "").strip()
    if not title:
        raise ApplicationError("Enter a title.", fields={"title": ["Enter a title."]})
    return Questionnaire.objects.create(
        study=study, title=title[:200], instructions=(instructions or "").strip(), created_by=actor
    )


@transaction.atomic
def questionnaire_item_add(
    *,
    actor: User,
    questionnaire: Questionnaire,
    question: Question,
    weight: int = 0,
    rule: dict | None = None,
    required: bool = True,
) -> QuestionnaireItem:
    """Add a bank question to a draft questionnaire, with its weight and scoring rule."""
    questionnaire = (
        Questionnaire.objects.select_for_update().select_related("study").get(pk=questionnaire.pk)
    )
    access.require_manage(actor, questionnaire.study)
    if questionnaire.status != QuestionnaireStatus.DRAFT:
        raise TransitionNotAllowed(
            "This questionnaire has been sent; its questions can no longer change."
        )
    if question.owner_id not in (None, questionnaire.study.cro_id):
        raise ApplicationError(
            "Choose a question from your bank.", fields={"question": ["Unknown."]}
        )
    errors: dict[str, list[str]] = {}
    if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 100:
        errors["weight"] = ["Enter a whole number from 0 to 100."]
    try:
        rule = clean_rule(question.kind, question.options, rule)
    except ValueRejected as exc:
        errors["rule"] = [str(exc)]
    if not errors and rule and not weight:
        errors["weight"] = ["A scored question needs a weight above 0."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    if QuestionnaireItem.objects.filter(questionnaire=questionnaire, question=question).exists():
        raise ApplicationError(
            "This question is already in the questionnaire.",
            fields={"question": ["Already in the questionnaire."]},
        )
    order = (
        QuestionnaireItem.objects.filter(questionnaire=questionnaire).aggregate(m=Max("order"))["m"]
        or 0
    ) + 1
    return QuestionnaireItem.objects.create(
        questionnaire=questionnaire,
        question=question,
        order=order,
        weight=weight if rule else 0,
        rule=rule,
        required=required,
    )


@transaction.atomic
def questionnaire_send(
    *,
    actor: User,
    questionnaire: Questionnaire,
    sites: list[Organization],
    due_date: date,
) -> list[FeasibilityRequest]:
    """Send the questionnaire to the chosen sites with a due date; their people are told."""
    questionnaire = (
        Questionnaire.objects.select_for_update().select_related("study").get(pk=questionnaire.pk)
    )
    access.require_manage(actor, questionnaire.study)
    errors: dict[str, list[str]] = {}
    if not QuestionnaireItem.objects.filter(questionnaire=questionnaire).exists():
        errors["sites"] = ["Add at least one question before sending."]
    if not sites:
        errors["sites"] = ["Choose at least one site."]
    if any(site.kind != OrganizationKind.SITE for site in sites):
        errors["sites"] = ["Only research sites can be asked."]
    if due_date is None or due_date <= timezone.localdate():
        errors["due_date"] = ["Choose a due date after today."]
    if errors:
        raise ApplicationError("Please correct the fields below.", fields=errors)
    already = set(
        FeasibilityRequest.objects.filter(questionnaire=questionnaire, site__in=sites).values_list(
            "site__name", flat=True
        )
    )
    in_study = set(
        questionnaire.study.study_sites.filter(site__in=sites).values_list("site__name", flat=True)
    )
    if already or in_study:
        names = ", ".join(sorted(already | in_study))
        raise ApplicationError(
            f"Already asked or already in the study: {names}.",
            fields={"sites": [f"Already asked or in the study: {names}."]},
        )
    created = [
        FeasibilityRequest.objects.create(
            questionnaire=questionnaire, site=site, due_date=due_date, sent_by=actor
        )
        for site in sites
    ]
    if questionnaire.status == QuestionnaireStatus.DRAFT:
        questionnaire.status = QuestionnaireStatus.SENT
        questionnaire.save(update_fields=["status"])
    study = questionnaire.study
    for request in created:
        for person in _site_people(request.site_id):
            notify(
                recipient=person,
                kind="feasibility_request",
                title=f"Feasibility questionnaire from {study.cro.name}: {study.protocol_number}",
                body=(
                    f"{study.cro.name} asks {request.site.name} to answer “{questionnaire.title}” "
                    f"by {due_date:%d %b %Y}. Answers you gave before are filled in for you to "
                    "check."
                ),
                url=request.get_absolute_url(),
                dedupe_key=f"feasibility_sent:{request.pk}:{person.pk}",
                subject=request,
            )
    return created


# --- answering (site side) -------------------------------------------------------------------


@transaction.atomic
def feasibility_request_answer(
    *,
    actor: User,
    request: FeasibilityRequest,
    answers: dict[int, Any],
    comments: dict[int, str] | None = None,
    submit: bool = False,
) -> FeasibilityRequest:
    """Save the site's answers (a draft), and on ``submit`` hand them to the CRO.

    ``answers`` maps item ids to entered values (blank = no answer yet). A saved value equal to
    the pre-fill offered for it (site profile / earlier answer) keeps that source on the answer,
    so everyone can see it was confirmed from what the site said before.
    """
    request = (
        FeasibilityRequest.objects.select_for_update()
        .select_related("questionnaire", "questionnaire__study", "questionnaire__study__cro")
        .get(pk=request.pk)
    )
    access.require_site_answer(actor, request.site_id)
    to_status = RequestStatus.SUBMITTED if submit else RequestStatus.IN_PROGRESS
    _transition_check(request, to_status)
    items = {
        i.pk: i
        for i in QuestionnaireItem.objects.filter(
            questionnaire=request.questionnaire
        ).select_related("question")
    }
    comments = comments or {}
    offered = prefill.suggestions(request=request, items=list(items.values()))
    unknown = set(answers) - set(items)
    if unknown:
        raise ApplicationError("Some answers are for questions not in this questionnaire.")
    errors: dict[str, list[str]] = {}
    cleaned: dict[int, Any] = {}
    for item_id, raw in answers.items():
        question = items[item_id].question
        try:
            cleaned[item_id] = clean_value(question.kind, question.options, raw)
        except ValueRejected as exc:
            errors[f"item_{item_id}"] = [str(exc)]
    existing = {a.item_id: a for a in Answer.objects.select_for_update().filter(request=request)}
    if submit and not errors:
        for item_id, item in items.items():
            value = (
                cleaned[item_id]
                if item_id in cleaned
                else getattr(existing.get(item_id), "value", None)
            )
            if item.required and value is None:
                errors[f"item_{item_id}"] = ["Answer this question before submitting."]
    if errors:
        raise ApplicationError(
            "Some answers need your attention."
            if not submit
            else "Please answer every required question (marked *) before submitting.",
            fields=errors,
        )
    for item_id, value in cleaned.items():
        item = items[item_id]
        comment = (comments.get(item_id) or "").strip()[:500]
        answer = existing.get(item_id)
        suggestion = offered.get(item_id)
        if value is not None and answer is not None and answer.value == value:
            source = answer.source
        elif value is not None and suggestion is not None and suggestion.value == value:
            source = suggestion.source
        else:
            source = AnswerSource.ENTERED
        if answer is None:
            if value is None and not comment:
                continue
            Answer.objects.create(
                request=request,
                item=item,
                key=item.question.key,
                kind=item.question.kind,
                value=value,
                comment=comment,
                source=source,
                updated_by=actor,
            )
        elif (answer.value, answer.comment, answer.source) != (value, comment, source):
            answer.value, answer.comment, answer.source = value, comment, source
            answer.updated_by = actor
            answer.save(update_fields=["value", "comment", "source", "updated_by", "updated_at"])
    if submit:
        stored = {a.item_id: a.value for a in Answer.objects.filter(request=request)}
        score = total(
            [
                score_item(i.question.kind, i.weight, i.rule, stored.get(pk))
                for pk, i in items.items()
            ]
        )
        request.score_points, request.score_max = score.points, score.maximum
        request.submitted_at = timezone.now()
        request.submitted_by = actor
    request.status = to_status
    request.save()
    if submit:
        study = request.questionnaire.study
        notify(
            recipient=request.sent_by,
            kind="feasibility_submitted",
            title=f"{request.site.name} answered the {study.protocol_number} questionnaire",
            body=f"Responses to “{request.questionnaire.title}” are ready to review.",
            url=reverse(
                "questionnaire_responses", kwargs={"questionnaire_id": request.questionnaire_id}
            ),
            dedupe_key=f"feasibility_submitted:{request.pk}",
            subject=request,
        )
    return request


# --- decisions (CRO side) --------------------------------------------------------------------


def _lock_for_cro(actor: User, request: FeasibilityRequest) -> FeasibilityRequest:
    request = (
        FeasibilityRequest.objects.select_for_update()
        .select_related(
            "questionnaire", "questionnaire__study", "questionnaire__study__cro", "site"
        )
        .get(pk=request.pk)
    )
    access.require_manage(actor, request.questionnaire.study)
    return request


@transaction.atomic
def feasibility_request_note(
    *, actor: User, request: FeasibilityRequest, notes: str
) -> FeasibilityRequest:
    """The CRO's own notes on a site's response (never shown to the site)."""
    request = _lock_for_cro(actor, request)
    request.cro_notes = (notes or "").strip()[:5000]
    request.save(update_fields=["cro_notes"])
    return request


@transaction.atomic
def feasibility_request_shortlist(
    *, actor: User, request: FeasibilityRequest
) -> FeasibilityRequest:
    request = _lock_for_cro(actor, request)
    _transition_check(request, RequestStatus.SHORTLISTED)
    request.status = RequestStatus.SHORTLISTED
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    return request


@transaction.atomic
def feasibility_request_select(
    *, actor: User, request: FeasibilityRequest, site_number: str, reason: str = ""
) -> FeasibilityRequest:
    """Select the site: the study-site is created and moved to "selected"; the site is told."""
    request = _lock_for_cro(actor, request)
    _transition_check(request, RequestStatus.SELECTED)
    study = request.questionnaire.study
    reason = (reason or "").strip() or f"Selected after feasibility “{request.questionnaire.title}”"
    with audit_context(reason=reason):
        study_site = trial_services.study_site_add(
            actor=actor, study=study, site=request.site, site_number=site_number
        )
        trial_services.study_site_transition(
            actor=actor, study_site=study_site, to_status=StudySiteStatus.SELECTED, reason=reason
        )
        request.status = RequestStatus.SELECTED
        request.study_site = study_site
        request.decided_by, request.decided_at = actor, timezone.now()
        request.save(update_fields=["status", "study_site", "decided_by", "decided_at"])
    for person in _site_people(request.site_id):
        notify(
            recipient=person,
            kind="feasibility_selected",
            title=f"{request.site.name} was selected for {study.protocol_number}",
            body=(
                f"Thank you for answering “{request.questionnaire.title}”. {study.cro.name} has "
                f"selected your site for {study.protocol_number} as site {site_number}; the "
                "start-up team will be in touch about the next steps."
            ),
            url=study_site.get_absolute_url(),
            dedupe_key=f"feasibility_selected:{request.pk}:{person.pk}",
            subject=request,
        )
    return request


@transaction.atomic
def feasibility_request_decline(
    *, actor: User, request: FeasibilityRequest, reason: str, message: str = ""
) -> FeasibilityRequest:
    """Decline the site (a reason for the record); the site gets a polite note."""
    reason = require_reason(reason)
    request = _lock_for_cro(actor, request)
    _transition_check(request, RequestStatus.DECLINED)
    study = request.questionnaire.study
    with audit_context(reason=reason):
        request.status = RequestStatus.DECLINED
        request.decision_message = (message or "").strip()[:2000]
        request.decided_by, request.decided_at = actor, timezone.now()
        request.save(update_fields=["status", "decision_message", "decided_by", "decided_at"])
    body = (
        f"Thank you for the time {request.site.name} gave to “{request.questionnaire.title}”. "
        f"{study.cro.name} will not be including your site in {study.protocol_number} this time. "
        "We value your interest and hope to work with you on a future study."
    )
    if request.decision_message:
        body += f"\n\n{request.decision_message}"
    for person in _site_people(request.site_id):
        notify(
            recipient=person,
            kind="feasibility_declined",
            title=f"{study.protocol_number}: thank you for your feasibility answers",
            body=body,
            url=request.get_absolute_url(),
            dedupe_key=f"feasibility_declined:{request.pk}:{person.pk}",
            subject=request,
        )
    return request


# --- reminders -------------------------------------------------------------------------------


def feasibility_reminders_send(*, today: date | None = None) -> int:
    """Remind the site's people 3 days and 1 day before an open request is due; once each
    (dedupe key per request, lead time and person), so a second run sends nothing."""
    today = today or timezone.localdate()
    due_dates = {today + timedelta(days=days): days for days in REMINDER_DAYS}
    requests = list(
        FeasibilityRequest.objects.filter(status__in=OPEN_STATUSES, due_date__in=list(due_dates))
        .select_related(
            "questionnaire", "questionnaire__study", "questionnaire__study__cro", "site"
        )
        .order_by("pk")
    )
    if not requests:
        return 0
    people: dict[int, list[User]] = {}
    for membership in (
        Membership.objects.filter(
            organization_id__in={r.site_id for r in requests},
            is_active=True,
            role__in=access.SITE_NOTIFY_ROLES,
        )
        .select_related("user")
        .order_by("organization_id", "user_id")
    ):
        group = people.setdefault(membership.organization_id, [])
        if membership.user not in group:
            group.append(membership.user)
    sent = 0
    for request in requests:
        days = due_dates[request.due_date]
        study = request.questionnaire.study
        for person in people.get(request.site_id, []):
            created = notify(
                recipient=person,
                kind="feasibility_due",
                title=(
                    f"Feasibility for {study.protocol_number} due in {days} day"
                    f"{'s' if days != 1 else ''}"
                ),
                body=(
                    f"“{request.questionnaire.title}” from {study.cro.name} is due on "
                    f"{request.due_date:%d %b %Y}."
                ),
                url=request.get_absolute_url(),
                dedupe_key=f"feasibility_due:{request.pk}:{days}d:{person.pk}",
                subject=request,
            )
            sent += created is not None
    return sent


# --- attachments -------------------------------------------------------------------------------

DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS_PER_REQUEST = 20


def max_attachment_bytes() -> int:
    return int(getattr(settings, "FEASIBILITY_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_ATTACHMENT_BYTES))


@transaction.atomic
def feasibility_attachment_add(
    *, actor: User, request: FeasibilityRequest, file, note: str = ""
) -> FeasibilityAttachment:
    """The site attaches a file to its answers while it fills the questionnaire in. The file is
    checked by content (regulatory.files: PDF, images, Office documents; a renamed executable is
    refused), size-capped, hashed and stored under a generated name; nothing is stored when it
    is refused."""
    request = FeasibilityRequest.objects.select_for_update().get(pk=request.pk)
    access.require_site_answer(actor, request.site_id)
    if not request.is_open:
        raise TransitionNotAllowed(
            f"Files are attached while the questionnaire is being answered; this one is "
            f"{request.get_status_display().lower()}."
        )
    size = getattr(file, "size", None) or 0
    limit = max_attachment_bytes()
    if size > limit:
        message = f"The file is {size / 1048576:.1f} MB; the limit is {limit / 1048576:.0f} MB."
        raise ApplicationError(message, fields={"file": [message]}, code="invalid_file")
    checked = check_upload(file)
    if FeasibilityAttachment.objects.filter(request=request).count() >= MAX_ATTACHMENTS_PER_REQUEST:
        message = f"At most {MAX_ATTACHMENTS_PER_REQUEST} files can be attached."
        raise ApplicationError(message, fields={"file": [message]})
    stored = default_storage.save(
        f"feasibility/{request.pk}/{uuid.uuid4().hex}{checked.kind.extension}", file
    )
    try:
        with transaction.atomic():
            return FeasibilityAttachment.objects.create(
                request=request,
                file=stored,
                original_filename=checked.original_filename,
                content_type=checked.kind.content_type,
                size=checked.size,
                sha256=checked.sha256,
                note=(note or "").strip()[:300],
                uploaded_by=actor,
            )
    except Exception:
        default_storage.delete(stored)
        raise
