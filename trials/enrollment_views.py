"""The enrollment log, subject pages, visit recording (HTMX in place) and enrollment metrics.
Thin: parse input, call a selector or service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import active_membership, membership_list
from core.audit import audit_trail
from core.exceptions import ApplicationError, PermissionDenied, RecordLocked
from core.exports import streaming_csv
from core.panels import panels_for
from core.sorting import sort_queryset
from core.views import apply_error, forbidden, paginate
from trials import access, metrics, selectors, services
from trials.forms import (
    SubjectCorrectForm,
    SubjectLogFilterForm,
    SubjectRegisterForm,
    SubjectTransitionForm,
    SubjectVisitCorrectForm,
    SubjectVisitRecordForm,
    VisitDueFilterForm,
)
from trials.models import (
    SUBJECT_TRANSITIONS,
    SUBJECT_VISIT_CORRECTIONS,
    StudySiteStatus,
    SubjectStatus,
    SubjectVisitStatus,
)

AUDIT_PAGE_SIZE = 50
CSV_CHUNK = 500
# Columns of the enrollment log a user may sort by (?sort=key or ?sort=-key).
SUBJECT_LOG_SORTS = {
    "subject": "subject_identifier",
    "status": ("status", "subject_identifier"),
    "screened": ("screening_date", "subject_identifier"),
    "consent": ("consent_date", "subject_identifier"),
    "enrolled": ("enrollment_date", "subject_identifier"),
    "visits": ("completed_visit_count", "subject_identifier"),
    "next_visit": ("next_visit_date", "subject_identifier"),
}


def _can(action: str, user, study_site) -> bool:
    return access.allowed(action, access.study_site_roles(user, study_site))


# --- enrollment log -----------------------------------------------------------------------


def _log_filters(request) -> tuple[SubjectLogFilterForm, dict]:
    form = SubjectLogFilterForm(request.GET or None)
    return form, (form.cleaned_data if form.is_valid() else {})


def _log_context(request, study_site, register_form=None) -> dict:
    form, filters = _log_filters(request)
    subjects = selectors.subject_log(actor=request.user, study_site=study_site, filters=filters)
    subjects, sorting = sort_queryset(request, subjects, SUBJECT_LOG_SORTS)
    counts = dict.fromkeys(SubjectStatus.values, 0)
    for row in (
        selectors.subject_list(actor=request.user, study_site=study_site)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    ):
        counts[row["status"]] = row["n"]
    can_register = _can("subject.register", request.user, study_site)
    return {
        "study_site": study_site,
        "form": form,
        "sorting": sorting,
        "page_obj": paginate(request, subjects),
        "status_counts": [(SubjectStatus(s), n) for s, n in counts.items()],
        "can_register": can_register,
        "register_form": register_form or (SubjectRegisterForm() if can_register else None),
        "filtered": any(filters.get(k) for k in ("q", "status")),
    }


@login_required
def subject_log(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    return render(request, "trials/subject_log.html", _log_context(request, study_site))


@login_required
def subject_log_export(request, study_site_id: int):
    """The filtered enrollment log as CSV, streamed (never all rows in memory). Pseudonymous
    ids only; demographic categories are not exported per subject."""
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    _, filters = _log_filters(request)
    subjects = selectors.subject_log(actor=request.user, study_site=study_site, filters=filters)
    subjects, _ = sort_queryset(request, subjects, SUBJECT_LOG_SORTS)
    header = [
        "subject_id",
        "status",
        "screening_date",
        "consent_date",
        "consent_version",
        "enrollment_date",
        "status_reason",
        "visits_completed",
        "visits_scheduled_total",
        "visits_out_of_window",
        "next_visit_due",
    ]

    rows = (
        [
            s.subject_identifier,
            s.status,
            s.screening_date,
            s.consent_date or "",
            s.consent_version,
            s.enrollment_date or "",
            s.status_reason,
            s.completed_visit_count,
            s.visit_count,
            s.out_of_window_count,
            s.next_visit_date or "",
        ]
        for s in subjects.iterator(chunk_size=CSV_CHUNK)
    )
    filename = f"enrollment-log-{study_site.study.protocol_number}-{study_site.site_number}.csv"
    return streaming_csv(filename, header, rows)


@login_required
@require_POST
def subject_register(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    form = SubjectRegisterForm(request.POST)
    if form.is_valid():
        try:
            subject = services.subject_register(
                actor=request.user, study_site=study_site, **form.cleaned_data
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(
                request, f"Subject {subject.subject_identifier} registered at screening."
            )
            return redirect("subject_detail", subject_id=subject.pk)
    if not _can("subject.register", request.user, study_site):
        return forbidden(request, PermissionDenied("Only the site's staff register subjects."))
    context = _log_context(request, study_site, register_form=form)
    context["open_register"] = True
    return render(request, "trials/subject_log.html", context, status=400)


# --- subject page -------------------------------------------------------------------------


def _subject_context(request, subject, **forms_) -> dict:
    study_site = subject.study_site
    roles = access.study_site_roles(request.user, study_site)
    is_open = study_site.status != StudySiteStatus.CLOSED
    can_write = is_open and access.allowed("subject.transition", roles)
    next_statuses = [
        (value, label)
        for value, label in SubjectStatus.choices
        if value in SUBJECT_TRANSITIONS.get(subject.status, ())
    ]
    transition_form = forms_.get("transition_form") or SubjectTransitionForm(prefix="status")
    transition_form.fields["to_status"].choices = next_statuses
    correct_form = forms_.get("correct_form") or SubjectCorrectForm(
        prefix="correct",
        initial={f: getattr(subject, f) for f in services.SUBJECT_CORRECTABLE_FIELDS},
    )
    return {
        "subject": subject,
        "study_site": study_site,
        "visits": selectors.subject_visit_list(actor=request.user, subject=subject),
        "can_write": can_write,
        "inside_site": study_site.site_id in metrics.site_org_ids(request.user),
        "next_statuses": next_statuses,
        "transition_form": transition_form,
        "correct_form": correct_form,
        "open_panel": forms_.get("open_panel"),
        "subject_panels": _subject_panels(request, subject),
        "is_open": is_open,
    }


def _subject_panels(request, subject) -> list[tuple]:
    """Panels other apps register for the subject page (core.panels slot "subject"), for the
    signed-in user's organization kind and roles there."""
    membership = active_membership(request)
    if membership is None:
        return []
    roles = {
        m.role
        for m in membership_list(user=request.user)
        if m.organization_id == membership.organization_id
    }
    shown = []
    for panel in panels_for(membership.organization.kind, roles, slot="subject"):
        context = panel.build(request, subject)
        if context is not None:
            shown.append((panel, context))
    return shown


