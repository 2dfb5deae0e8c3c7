"""Regulatory pages. Thin: parse input, call a selector or service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core import checklists
from core.exceptions import ApplicationError, PermissionDenied
from core.sorting import sort_queryset
from core.views import apply_error, forbidden, paginate
from regulatory import selectors, services
from regulatory.forms import RequirementForm, RetireForm, ReviewForm, UploadForm
from trials import access
from trials import selectors as trial_selectors
from trials.models import StudySiteStatus

# Columns of the document lists a user may sort by (?sort=key or ?sort=-key).
_STUDY_SITE = ("study__protocol_number", "site_number")
DOCUMENT_OVERVIEW_SORTS = {
    "study": _STUDY_SITE,
    "site": ("site__name", *_STUDY_SITE),
    "status": ("status", *_STUDY_SITE),
    "required": ("requirement_count", *_STUDY_SITE),
    "approved": ("approved_count", *_STUDY_SITE),
    "to_review": ("submitted_count", *_STUDY_SITE),
    "rejected": ("rejected_count", *_STUDY_SITE),
    "expiring": ("expiring_count", *_STUDY_SITE),
}
REVIEW_QUEUE_SORTS = {
    "study": (
        "document__study_site__study__protocol_number",
        "document__study_site__site_number",
        "uploaded_at",
    ),
    "document": ("document__requirement__document_type__name", "uploaded_at"),
    "uploaded": ("uploaded_at",),
    "expires": ("expires_on", "uploaded_at"),
}


@login_required
def document_overview(request):
    """Every visible study-site with its documents at a glance; CRO managers also reach each
    study's requirements from here."""
    study_sites = selectors.study_site_document_overview(actor=request.user)
    study = request.GET.get("study", "")
    if study:
        study_sites = (
            study_sites.filter(study_id=int(study)) if study.isdigit() else study_sites.none()
        )
    study_sites, sorting = sort_queryset(request, study_sites, DOCUMENT_OVERVIEW_SORTS)
    studies = trial_selectors.study_list(actor=request.user).select_related(None)
    return render(
        request,
        "regulatory/document_overview.html",
        {"page_obj": paginate(request, study_sites), "sorting": sorting, "studies": studies[:50]},
    )


# --- requirements (CRO) -----------------------------------------------------------------------


def _requirements_context(request, study, form=None):
    roles = access.study_roles(request.user, study)
    return {
        "study": study,
        "requirements": selectors.document_requirement_list(actor=request.user, study=study),
        "can_manage": services.allowed("document_requirement.manage", roles),
        "form": form or RequirementForm(),
        "retire_form": RetireForm(),
    }


@login_required
def document_requirements(request, study_id: int):
    study = trial_selectors.study_get(actor=request.user, study_id=study_id)
    form = RequirementForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                requirement = services.document_requirement_add(
                    actor=request.user, study=study, **form.cleaned_data
                )
            except PermissionDenied as error:
                return forbidden(request, error)
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, f"Every site of the study now owes: {requirement}.")
                return redirect("document_requirements", study_id=study.pk)
        status = 400
    return render(
        request,
        "regulatory/document_requirements.html",
        _requirements_context(request, study, form),
        status=status,
    )


