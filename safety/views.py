"""Adverse event and SAE pages. Thin: parse input, call a selector or service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.audit import audit_trail
from core.exceptions import ApplicationError, PermissionDenied
from core.sorting import sort_queryset
from core.views import apply_error, forbidden, paginate
from safety import selectors, services
from safety.forms import (
    AdverseEventFilterForm,
    AdverseEventForm,
    CorrectionForm,
    FollowUpForm,
    SubjectPickForm,
)
from safety.models import CORRECTABLE_STATUSES, AdverseEvent, AdverseEventStatus
from trials import access

AUDIT_PAGE_SIZE = 50
FORM_FIELDS = (
    "term",
    "onset_date",
    "severity",
    "seriousness_criteria",
    "awareness_at",
    "relatedness",
    "outcome",
    "description",
)


# Columns of the adverse event list a user may sort by (?sort=key or ?sort=-key).
AE_SORTS = {
    "report": ("created_at",),
    "subject": ("subject__subject_identifier", "-created_at"),
    "study": (
        "subject__study_site__study__protocol_number",
        "subject__study_site__site_number",
        "-created_at",
    ),
    "term": ("term", "-created_at"),
    "onset": ("onset_date", "created_at"),
    "severity": ("severity", "-created_at"),
    "status": ("status", "-created_at"),
    "clock": ("due_at", "created_at"),
}


@login_required
def adverse_event_list(request):
    form = AdverseEventFilterForm(
        request.GET or None, **selectors.filter_choices(actor=request.user)
    )
    filters = form.filters()
    events = selectors.adverse_event_list(actor=request.user, filters=filters)
    # Column headers sort with ?sort=; a link that still says ?ordering= keeps its order.
    events, sorting = sort_queryset(
        request, events, AE_SORTS, default="" if filters.get("ordering") else "-report"
    )
    return render(
        request,
        "safety/adverse_event_list.html",
        {
            "form": form,
            "sorting": sorting,
            "filtered": any(v not in (None, "") for k, v in filters.items() if k != "ordering"),
            "page_obj": paginate(request, events),
            "can_report": bool(selectors.site_organization_ids(request.user)),
        },
    )


def _entered(form) -> dict:
    return {name: form.cleaned_data.get(name) for name in FORM_FIELDS}


@login_required
def adverse_event_new(request):
    """Report an adverse event for a subject (``?subject=<id>``; without it, pick one)."""
    subject_id = request.GET.get("subject") or request.POST.get("subject")
    if not subject_id:
        subjects = selectors.reportable_subjects(actor=request.user)
        return render(
            request,
            "safety/adverse_event_pick.html",
            {"pick_form": SubjectPickForm(subjects=subjects), "has_subjects": subjects.exists()},
        )
    subject = selectors.subject_get(actor=request.user, subject_id=subject_id)
    roles = access.study_site_roles(request.user, subject.study_site)
    if not services.can("adverse_event.report", roles):
        return forbidden(
            request,
            PermissionDenied("Only the site's study team reports adverse events."),
        )
    form = AdverseEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            adverse_event = services.adverse_event_report(
                actor=request.user,
                subject=subject,
                submit=request.POST.get("action") == "submit",
                **_entered(form),
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _saved_message(adverse_event))
            return redirect(adverse_event.get_absolute_url())
    return render(
        request,
        "safety/adverse_event_form.html",
        {"form": form, "subject": subject},
        status=400 if request.method == "POST" else 200,
    )


def _saved_message(adverse_event: AdverseEvent) -> str:
    if adverse_event.status == AdverseEventStatus.REPORTED:
        late = " It was late (more than 24 hours after awareness)." if adverse_event.is_late else ""
        return f"{adverse_event.kind_label} {adverse_event.reference} submitted to the CRO.{late}"
    if adverse_event.status == AdverseEventStatus.DRAFT:
        return (
            f"{adverse_event.kind_label} {adverse_event.reference} saved as a draft. Its "
            "24-hour clock is running: submit it to the CRO before it is due."
        )
    return f"Adverse event {adverse_event.reference} recorded."


def _initial_values(adverse_event: AdverseEvent) -> dict:
    return {name: getattr(adverse_event, name) for name in FORM_FIELDS}


def _detail_context(request, adverse_event: AdverseEvent, **forms_) -> dict:
    roles = access.study_site_roles(request.user, adverse_event.subject.study_site)
    is_site = services.can("adverse_event.report", roles)
    initial = adverse_event.initial or adverse_event
    follow_up_values = _initial_values(adverse_event)
    follow_up_values["awareness_at"] = None
    return {
        "ae": adverse_event,
        "initial": initial,
        "follow_ups": list(selectors.follow_up_list(actor=request.user, adverse_event=initial)),
        "can_submit": is_site and adverse_event.status == AdverseEventStatus.DRAFT,
        "can_acknowledge": services.can("adverse_event.acknowledge", roles)
        and adverse_event.status == AdverseEventStatus.REPORTED,
        "can_correct": is_site and adverse_event.status in CORRECTABLE_STATUSES,
        "can_follow_up": is_site
        and initial.is_serious
        and initial.status in (AdverseEventStatus.REPORTED, AdverseEventStatus.ACKNOWLEDGED),
        "follow_up_form": forms_.get("follow_up_form")
        or FollowUpForm(prefix="fu", initial=follow_up_values),
        "correction_form": forms_.get("correction_form")
        or CorrectionForm(prefix="fix", initial=_initial_values(adverse_event)),
        "open_panel": forms_.get("open_panel", ""),
    }


@login_required
def adverse_event_detail(request, adverse_event_id: int):
    adverse_event = selectors.adverse_event_get(
        actor=request.user, adverse_event_id=adverse_event_id
    )
    return render(
        request, "safety/adverse_event_detail.html", _detail_context(request, adverse_event)
    )


def _status_response(request, adverse_event_id: int, error: ApplicationError | None = None):
    """HTMX: the refreshed status card; otherwise back to the page with a message."""
    adverse_event = selectors.adverse_event_get(
        actor=request.user, adverse_event_id=adverse_event_id
    )
    if request.htmx:
        context = _detail_context(request, adverse_event)
        context["action_error"] = error.message if error else ""
        return render(
            request,
            "safety/adverse_event_detail.html#status-card",
            context,
            status=409 if error else 200,
        )
    if error:
        messages.error(request, error.message)
    return redirect(adverse_event.get_absolute_url())


@login_required
@require_POST
def adverse_event_submit(request, adverse_event_id: int):
    adverse_event = selectors.adverse_event_get(
        actor=request.user, adverse_event_id=adverse_event_id
    )
    try:
        adverse_event = services.adverse_event_submit(
            actor=request.user, adverse_event=adverse_event
        )
    except PermissionDenied as error:
        return forbidden(request, error)
    except ApplicationError as error:
        return _status_response(request, adverse_event_id, error)
    if not request.htmx:
        messages.success(request, _saved_message(adverse_event))
    return _status_response(request, adverse_event_id)


@login_required
@require_POST
def adverse_event_acknowledge(request, adverse_event_id: int):
    adverse_event = selectors.adverse_event_get(
        actor=request.user, adverse_event_id=adverse_event_id
    )
    try:
        services.adverse_event_acknowledge(actor=request.user, adverse_event=adverse_event)
    except PermissionDenied as error:
        return forbidden(request, error)
    except ApplicationError as error:
        return _status_response(request, adverse_event_id, error)
    if not request.htmx:
        messages.success(
            request, f"{adverse_event.kind_label} {adverse_event.reference} acknowledged."
        )
    return _status_response(request, adverse_event_id)


@login_required
@require_POST
def adverse_event_follow_up(request, adverse_event_id: int):
    adverse_event = selectors.adverse_event_get(
        actor=request.user, adverse_event_id=adverse_event_id
    )
    form = FollowUpForm(request.POST, prefix="fu")
    if form.is_valid():
        values = _entered(form)
        awareness_at = values.pop("awareness_at")
        try:
            follow_up = services.adverse_event_follow_up(
                actor=request.user,
                adverse_event=adverse_event,
                awareness_at=awareness_at,
                submit=request.POST.get("action") == "submit",
                **values,
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _saved_message(follow_up))
            return redirect(follow_up.get_absolute_url())
    context = _detail_context(request, adverse_event, follow_up_form=form, open_panel="follow-up")
    return render(request, "safety/adverse_event_detail.html", context, status=400)


@login_required
@require_POST
def adverse_event_correct(request, adverse_event_id: int):
    adverse_event = selectors.adverse_event_get(
        actor=request.user, adverse_event_id=adverse_event_id
    )
    form = CorrectionForm(request.POST, prefix="fix")
    if form.is_valid():
        try:
            services.adverse_event_correct(
                actor=request.user,
                adverse_event=adverse_event,
                reason=form.cleaned_data["reason"],
                **_entered(form),
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(
                request, "Correction saved; what changed and why are in the audit trail."
            )
            return redirect(adverse_event.get_absolute_url())
    context = _detail_context(request, adverse_event, correction_form=form, open_panel="correct")
    return render(request, "safety/adverse_event_detail.html", context, status=400)


@login_required
def adverse_event_audit(request, adverse_event_id: int):
    adverse_event = selectors.adverse_event_get(
        actor=request.user, adverse_event_id=adverse_event_id
    )
    entries = audit_trail(adverse_event)
    return render(
        request,
        "trials/audit_trail.html",
        {
            "record": adverse_event,
            "title": f"Audit trail — {adverse_event.kind_label} {adverse_event.reference}",
            "page_obj": paginate(request, entries, per_page=AUDIT_PAGE_SIZE),
            "back_url": adverse_event.get_absolute_url(),
        },
    )