@login_required
def subject_detail(request, subject_id: int):
    subject = selectors.subject_get(actor=request.user, subject_id=subject_id)
    return render(request, "trials/subject_detail.html", _subject_context(request, subject))


@login_required
@require_POST
def subject_transition(request, subject_id: int):
    subject = selectors.subject_get(actor=request.user, subject_id=subject_id)
    context = _subject_context(request, subject)
    form = SubjectTransitionForm(request.POST, prefix="status")
    form.fields["to_status"].choices = context["next_statuses"] or SubjectStatus.choices
    if form.is_valid():
        try:
            services.subject_transition(actor=request.user, subject=subject, **form.cleaned_data)
        except PermissionDenied as error:
            return forbidden(request, error)
        except RecordLocked as error:
            messages.error(request, error.message)
            return redirect("subject_detail", subject_id=subject.pk)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            label = SubjectStatus(form.cleaned_data["to_status"]).label.lower()
            extra = (
                " Visits are scheduled from the study's schedule."
                if form.cleaned_data["to_status"] == SubjectStatus.ENROLLED
                else ""
            )
            messages.success(request, f"{subject.subject_identifier} is now {label}.{extra}")
            return redirect("subject_detail", subject_id=subject.pk)
    if not _can("subject.transition", request.user, subject.study_site):
        return forbidden(request, PermissionDenied("Only the site's staff change subjects."))
    context = _subject_context(request, subject, transition_form=form, open_panel="status")
    return render(request, "trials/subject_detail.html", context, status=400)


