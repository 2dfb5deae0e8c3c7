"""Monitoring pages. Thin: parse input, call a selector or service, render (HTMX requests get
the partial)."""

from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.audit import audit_trail
from core.choices import StudySiteChoices, study_site_choices
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.signatures import signature_is_valid, signatures_for
from core.sorting import sort_queryset
from core.views import apply_error, forbidden, paginate
from monitoring import selectors, services
from monitoring.calendar import calendar_bytes
from monitoring.forms import (
    ActionItemFilterForm,
    ActionItemForm,
    CancelForm,
    CompleteForm,
    CorrectForm,
    FindingForm,
    MonitoringSettingsForm,
    ProposeDateForm,
    ReopenForm,
    RescheduleForm,
    ResolveForm,
    ReturnForm,
    SignForm,
    StandaloneActionItemForm,
    VisitFilterForm,
    VisitPlanForm,
    section_form,
)
from monitoring.models import (
    EDITABLE_REPORT_STATUSES,
    UPCOMING_STATUSES,
    ActionItemOwner,
    ActionItemStatus,
    CalendarFeed,
    Finding,
    MonitoringVisit,
    VisitStatus,
)
from monitoring.sections import SECTIONS, SECTIONS_BY_KEY, sdv_percent, section_missing
from trials import access
from trials.models import StudySite

AUDIT_PAGE_SIZE = 50
DETAIL = "monitoring/visit_detail.html"


def _study_site_choices(request) -> tuple[list[tuple[int | str, str]], StudySiteChoices]:
    """Study-sites where the actor plans visits and raises action items, as the Study-site
    drop-down offers them (past a hundred, only the chosen study's: core/choices.py)."""
    offer = study_site_choices(request, selectors.plannable_study_sites(actor=request.user))
    empty = [("", offer.empty_label)] if offer.empty_label else []
    return empty + [
        (ss.pk, f"{ss.study.protocol_number} · site {ss.site_number} · {ss.site.name}")
        for ss in offer.study_sites
    ], offer


def _filter_choices(actor):
    """The studies and the sites of the actor's visible study-sites, each once and by name
    (two small queries: building every study-site of a large CRO took 200 ms for a PM)."""
    visible = access.visible_study_sites(actor).order_by()
    studies = visible.values_list("study_id", "study__protocol_number").distinct()
    sites = visible.values_list("site_id", "site__name").distinct()
    return (
        list(studies.order_by("study__protocol_number", "study_id")),
        list(sites.order_by("site__name", "site_id")),
    )


# --- visits ------------------------------------------------------------------------------


# Columns of the visit and action item lists a user may sort by (?sort=key or ?sort=-key).
VISIT_SORTS = {
    "date": ("planned_at",),
    "type": ("visit_type", "-planned_at"),
    "study": ("study_site__study__protocol_number", "study_site__site_number", "-planned_at"),
    "cra": ("cra__full_name", "-planned_at"),
    "status": ("status", "-planned_at"),
    "report_due": ("report_due_date", "-planned_at"),
}
ACTION_ITEM_SORTS = {
    "what": ("description",),
    "study": ("study_site__study__protocol_number", "study_site__site_number", "due_date"),
    "owner": ("owner", "due_date"),
    "due": ("due_date",),
    "status": ("status", "due_date"),
    "from": ("visit__planned_at", "due_date"),
}


@login_required
def visit_list(request):
    studies, sites = _filter_choices(request.user)
    form = VisitFilterForm(request.GET or None, studies=studies, sites=sites)
    filters = form.cleaned_data if form.is_valid() else {}
    visits = selectors.visit_table(actor=request.user, filters=filters)
    visits, sorting = sort_queryset(request, visits, VISIT_SORTS, default="-date")
    return render(
        request,
        "monitoring/visit_list.html",
        {
            "form": form,
            "sorting": sorting,
            "page_obj": paginate(request, visits),
            "can_plan": selectors.plannable_study_sites(actor=request.user).exists(),
            "can_configure": selectors.settings_studies(actor=request.user).exists(),
            "today": timezone.localdate(),
        },
    )