@login_required
@require_POST
def document_requirement_retire(request, document_requirement_id: int):
    requirement = selectors.document_requirement_get(
        actor=request.user, document_requirement_id=document_requirement_id
    )
    form = RetireForm(request.POST)
    if form.is_valid():
        try:
            services.document_requirement_retire(
                actor=request.user, requirement=requirement, reason=form.cleaned_data["reason"]
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{requirement} is no longer required.")
    else:
        messages.error(request, "Say why the document is no longer required.")
    return redirect("document_requirements", study_id=requirement.study_id)


# --- a study-site's documents (site) ----------------------------------------------------------


def _documents_context(request, study_site, form=None):
    slots = selectors.document_slots(study_site)
    roles = access.study_site_roles(request.user, study_site)
    can_upload = (
        services.allowed("document.upload", roles) and study_site.status != StudySiteStatus.CLOSED
    )
    if form is None:
        form = UploadForm(slots=slots, initial={"slot": request.GET.get("slot", "")})
    counts: dict[str, int] = {}
    for slot in slots:
        counts[slot.status] = counts.get(slot.status, 0) + 1
    return {
        "study_site": study_site,
        "slots": slots,
        "counts": [(selectors.SlotStatus.LABELS[k], k, counts[k]) for k in counts],
        "can_upload": can_upload,
        "can_review": services.allowed("document.review", roles),
        "can_manage": services.allowed("document_requirement.manage", roles),
        "form": form,
    }


@login_required
def study_site_documents(request, study_site_id: int):
    study_site = trial_selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    if request.method != "POST":
        return render(
            request, "regulatory/study_site_documents.html", _documents_context(request, study_site)
        )
    slots = {slot.key: slot for slot in selectors.document_slots(study_site)}
    form = UploadForm(request.POST, request.FILES, slots=slots.values())
    if form.is_valid():
        slot = slots[form.cleaned_data["slot"]]
        try:
            version = services.document_version_upload(
                actor=request.user,
                study_site=study_site,
                requirement=slot.requirement,
                person=slot.person,
                file=form.cleaned_data["file"],
                effective_on=form.cleaned_data["effective_on"],
                expires_on=form.cleaned_data["expires_on"],
                note=form.cleaned_data["note"],
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(
                request,
                f"{slot.label}: version {version.version_number} uploaded "
                f"({version.original_filename}); it now waits for the CRO's review.",
            )
            return redirect("study_site_documents", study_site_id=study_site.pk)
    context = _documents_context(request, study_site, form)
    context["open_upload"] = True
    return render(request, "regulatory/study_site_documents.html", context, status=400)


@login_required
def document_detail(request, document_id: int):
    document = selectors.document_get(actor=request.user, document_id=document_id)
    roles = access.study_site_roles(request.user, document.study_site)
    return render(
        request,
        "regulatory/document_detail.html",
        {
            "document": document,
            "versions": selectors.document_version_list(actor=request.user, document=document),
            "status": selectors.version_status(document.current_version),
            "status_label": selectors.SlotStatus.LABELS[
                selectors.version_status(document.current_version)
            ],
            "can_review": services.allowed("document.review", roles),
            "can_upload": services.allowed("document.upload", roles),
            "review_form": ReviewForm(),
        },
    )


@login_required
@require_GET
def document_version_download(request, document_version_id: int):
    """The file, only through this access-checked view, always as an attachment."""
    version = selectors.document_version_get(
        actor=request.user, document_version_id=document_version_id
    )
    try:
        handle = default_storage.open(version.file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404("Not found.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=version.original_filename,
        content_type=version.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- review (CRO) -----------------------------------------------------------------------------


@login_required
def document_review_queue(request):
    study = request.GET.get("study")
    filters = {"study": int(study)} if study and study.isdigit() else {}
    queue = selectors.review_queue(actor=request.user, filters=filters)
    queue, sorting = sort_queryset(request, queue, REVIEW_QUEUE_SORTS, default="uploaded")
    return render(
        request,
        "regulatory/review_queue.html",
        {
            "page_obj": paginate(request, queue),
            "sorting": sorting,
            "review_form": ReviewForm(),
            "studies": trial_selectors.study_list(actor=request.user).select_related(None)[:50],
            "study_filter": filters.get("study"),
        },
    )


@login_required
@require_POST
def document_version_review(request, document_version_id: int):
    version = selectors.document_version_get(
        actor=request.user, document_version_id=document_version_id
    )
    form = ReviewForm(request.POST)
    error_message = ""
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        review = (
            services.document_version_approve
            if decision == "approve"
            else services.document_version_reject
        )
        try:
            version = review(
                actor=request.user, version=version, reason=form.cleaned_data["reason"]
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            error_message = error.fields.get("reason", [error.message])[0]
            if error.fields.get("reason"):
                error_message = "Give a reason for the rejection; the site will see it."
    else:
        error_message = "Choose approve or reject."
    if request.htmx:
        return render(
            request,
            "regulatory/review_queue.html#queue-row",
            {"version": version, "review_form": form, "error_message": error_message},
            status=400 if error_message else 200,
        )
    if error_message:
        messages.error(request, error_message)
    else:
        messages.success(
            request, f"{version.document}: version {version.version_number} {version.status}."
        )
    if request.POST.get("return_to") == "document":
        return redirect("document_detail", document_id=version.document_id)
    return redirect("document_review_queue")


# --- checklists --------------------------------------------------------------------------------


def _checklist(request, study_site_id: int, checklist: str, title: str, action: str):
    study_site = trial_selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    items = checklists.items(checklist, study_site)
    open_count = sum(1 for item in items if not item.done)
    return render(
        request,
        "regulatory/checklist.html",
        {
            "study_site": study_site,
            "items": items,
            "open_count": open_count,
            "title": title,
            "action": action,
            "checklist": checklist,
        },
    )


@login_required
def study_site_activation(request, study_site_id: int):
    return _checklist(
        request, study_site_id, checklists.ACTIVATION, "Activation checklist", "activate"
    )


@login_required
def study_site_close_out(request, study_site_id: int):
    return _checklist(request, study_site_id, checklists.CLOSE_OUT, "Close-out checklist", "close")