@login_required
@require_POST
def subject_correct(request, subject_id: int):
    subject = selectors.subject_get(actor=request.user, subject_id=subject_id)
    form = SubjectCorrectForm(request.POST, prefix="correct")
    if form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            services.subject_correct(actor=request.user, subject=subject, reason=reason, **data)
        except PermissionDenied as error:
            return forbidden(request, error)
        except RecordLocked as error:
            messages.error(request, error.message)
            return redirect("subject_detail", subject_id=subject.pk)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(
                request, "Subject corrected; the change and its reason are in the audit trail."
            )
            return redirect("subject_detail", subject_id=subject.pk)
    if not _can("subject.correct", request.user, subject.study_site):
        return forbidden(request, PermissionDenied("Only the site's staff correct subjects."))
    context = _subject_context(request, subject, correct_form=form, open_panel="correct")
    return render(request, "trials/subject_detail.html", context, status=400)


@login_required
def subject_audit(request, subject_id: int):
    subject = selectors.subject_get(actor=request.user, subject_id=subject_id)
    visits = selectors.subject_visit_list(actor=request.user, subject=subject)
    entries = audit_trail(subject, visits)
    return render(
        request,
        "trials/audit_trail.html",
        {
            "record": subject,
            "title": f"Audit trail — subject {subject.subject_identifier}",
            "page_obj": paginate(request, entries, per_page=AUDIT_PAGE_SIZE),
            "back_url": subject.get_absolute_url(),
        },
    )


# --- recording a visit (HTMX in place) ----------------------------------------------------


def _visit_form_context(request, visit, *, form=None, mode=None, prompt=False) -> dict:
    mode = mode or ("record" if visit.status == SubjectVisitStatus.SCHEDULED else "correct")
    if form is None:
        if mode == "record":
            form = SubjectVisitRecordForm(prefix=f"v{visit.pk}")
        else:
            form = SubjectVisitCorrectForm(
                prefix=f"v{visit.pk}",
                initial={
                    "status": visit.status,
                    "actual_date": visit.actual_date,
                    "deviation_note": visit.deviation_note,
                },
            )
    if mode == "correct":
        allowed = SUBJECT_VISIT_CORRECTIONS.get(visit.status, ())
        form.fields["status"].choices = [
            (v, label) for v, label in SubjectVisitStatus.choices if v in allowed
        ]
    return {
        "v": visit,
        "form": form,
        "mode": mode,
        "out_of_window_prompt": prompt,
        "can_write": True,
    }


def _visit_response(request, visit, context: dict, *, partial: str, status: int = 200):
    if request.htmx:
        return render(request, f"trials/subject_detail.html#{partial}", context)
    context.setdefault("subject", visit.subject)
    return render(request, "trials/subject_visit_record.html", context, status=status)


