"""Study and study-site pages. Thin: parse input, call a selector or service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import OrganizationKind, Role, User
from accounts.selectors import active_membership, organization_roles
from core import checklists
from core.audit import audit_trail
from core.exceptions import ApplicationError, PermissionDenied, RecordLocked
from core.panels import panels_for
from core.sorting import sort_queryset
from core.views import apply_error, forbidden, paginate, submit_form
from sites.models import SiteProfile
from trials import access, selectors, services
from trials.forms import (
    AgreementForm,
    AssignCRAForm,
    IPReconciliationForm,
    StudyEditForm,
    StudyFilterForm,
    StudyForm,
    StudySiteAddForm,
    StudySiteFilterForm,
    StudySiteTransitionForm,
    StudyUpdateFilterForm,
    StudyUpdateForm,
    VisitDefinitionForm,
)
from trials.models import STUDY_SITE_TRANSITIONS, StudySiteStatus, SubjectStatus

AUDIT_PAGE_SIZE = 50
PANEL_ROWS = 8
STUDY_SORTS = {
    "protocol": "protocol_number",
    "title": "title",
    "cro": ("cro__name", "protocol_number"),
    "sponsor": ("sponsor__name", "protocol_number"),
    "phase": ("phase", "protocol_number"),
    "status": ("status", "protocol_number"),
    "sites": ("site_count", "protocol_number"),
}
STUDY_SITE_SORTS = {
    "study": ("study__protocol_number", "site_number"),
    "cro": ("study__cro__name", "study__protocol_number", "site_number"),
    "site": ("site__name", "study__protocol_number"),
    "number": ("site_number", "study__protocol_number"),
    "status": ("status", "study__protocol_number", "site_number"),
    "screened": ("screened_count", "study__protocol_number", "site_number"),
    "enrolled": ("enrolled_count", "study__protocol_number", "site_number"),
}


def _creatable_cros(user) -> list:
    from accounts.models import Organization

    ids = [
        org
        for org, roles in organization_roles(user).items()
        if access.allowed("study.create", roles)
    ]
    return list(Organization.objects.filter(pk__in=ids, kind="cro")) if ids else []


@login_required
def study_list(request):
    form = StudyFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    studies = selectors.study_list(actor=request.user, filters=filters)
    studies, sorting = sort_queryset(request, studies, STUDY_SORTS)
    return render(
        request,
        "trials/study_list.html",
        {
            "form": form,
            "sorting": sorting,
            "page_obj": paginate(request, studies),
            "can_create": bool(_creatable_cros(request.user)),
        },
    )


@login_required
def study_create(request):
    cros = _creatable_cros(request.user)
    if not cros:
        return forbidden(request, PermissionDenied("Only a CRO project manager can add studies."))
    form = StudyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            study = services.study_create(actor=request.user, cro=cros[0], **form.cleaned_data)
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, f"Study {study.protocol_number} created.")
            return redirect("study_detail", study_id=study.pk)
    return render(request, "trials/study_form.html", {"form": form, "cro": cros[0]})


def _study_context(request, study, **forms_):
    roles = access.study_roles(request.user, study)
    can_manage = access.allowed("study.manage", roles)
    study_sites = (
        selectors.study_site_list(actor=request.user, filters={"study": study.pk})
        .select_related(None)
        .select_related("site", "principal_investigator")
    )
    return {
        "study": study,
        "study_sites": study_sites,
        "visit_definitions": selectors.visit_definition_list(actor=request.user, study=study),
        "milestones": selectors.milestone_list(actor=request.user, study=study).filter(
            study_site__isnull=True
        ),
        "team": study.team.select_related("user").order_by("role", "user__full_name"),
        "can_manage": can_manage,
        "site_form": forms_.get("site_form") or StudySiteAddForm(prefix="site"),
        "visit_form": forms_.get("visit_form") or VisitDefinitionForm(prefix="visit"),
        "edit_form": forms_.get("edit_form")
        or StudyEditForm(
            prefix="edit",
            initial={
                **{
                    f: getattr(study, f)
                    for f in (
                        "title",
                        "phase",
                        "therapeutic_area",
                        "planned_sites",
                        "planned_subjects",
                    )
                },
                **(services.study_plan_dates(study) if can_manage else {}),
            },
        ),
        "study_panels": _study_panels(request, study),
    }


def _study_panels(request, study) -> list[tuple]:
    """Panels other apps register for the study page (core.panels slot "study"), for the
    signed-in user's organization kind and roles there; ``build(request, study)`` may hide
    its panel by returning None."""
    membership = active_membership(request)
    if membership is None:
        return []
    roles = organization_roles(request.user).get(membership.organization_id, set())
    shown = []
    for panel in panels_for(membership.organization.kind, roles, slot="study"):
        context = panel.build(request, study)
        if context is not None:
            shown.append((panel, context))
    return shown


@login_required
def study_detail(request, study_id: int):
    study = selectors.study_get(actor=request.user, study_id=study_id)
    return render(request, "trials/study_detail.html", _study_context(request, study))


def _study_form_failed(request, study, panel: str, form):
    def failed():
        context = _study_context(request, study, **{f"{panel}_form": form})
        context["open_panel"] = panel
        return render(request, "trials/study_detail.html", context, status=400)

    return failed


def _edit_study(actor, study, data):
    data = dict(data)
    reason = data.pop("reason")
    return services.study_update(actor=actor, study=study, reason=reason, **data)


@login_required
@require_POST
def study_edit(request, study_id: int):
    study = selectors.study_get(actor=request.user, study_id=study_id)
    form = StudyEditForm(request.POST, prefix="edit")
    return submit_form(
        request,
        form,
        lambda data: _edit_study(request.user, study, data),
        success="Study updated; the change and its reason are in the audit trail.",
        done=study,
        failed=_study_form_failed(request, study, "edit", form),
    )


@login_required
@require_POST
def study_site_add(request, study_id: int):
    study = selectors.study_get(actor=request.user, study_id=study_id)
    form = StudySiteAddForm(request.POST, prefix="site")
    return submit_form(
        request,
        form,
        lambda data: services.study_site_add(actor=request.user, study=study, **data),
        success=lambda study_site: f"Site {study_site.site_number} added as a candidate.",
        done=study,
        failed=_study_form_failed(request, study, "site", form),
    )


@login_required
@require_POST
def visit_definition_add(request, study_id: int):
    study = selectors.study_get(actor=request.user, study_id=study_id)
    form = VisitDefinitionForm(request.POST, prefix="visit")
    return submit_form(
        request,
        form,
        lambda data: services.visit_definition_add(actor=request.user, study=study, **data),
        success="Visit added to the schedule.",
        done=study,
        failed=_study_form_failed(request, study, "visit", form),
    )


@login_required
def study_site_list(request):
    form = StudySiteFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    study_sites = selectors.study_site_list(actor=request.user, filters=filters)
    study_sites, sorting = sort_queryset(request, study_sites, STUDY_SITE_SORTS)
    return render(
        request,
        "trials/study_site_list.html",
        {"form": form, "sorting": sorting, "page_obj": paginate(request, study_sites)},
    )


def _study_site_context(request, study_site, **forms_):
    roles = access.study_site_roles(request.user, study_site)
    is_open = study_site.status != StudySiteStatus.CLOSED
    can_manage = access.allowed("study_site.manage", roles)
    subjects = selectors.subject_list(actor=request.user, study_site=study_site)
    counts = {status: 0 for status in SubjectStatus.values}
    for row in subjects.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    cras = User.objects.filter(
        memberships__organization_id=study_site.study.cro_id,
        memberships__role=Role.CRA,
        memberships__is_active=True,
    ).distinct()
    next_statuses = [
        (value, label)
        for value, label in StudySiteTransitionForm.base_fields["to_status"].choices
        if value in STUDY_SITE_TRANSITIONS.get(study_site.status, ())
    ]
    transition_form = forms_.get("transition_form") or StudySiteTransitionForm(prefix="status")
    transition_form.fields["to_status"].choices = next_statuses
    guarded = [
        (value, label, checklists.items(checklist, study_site))
        for value, label in next_statuses
        if (checklist := services.checklist_for_transition(study_site.status, value))
    ]
    return {
        "checklists": guarded,
        "site_profile": SiteProfile.objects.filter(organization_id=study_site.site_id).first(),
        "study_site": study_site,
        "roles": roles,
        "can_manage": can_manage,
        "assigned_cras": study_site.assigned_cras.order_by("full_name"),
        "milestones": selectors.milestone_list(
            actor=request.user, study=study_site.study, study_site=study_site
        ),
        "subject_counts": [(SubjectStatus(s).label, n) for s, n in counts.items()],
        "recent_subjects": subjects[:10],
        "transition_form": transition_form,
        "next_statuses": next_statuses,
        "cra_form": forms_.get("cra_form") or AssignCRAForm(prefix="cra", cras=cras),
        "can_record_agreement": is_open and access.allowed("study_site.record_agreement", roles),
        "agreement_form": forms_.get("agreement_form")
        or AgreementForm(prefix="agreement", initial={"signed_on": study_site.agreement_signed_on}),
        "can_reconcile_ip": is_open
        and study_site.ip_reconciled_at is None
        and access.allowed("study_site.reconcile_ip", roles),
        "ip_form": forms_.get("ip_form") or IPReconciliationForm(prefix="ip"),
        "ip_reconciled_by": (
            User.objects.filter(pk=study_site.ip_reconciled_by_id).first()
            if study_site.ip_reconciled_by_id
            else None
        ),
        "is_open": is_open,
    }


@login_required
def study_site_detail(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    return render(
        request, "trials/study_site_detail.html", _study_site_context(request, study_site)
    )


@login_required
@require_POST
def study_site_transition(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    context = _study_site_context(request, study_site)
    form = StudySiteTransitionForm(request.POST, prefix="status")
    form.fields["to_status"].choices = context["next_statuses"]
    if form.is_valid():
        try:
            services.study_site_transition(
                actor=request.user,
                study_site=study_site,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
                override=form.cleaned_data["override"],
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except RecordLocked as error:
            messages.error(request, error.message)
            return redirect("study_site_detail", study_site_id=study_site.pk)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, "Site status changed.")
            return redirect("study_site_detail", study_site_id=study_site.pk)
    context["transition_form"] = form
    return render(request, "trials/study_site_detail.html", context, status=400)


@login_required
@require_POST
def study_site_assign_cra(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    context = _study_site_context(request, study_site)
    form = AssignCRAForm(
        request.POST, prefix="cra", cras=context["cra_form"].fields["cra"].queryset
    )
    if form.is_valid():
        try:
            services.study_site_assign_cra(
                actor=request.user, study_site=study_site, cra=form.cleaned_data["cra"]
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except RecordLocked as error:
            messages.error(request, error.message)
            return redirect("study_site_detail", study_site_id=study_site.pk)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['cra']} now monitors this site.")
            return redirect("study_site_detail", study_site_id=study_site.pk)
    context["cra_form"] = form
    return render(request, "trials/study_site_detail.html", context, status=400)


@login_required
def study_audit(request, study_id: int):
    study = selectors.study_get(actor=request.user, study_id=study_id)
    entries = audit_trail(study)
    return render(
        request,
        "trials/audit_trail.html",
        {
            "record": study,
            "title": f"Audit trail — {study.protocol_number}",
            "page_obj": paginate(request, entries, per_page=AUDIT_PAGE_SIZE),
            "back_url": study.get_absolute_url(),
        },
    )


@login_required
def study_site_audit(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    subjects = selectors.subject_list(actor=request.user, study_site=study_site)
    entries = audit_trail(study_site, subjects)
    return render(
        request,
        "trials/audit_trail.html",
        {
            "record": study_site,
            "title": f"Audit trail — {study_site}",
            "page_obj": paginate(request, entries, per_page=AUDIT_PAGE_SIZE),
            "back_url": study_site.get_absolute_url(),
        },
    )


# --- start-up and close-out records on the study-site ------------------------------------------


def _study_site_form_failed(request, study_site, key: str, form):
    def failed():
        context = _study_site_context(request, study_site, **{key: form})
        return render(request, "trials/study_site_detail.html", context, status=400)

    return failed


@login_required
@require_POST
def study_site_record_agreement(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    form = AgreementForm(request.POST, prefix="agreement")
    return submit_form(
        request,
        form,
        lambda data: services.study_site_record_agreement(
            actor=request.user, study_site=study_site, **data
        ),
        success="Agreement signing date recorded.",
        done=study_site,
        failed=_study_site_form_failed(request, study_site, "agreement_form", form),
        locked_redirects=True,
    )


@login_required
@require_POST
def study_site_reconcile_ip(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    form = IPReconciliationForm(request.POST, prefix="ip")
    return submit_form(
        request,
        form,
        lambda data: services.study_site_reconcile_ip(
            actor=request.user, study_site=study_site, **data
        ),
        success="Investigational product attested reconciled.",
        done=study_site,
        failed=_study_site_form_failed(request, study_site, "ip_form", form),
        locked_redirects=True,
    )


def _is_site_user(request) -> bool:
    membership = active_membership(request)
    return membership is not None and membership.organization.kind == OrganizationKind.SITE


@login_required
def study_update_list(request):
    """Site people: the updates sent to their study-sites across every CRO, what is still to do
    first. CRO people and sponsors: the updates of their studies with per-site read counts."""
    site_view = _is_site_user(request)
    studies = access.visible_studies(request.user).order_by("protocol_number")
    form = StudyUpdateFilterForm(request.GET or None, studies=studies)
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {**filters, "study": filters["study"].pk if filters.get("study") else None}
    if site_view:
        rows = selectors.study_update_inbox(actor=request.user, filters=filters)
    else:
        rows = selectors.study_update_list(actor=request.user, filters=filters)
    return render(
        request,
        "trials/study_update_list.html",
        {
            "form": form,
            "site_view": site_view,
            "page_obj": paginate(request, rows),
            "postable": [] if site_view else list(selectors.postable_studies(actor=request.user)),
            "filtered": any(filters.values()),
        },
    )


@login_required
def study_update_create(request, study_id: int):
    study = selectors.study_get(actor=request.user, study_id=study_id)
    if not access.allowed("study_update.post", access.study_roles(request.user, study)):
        return forbidden(
            request, PermissionDenied("Only the CRO's project managers and study leads post.")
        )
    open_sites = (
        selectors.study_site_list(actor=request.user, filters={"study": study.pk})
        .exclude(status="closed")
        .select_related(None)
        .select_related("site")
    )
    form = StudyUpdateForm(request.POST or None, study_sites=open_sites)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["study_sites"] = list(data["study_sites"])
        try:
            update = services.study_update_post(actor=request.user, study=study, **data)
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, "Update posted; the sites' people are notified.")
            return redirect("study_update_detail", study_update_id=update.pk)
    return render(
        request,
        "trials/study_update_form.html",
        {"study": study, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def study_update_detail(request, study_update_id: int):
    update = selectors.study_update_get(actor=request.user, study_update_id=study_update_id)
    site_ids = set(selectors._site_org_ids(request.user))
    return render(
        request,
        "trials/study_update_detail.html",
        {
            "update": update,
            "recipients": update.visible_recipients,
            "site_view": any(r.study_site.site_id in site_ids for r in update.visible_recipients),
            "can_act": bool(site_ids),
        },
    )


def _recipient_action(request, study_update_recipient_id: int, service, done: str):
    recipient = selectors.study_update_recipient_get(
        actor=request.user, study_update_recipient_id=study_update_recipient_id
    )
    error_message = ""
    try:
        recipient = service(actor=request.user, recipient=recipient)
    except PermissionDenied as error:
        return forbidden(request, error)
    except ApplicationError as error:
        error_message = error.message
    if request.htmx:
        recipient = selectors.study_update_recipient_get(
            actor=request.user, study_update_recipient_id=recipient.pk
        )
        return render(
            request,
            "trials/study_update_list.html#inbox-row",
            {"r": recipient, "flash": done if not error_message else "", "error": error_message},
            status=409 if error_message else 200,
        )
    if error_message:
        messages.error(request, error_message)
    else:
        messages.success(request, done)
    return redirect("study_update_detail", study_update_id=recipient.study_update_id)


@login_required
@require_POST
def study_update_recipient_read(request, study_update_recipient_id: int):
    return _recipient_action(
        request, study_update_recipient_id, services.study_update_mark_read, "Marked read."
    )


@login_required
@require_POST
def study_update_recipient_confirm(request, study_update_recipient_id: int):
    return _recipient_action(
        request,
        study_update_recipient_id,
        services.study_update_confirm,
        "Confirmed: your site has read this update.",
    )


def study_updates_panel(request) -> dict | None:
    """Dashboard panel for sites: updates still to read or confirm (constant queries)."""
    # Only what the panel shows is joined (fewer tables: shorter planning in Postgres).
    rows = list(
        selectors.study_update_inbox(actor=request.user, filters={"pending": True})
        .select_related(None)
        .select_related("study_update__study__cro", "study_site")[: PANEL_ROWS + 1]
    )
    return {"rows": rows[:PANEL_ROWS], "more": len(rows) > PANEL_ROWS}