def _settings_page(request, *, failed=None, status: int = 200):
    """Studies whose report due period the user sets; ``failed`` is (study id, bound form)."""
    studies = list(selectors.settings_studies(actor=request.user))
    rows = []
    for study in studies:
        if failed and failed[0] == study.pk:
            form = failed[1]
        else:
            form = MonitoringSettingsForm(
                prefix=f"s{study.pk}", initial={"report_due_days": study.report_due_days}
            )
        rows.append({"study": study, "form": form})
    return render(request, "monitoring/settings.html", {"rows": rows}, status=status)


@login_required
def monitoring_settings(request):
    if not selectors.settings_studies(actor=request.user).exists():
        return forbidden(
            request,
            PermissionDenied(
                "Only a project manager of the CRO or a lead of the study sets monitoring settings."
            ),
        )
    return _settings_page(request)


@login_required
@require_POST
def monitoring_settings_update(request, study_id: int):
    study = selectors.settings_study_get(actor=request.user, study_id=study_id)
    form = MonitoringSettingsForm(request.POST, prefix=f"s{study.pk}")
    if form.is_valid():
        try:
            services.monitoring_settings_update(
                actor=request.user, study=study, **form.cleaned_data
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(
                request,
                f"{study.protocol_number}: reports are now due "
                f"{form.cleaned_data['report_due_days']} days after the visit.",
            )
            return redirect("monitoring_settings")
    if not selectors.may_change_settings(actor=request.user, study=study):
        return forbidden(
            request,
            PermissionDenied("Only a project manager or a lead of the study changes this."),
        )
    return _settings_page(request, failed=(study.pk, form), status=400)


@login_required
def visit_plan(request):
    choices, offer = _study_site_choices(request)
    if not offer.exists:
        return forbidden(
            request,
            PermissionDenied("Only a CRA assigned to a site (or a study lead) plans visits."),
        )
    initial = {}
    if request.GET.get("study_site"):
        initial["study_site"] = request.GET["study_site"]
    form = VisitPlanForm(request.POST or None, study_sites=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        study_site = StudySite.objects.get(pk=data.pop("study_site"))
        try:
            visit = services.visit_plan(actor=request.user, study_site=study_site, **data)
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, "Visit planned; the site has been asked to confirm it.")
            return redirect(visit)
    return render(request, "monitoring/visit_plan.html", {"form": form, "study_step": offer})


def _section_views(report, *, editable: bool, data_forms: dict | None = None) -> list[dict]:
    sections = report.sections if report else {}
    missing = section_missing(sections)
    data_forms = data_forms or {}
    views = []
    for section in SECTIONS:
        values = sections.get(section.key) or {}
        views.append(
            {
                "section": section,
                "values": values,
                "rows": [(f.label, values.get(f.name)) for f in section.fields],
                "form": data_forms.get(section.key)
                or (section_form(section, initial=values) if editable else None),
                "saved": section.key in sections,
                "missing": missing.get(section.key),
                "sdv_percent": sdv_percent(values) if section.key == "sdv" else None,
            }
        )
    return views


def _visit_context(request, visit: MonitoringVisit, **forms_) -> dict:
    user = request.user
    roles = access.study_site_roles(user, visit.study_site)
    can_plan = services.allowed("visit.plan", roles)
    can_report = services.allowed("visit.report", roles)
    can_respond = services.allowed("visit.respond", roles)
    sees_report = bool(roles - access.SITE_ROLES)
    report = selectors.report_current(visit=visit) if sees_report else None
    editable = can_report and visit.status in EDITABLE_REPORT_STATUSES
    letter = selectors.letter_current(visit=visit)
    items = list(
        selectors.action_item_list(actor=user, filters={"visit": visit.pk}).order_by(
            "due_date", "pk"
        )
    )
    show_report = sees_report and visit.status not in (*UPCOMING_STATUSES, VisitStatus.CANCELLED)
    enrollment = None
    if show_report:
        enrollment = (
            report.enrollment
            if report and report.enrollment and not editable
            else selectors.enrollment_figures(visit=visit)
        )
    signatures = list(signatures_for(report)) if report else []
    return {
        "visit": visit,
        "roles": roles,
        "can_plan": can_plan,
        "can_report": can_report,
        "can_respond": can_respond,
        "can_review": services.allowed("report.review", roles)
        and user.pk != visit.cra_id
        and (report is None or report.submitted_by_id != user.pk),
        "sees_report": sees_report,
        "show_report": show_report,
        "report": report,
        "editable": editable,
        "sections": _section_views(report, editable=editable, data_forms=forms_.get("sections"))
        if show_report
        else [],
        "findings": list(report.findings.all()) if report else [],
        "signatures": [(s, signature_is_valid(s, report)) for s in signatures],
        "versions": list(selectors.report_versions(visit=visit)) if sees_report else [],
        "enrollment": enrollment,
        "earlier_items": list(selectors.open_action_items_before(visit=visit))
        if show_report
        else [],
        "items": items,
        "letter": letter,
        "today": timezone.localdate(),
        "is_upcoming": visit.status in UPCOMING_STATUSES,
        "propose_form": forms_.get("propose_form") or ProposeDateForm(prefix="propose"),
        "reschedule_form": forms_.get("reschedule_form") or RescheduleForm(prefix="reschedule"),
        "cancel_form": forms_.get("cancel_form") or CancelForm(prefix="cancel"),
        "complete_form": forms_.get("complete_form")
        or CompleteForm(prefix="complete", initial={"actual_date": timezone.localdate()}),
        "sign_form": forms_.get("sign_form") or SignForm(prefix="sign"),
        "correct_form": forms_.get("correct_form") or CorrectForm(prefix="correct"),
        "finding_form": forms_.get("finding_form") or FindingForm(prefix="finding"),
        "item_form": forms_.get("item_form")
        or ActionItemForm(
            prefix="item",
            initial={
                "owner": ActionItemOwner.SITE,
                "due_date": timezone.localdate() + timedelta(days=14),
            },
        ),
        "submit_error": forms_.get("submit_error"),
    }


@login_required
def visit_detail(request, monitoring_visit_id: int):
    visit = selectors.visit_get(actor=request.user, visit_id=monitoring_visit_id)
    return render(request, DETAIL, _visit_context(request, visit))


def _visit_action(
    request,
    monitoring_visit_id: int,
    *,
    form_class=None,
    prefix: str = "",
    form_key: str = "",
    call: Callable,
    success: str,
    template: str = DETAIL,
    context_builder: Callable | None = None,
    redirect_to: Callable | None = None,
):
    """Run one workflow action on a visit: validate the form, call the service, redirect with
    a message, or show the page again with the error next to the field."""
    visit = selectors.visit_get(actor=request.user, visit_id=monitoring_visit_id)
    form = form_class(request.POST, prefix=prefix) if form_class else None
    status = 400
    if form is None or form.is_valid():
        try:
            call(visit, form.cleaned_data if form is not None else {})
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            status = 409 if isinstance(error, TransitionNotAllowed) else 400
            if form is not None:
                apply_error(form, error)
            else:
                messages.error(request, error.message)
        else:
            messages.success(request, success)
            return redirect(redirect_to(visit) if redirect_to else visit.get_absolute_url())
    builder = context_builder or _visit_context
    context = builder(request, visit, **({form_key: form} if form_key else {}))
    if form is None:
        return redirect(visit)
    return render(request, template, context, status=status)


@login_required
@require_POST
def visit_confirm(request, monitoring_visit_id: int):
    visit = selectors.visit_get(actor=request.user, visit_id=monitoring_visit_id)
    try:
        services.visit_confirm(actor=request.user, visit=visit)
    except PermissionDenied as error:
        return forbidden(request, error)
    except ApplicationError as error:
        messages.error(request, error.message)
        return render(request, DETAIL, _visit_context(request, visit), status=409)
    messages.success(request, "Visit confirmed. The confirmation letter was sent to your team.")
    return redirect(visit)


@login_required
@require_POST
def visit_propose(request, monitoring_visit_id: int):
    return _visit_action(
        request,
        monitoring_visit_id,
        form_class=ProposeDateForm,
        prefix="propose",
        form_key="propose_form",
        call=lambda visit, data: services.visit_propose_date(
            actor=request.user, visit=visit, proposed_at=data["proposed_at"], note=data["note"]
        ),
        success="Your proposed date was sent to the CRA.",
    )


@login_required
@require_POST
def visit_accept_proposal(request, monitoring_visit_id: int):
    visit = selectors.visit_get(actor=request.user, visit_id=monitoring_visit_id)
    try:
        services.visit_accept_proposal(actor=request.user, visit=visit)
    except PermissionDenied as error:
        return forbidden(request, error)
    except ApplicationError as error:
        messages.error(request, error.message)
        return render(request, DETAIL, _visit_context(request, visit), status=409)
    messages.success(request, "The site's date is accepted; the visit is confirmed.")
    return redirect(visit)


@login_required
@require_POST
def visit_reschedule(request, monitoring_visit_id: int):
    return _visit_action(
        request,
        monitoring_visit_id,
        form_class=RescheduleForm,
        prefix="reschedule",
        form_key="reschedule_form",
        call=lambda visit, data: services.visit_reschedule(actor=request.user, visit=visit, **data),
        success="Visit moved; the site has been asked to confirm the new date.",
    )


@login_required
@require_POST
def visit_cancel(request, monitoring_visit_id: int):
    return _visit_action(
        request,
        monitoring_visit_id,
        form_class=CancelForm,
        prefix="cancel",
        form_key="cancel_form",
        call=lambda visit, data: services.visit_cancel(actor=request.user, visit=visit, **data),
        success="Visit cancelled.",
    )


@login_required
@require_POST
def visit_complete(request, monitoring_visit_id: int):
    return _visit_action(
        request,
        monitoring_visit_id,
        form_class=CompleteForm,
        prefix="complete",
        form_key="complete_form",
        call=lambda visit, data: services.visit_complete(actor=request.user, visit=visit, **data),
        success="Visit completed. The report is now due.",
    )


@login_required
@require_POST
def report_section_save(request, monitoring_visit_id: int):
    visit = selectors.visit_get(actor=request.user, visit_id=monitoring_visit_id)
    key = request.POST.get("section", "")
    section = SECTIONS_BY_KEY.get(key)
    if section is None:
        raise Http404("Unknown section.")
    form = section_form(section, data=request.POST)
    status = 200
    saved = False
    if form.is_valid():
        try:
            services.visit_report_section_save(
                actor=request.user, visit=visit, section=key, data=form.cleaned_data
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            status = 409 if isinstance(error, TransitionNotAllowed) else 400
            apply_error(form, error)
        else:
            saved = True
    else:
        status = 400
    if saved and not request.htmx:
        messages.success(request, f"{section.title} saved.")
        return redirect(f"{visit.get_absolute_url()}#section-{key}")
    visit.refresh_from_db()
    context = _visit_context(request, visit, sections={} if saved else {key: form})
    if request.htmx:
        context["s"] = next(s for s in context["sections"] if s["section"].key == key)
        context["just_saved"] = saved
        return render(request, f"{DETAIL}#report-section", context, status=status)
    return render(request, DETAIL, context, status=status)


@login_required
@require_POST
def finding_add(request, monitoring_visit_id: int):
    return _visit_action(
        request,
        monitoring_visit_id,
        form_class=FindingForm,
        prefix="finding",
        form_key="finding_form",
        call=lambda visit, data: services.finding_add(actor=request.user, visit=visit, **data),
        success="Finding recorded.",
        redirect_to=lambda visit: f"{visit.get_absolute_url()}#findings",
    )


@login_required
@require_POST
def report_submit(request, monitoring_visit_id: int):
    visit = selectors.visit_get(actor=request.user, visit_id=monitoring_visit_id)
    form = SignForm(request.POST, prefix="sign")
    status = 400
    if form.is_valid():
        try:
            services.visit_report_submit(
                actor=request.user, visit=visit, password=form.cleaned_data["password"]
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            status = 409 if isinstance(error, TransitionNotAllowed) else 400
            if "password" in error.fields:
                apply_error(form, error)
            else:
                form.add_error(None, error.message)
        else:
            messages.success(request, "Report signed and submitted for approval.")
            return redirect(visit)
    visit.refresh_from_db()
    return render(request, DETAIL, _visit_context(request, visit, sign_form=form), status=status)


@login_required
@require_POST
def report_correct(request, monitoring_visit_id: int):
    return _visit_action(
        request,
        monitoring_visit_id,
        form_class=CorrectForm,
        prefix="correct",
        form_key="correct_form",
        call=lambda visit, data: services.visit_report_correct(
            actor=request.user, visit=visit, **data
        ),
        success="A new report version was started; sign and submit it when it is ready.",
    )


@login_required
@require_POST
def visit_action_item_raise(request, monitoring_visit_id: int):
    return _visit_action(
        request,
        monitoring_visit_id,
        form_class=ActionItemForm,
        prefix="item",
        form_key="item_form",
        call=lambda visit, data: services.action_item_raise(
            actor=request.user, study_site=visit.study_site, visit=visit, **data
        ),
        success="Action item raised.",
        redirect_to=lambda visit: f"{visit.get_absolute_url()}#action-items",
    )


# --- review ------------------------------------------------------------------------------


def _review_context(request, visit: MonitoringVisit, **forms_) -> dict:
    context = _visit_context(request, visit)
    context["editable"] = False
    context["sections"] = _section_views(context["report"], editable=False)
    context["approve_form"] = forms_.get("approve_form") or SignForm(prefix="approve")
    context["return_form"] = forms_.get("return_form") or ReturnForm(prefix="return")
    return context


@login_required
def visit_review(request, monitoring_visit_id: int):
    visit = selectors.visit_get(actor=request.user, visit_id=monitoring_visit_id)
    if not selectors.sees_reports(request.user, visit.study_site):
        return forbidden(
            request,
            PermissionDenied(
                "Visit reports are the CRO's record; your site receives the follow-up letter."
            ),
        )
    return render(request, "monitoring/visit_review.html", _review_context(request, visit))


@login_required
@require_POST
def report_approve(request, monitoring_visit_id: int):
    return _visit_action(
        request,
        monitoring_visit_id,
        form_class=SignForm,
        prefix="approve",
        form_key="approve_form",
        call=lambda visit, data: services.visit_report_approve(
            actor=request.user, visit=visit, password=data["password"]
        ),
        success="Report approved and signed. The follow-up letter was sent to the site.",
        template="monitoring/visit_review.html",
        context_builder=_review_context,
    )


@login_required
@require_POST
def report_return(request, monitoring_visit_id: int):
    return _visit_action(
        request,
        monitoring_visit_id,
        form_class=ReturnForm,
        prefix="return",
        form_key="return_form",
        call=lambda visit, data: services.visit_report_return(
            actor=request.user, visit=visit, **data
        ),
        success="Report returned to the CRA with your comments.",
        template="monitoring/visit_review.html",
        context_builder=_review_context,
    )


# --- letters -----------------------------------------------------------------------------


@login_required
def confirmation_letter(request, monitoring_visit_id: int):
    visit = selectors.visit_get(actor=request.user, visit_id=monitoring_visit_id)
    return render(
        request,
        "monitoring/confirmation_letter.html",
        {"visit": visit, "contacts": selectors.site_contacts(visit.study_site)},
    )


@login_required
def follow_up_letter(request, monitoring_visit_id: int):
    visit = selectors.visit_get(actor=request.user, visit_id=monitoring_visit_id)
    letter = selectors.letter_current(visit=visit)
    roles = access.study_site_roles(request.user, visit.study_site)
    return render(
        request,
        "monitoring/follow_up_letter.html",
        {
            "visit": visit,
            "letter": letter,
            "signatures": list(signatures_for(letter.report)) if letter else [],
            "can_acknowledge": services.allowed("letter.acknowledge", roles),
            "contacts": selectors.site_contacts(visit.study_site),
        },
    )


@login_required
@require_POST
def follow_up_letter_acknowledge(request, monitoring_visit_id: int):
    visit = selectors.visit_get(actor=request.user, visit_id=monitoring_visit_id)
    letter = selectors.letter_current(visit=visit)
    url = reverse("monitoring_visit_letter", kwargs={"monitoring_visit_id": visit.pk})
    if letter is None:
        messages.error(request, "There is no follow-up letter for this visit yet.")
        return redirect(url)
    try:
        services.follow_up_letter_acknowledge(actor=request.user, letter=letter)
    except PermissionDenied as error:
        return forbidden(request, error)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Letter acknowledged. The CRA has been told.")
    return redirect(url)


@login_required
def visit_audit(request, monitoring_visit_id: int):
    visit = selectors.visit_get(actor=request.user, visit_id=monitoring_visit_id)
    targets = [visit, visit.follow_up_letters.all(), visit.action_items.all()]
    if selectors.sees_reports(request.user, visit.study_site):
        reports = visit.reports.all()
        targets += [reports]
        targets += [Finding.objects.filter(report__visit=visit)]
    entries = audit_trail(*targets)
    return render(
        request,
        "trials/audit_trail.html",
        {
            "record": visit,
            "title": f"Audit trail — {visit}",
            "page_obj": paginate(request, entries, per_page=AUDIT_PAGE_SIZE),
            "back_url": visit.get_absolute_url(),
        },
    )


# --- action items ------------------------------------------------------------------------


@login_required
def action_item_list(request):
    studies, sites = _filter_choices(request.user)
    form = ActionItemFilterForm(request.GET or None, studies=studies, sites=sites)
    filters = form.cleaned_data if form.is_valid() else {}
    items = selectors.action_item_table(actor=request.user, filters=filters)
    items, sorting = sort_queryset(request, items, ACTION_ITEM_SORTS)
    return render(
        request,
        "monitoring/action_item_list.html",
        {
            "form": form,
            "sorting": sorting,
            "page_obj": paginate(request, items),
            "today": timezone.localdate(),
            "can_raise": selectors.plannable_study_sites(actor=request.user).exists(),
        },
    )


@login_required
def action_item_create(request):
    choices, offer = _study_site_choices(request)
    if not offer.exists:
        return forbidden(
            request,
            PermissionDenied(
                "Only a CRA assigned to a site (or a study lead) raises action items."
            ),
        )
    form = StandaloneActionItemForm(
        request.POST or None,
        study_sites=choices,
        initial={"owner": ActionItemOwner.SITE, "due_date": timezone.localdate() + timedelta(14)},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        study_site = StudySite.objects.get(pk=data.pop("study_site"))
        try:
            item = services.action_item_raise(actor=request.user, study_site=study_site, **data)
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, "Action item raised.")
            return redirect(item)
    return render(request, "monitoring/action_item_form.html", {"form": form, "study_step": offer})


def _item_context(request, item, **forms_) -> dict:
    roles = access.study_site_roles(request.user, item.study_site)
    owner_action = "visit.respond" if item.owner == ActionItemOwner.SITE else "action_item.manage"
    return {
        "item": item,
        "today": timezone.localdate(),
        "can_resolve": services.allowed(owner_action, roles)
        and item.status == ActionItemStatus.OPEN,
        "can_manage": services.allowed("action_item.manage", roles),
        "resolve_form": forms_.get("resolve_form") or ResolveForm(prefix="resolve"),
        "reopen_form": forms_.get("reopen_form") or ReopenForm(prefix="reopen"),
    }


@login_required
def action_item_detail(request, action_item_id: int):
    item = selectors.action_item_get(actor=request.user, action_item_id=action_item_id)
    return render(request, "monitoring/action_item_detail.html", _item_context(request, item))


def _item_action(request, action_item_id, *, form_class, prefix, form_key, call, success):
    item = selectors.action_item_get(actor=request.user, action_item_id=action_item_id)
    form = form_class(request.POST, prefix=prefix) if form_class else None
    status = 400
    if form is None or form.is_valid():
        try:
            call(item, form.cleaned_data if form is not None else {})
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            status = 409 if isinstance(error, TransitionNotAllowed) else 400
            if form is None:
                messages.error(request, error.message)
            else:
                apply_error(form, error)
        else:
            messages.success(request, success)
            return redirect(item)
    context = _item_context(request, item, **({form_key: form} if form_key else {}))
    return render(request, "monitoring/action_item_detail.html", context, status=status)


@login_required
@require_POST
def action_item_resolve(request, action_item_id: int):
    return _item_action(
        request,
        action_item_id,
        form_class=ResolveForm,
        prefix="resolve",
        form_key="resolve_form",
        call=lambda item, data: services.action_item_resolve(
            actor=request.user, action_item=item, **data
        ),
        success="Marked resolved; the CRA will review and close it.",
    )


@login_required
@require_POST
def action_item_close(request, action_item_id: int):
    return _item_action(
        request,
        action_item_id,
        form_class=None,
        prefix="",
        form_key="",
        call=lambda item, data: services.action_item_close(actor=request.user, action_item=item),
        success="Action item closed.",
    )


@login_required
@require_POST
def action_item_reopen(request, action_item_id: int):
    return _item_action(
        request,
        action_item_id,
        form_class=ReopenForm,
        prefix="reopen",
        form_key="reopen_form",
        call=lambda item, data: services.action_item_reopen(
            actor=request.user, action_item=item, **data
        ),
        success="Action item re-opened.",
    )


# --- calendar feed -----------------------------------------------------------------------


@login_required
def calendar(request):
    feed = CalendarFeed.objects.filter(user=request.user, revoked_at__isnull=True).first()
    url = (
        request.build_absolute_uri(
            reverse("monitoring_calendar_feed", kwargs={"token": feed.token})
        )
        if feed
        else ""
    )
    return render(request, "monitoring/calendar.html", {"feed": feed, "feed_url": url})


@login_required
@require_POST
def calendar_create(request):
    services.calendar_feed_create(actor=request.user)
    messages.success(
        request, "Your private calendar address is ready. Any earlier address no longer works."
    )
    return redirect("monitoring_calendar")


@login_required
@require_POST
def calendar_revoke(request):
    services.calendar_feed_revoke(actor=request.user)
    messages.success(request, "Calendar address revoked; calendar applications stop updating.")
    return redirect("monitoring_calendar")


@require_GET
def calendar_feed(request, token: str):
    """The iCalendar feed; the unguessable token is the capability (calendar applications do
    not sign in). Revoked or unknown tokens are a 404."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404("Not found.")
    visits = selectors.calendar_visits(user=feed.user)
    response = HttpResponse(
        calendar_bytes(visits, base_url=request.build_absolute_uri("/")),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "private, max-age=300"
    return response