@login_required
def subject_visit_record(request, subject_visit_id: int):
    """GET: the visit's record (or correction) form, or its row (``?cancel=1``). POST: record
    it completed/missed, or correct it with a reason."""
    visit = selectors.subject_visit_get(actor=request.user, subject_visit_id=subject_visit_id)
    study_site = visit.subject.study_site
    can_record = _can("subject_visit.record", request.user, study_site)
    can_write = can_record and study_site.status != StudySiteStatus.CLOSED
    if request.method == "GET":
        if request.GET.get("cancel") or not can_write:
            return _visit_response(
                request, visit, {"v": visit, "can_write": can_write}, partial="visit-row"
            )
        return _visit_response(
            request, visit, _visit_form_context(request, visit), partial="visit-form"
        )
    if request.method != "POST":
        from django.http import HttpResponseNotAllowed

        return HttpResponseNotAllowed(["GET", "POST"])
    if not can_record:
        return forbidden(request, PermissionDenied("Only the site's staff record visits."))
    prefix = f"v{visit.pk}"
    try:
        if visit.status == SubjectVisitStatus.SCHEDULED:
            form = SubjectVisitRecordForm(request.POST, prefix=prefix)
            if not form.is_valid():
                raise _Invalid(_visit_form_context(request, visit, form=form))
            data = form.cleaned_data
            if data["outcome"] == SubjectVisitStatus.COMPLETED:
                actual = data.get("actual_date")
                if (
                    actual
                    and visit.is_outside_window(actual)
                    and not data.get("deviation_note")
                    and not data.get("confirm_out_of_window")
                ):
                    form = SubjectVisitRecordForm(
                        {**request.POST.dict(), f"{prefix}-confirm_out_of_window": "on"},
                        prefix=prefix,
                    )
                    form.is_valid()
                    raise _Invalid(_visit_form_context(request, visit, form=form, prompt=True))
                services.subject_visit_complete(
                    actor=request.user,
                    subject_visit=visit,
                    actual_date=actual,
                    deviation_note=data.get("deviation_note", ""),
                )
                message = "Visit recorded as completed."
            else:
                services.subject_visit_miss(
                    actor=request.user,
                    subject_visit=visit,
                    deviation_note=data.get("deviation_note", ""),
                )
                message = "Visit recorded as missed."
        else:
            form = SubjectVisitCorrectForm(request.POST, prefix=prefix)
            context = _visit_form_context(request, visit, form=form, mode="correct")
            if not form.is_valid():
                raise _Invalid(context)
            services.subject_visit_correct(
                actor=request.user, subject_visit=visit, **form.cleaned_data
            )
            message = "Visit corrected; the change and its reason are in the audit trail."
    except _Invalid as invalid:
        return _visit_response(request, visit, invalid.context, partial="visit-form", status=400)
    except PermissionDenied as error:
        return forbidden(request, error)
    except ApplicationError as error:
        apply_error(form, error)
        mode = "record" if isinstance(form, SubjectVisitRecordForm) else "correct"
        context = _visit_form_context(request, visit, form=form, mode=mode)
        return _visit_response(request, visit, context, partial="visit-form", status=400)
    visit = selectors.subject_visit_get(actor=request.user, subject_visit_id=visit.pk)
    if request.htmx:
        return render(
            request,
            "trials/subject_detail.html#visit-row",
            {"v": visit, "can_write": True, "flash": message},
        )
    messages.success(request, message)
    return redirect("subject_detail", subject_id=visit.subject_id)


class _Invalid(Exception):
    def __init__(self, context: dict):
        super().__init__("invalid form")
        self.context = context


# --- enrollment metrics -------------------------------------------------------------------


@login_required
def study_site_enrollment(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    return render(
        request,
        "trials/enrollment_metrics.html",
        {
            "study_site": study_site,
            "study": study_site.study,
            "metrics": metrics.study_site_enrollment(actor=request.user, study_site=study_site),
            "small_cell": metrics.SMALL_CELL,
        },
    )


@login_required
def study_enrollment(request, study_id: int):
    study = selectors.study_get(actor=request.user, study_id=study_id)
    return render(
        request,
        "trials/enrollment_metrics.html",
        {
            "study": study,
            "metrics": metrics.study_enrollment(actor=request.user, study=study),
            "small_cell": metrics.SMALL_CELL,
        },
    )


# --- visit due list -----------------------------------------------------------------------


@login_required
def visit_due_list(request):
    """Scheduled visits coming due, open or overdue at the user's study-sites, across every
    CRO: what to book and what is slipping, soonest window end first."""
    studies = access.visible_studies(request.user).order_by("protocol_number")
    form = VisitDueFilterForm(
        request.GET or None, studies=studies, due_choices=selectors.VisitDue.choices
    )
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {**filters, "study": filters["study"].pk if filters.get("study") else None}
    visits = selectors.visit_due_list(actor=request.user, filters=filters)
    return render(
        request,
        "trials/visit_due_list.html",
        {
            "form": form,
            "page_obj": paginate(request, visits),
            "filtered": bool(filters.get("study") or filters.get("due")),
            "horizon_days": selectors.VISIT_DUE_HORIZON_DAYS,
        },
    )
