"""Feasibility pages. Thin: parse input, call a selector or service, render. HTMX requests get
the partial they replace."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Organization
from core.exceptions import ApplicationError, PermissionDenied
from core.views import apply_error, forbidden, paginate
from feasibility import access, prefill, selectors, services
from feasibility.forms import (
    AnswerForm,
    AttachmentForm,
    DeclineForm,
    ItemAddForm,
    NotesForm,
    QuestionForm,
    QuestionnaireCreateForm,
    QuestionnaireFilterForm,
    RequestFilterForm,
    SelectForm,
    SendForm,
)
from feasibility.models import REQUEST_TRANSITIONS, QuestionnaireStatus
from feasibility.scoring import describe_rule


def _can_manage(user, study) -> bool:
    try:
        access.require_manage(user, study)
    except PermissionDenied:
        return False
    return True


# --- question bank ---------------------------------------------------------------------------


@login_required
def question_list(request):
    owners = access.question_bank_owner_ids(request.user)
    form = QuestionForm(request.POST or None, prefix="question")
    status = 200
    if request.method == "POST":
        if not owners:
            return forbidden(request, PermissionDenied("Only CRO project managers add questions."))
        if form.is_valid():
            try:
                question = services.question_create(
                    actor=request.user,
                    owner=Organization.objects.get(pk=owners[0]),
                    **form.cleaned_data,
                )
            except PermissionDenied as error:
                return forbidden(request, error)
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, f"“{question.text}” added to your question bank.")
                return redirect("question_list")
        status = 400
    questions = selectors.question_list(
        actor=request.user, filters={"q": request.GET.get("q", "")[:100]}
    ).select_related("owner")
    return render(
        request,
        "feasibility/question_list.html",
        {"page_obj": paginate(request, questions), "form": form, "can_add": bool(owners)},
        status=status,
    )


# --- questionnaires --------------------------------------------------------------------------


@login_required
def questionnaire_list(request):
    filter_form = QuestionnaireFilterForm(request.GET or None)
    filters = filter_form.cleaned_data if filter_form.is_valid() else {}
    questionnaires = selectors.questionnaire_list(actor=request.user, filters=filters)
    return render(
        request,
        "feasibility/questionnaire_list.html",
        {
            "filter_form": filter_form,
            "page_obj": paginate(request, questionnaires),
            "can_create": selectors.feasibility_study_list(actor=request.user).exists(),
            "is_site": bool(access.site_organization_ids(request.user)),
        },
    )


@login_required
def questionnaire_create(request):
    studies = selectors.feasibility_study_list(actor=request.user)
    form = QuestionnaireCreateForm(request.POST or None, studies=studies)
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire = services.questionnaire_create(actor=request.user, **form.cleaned_data)
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, "Questionnaire created. Add questions from the bank.")
            return redirect(questionnaire.get_absolute_url())
    return render(
        request,
        "feasibility/questionnaire_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _builder_context(request, questionnaire, item_form=None):
    items = selectors.questionnaire_items(questionnaire=questionnaire)
    can_manage = _can_manage(request.user, questionnaire.study)
    questions = selectors.question_list(actor=request.user).exclude(
        pk__in=[i.question_id for i in items]
    )
    return {
        "questionnaire": questionnaire,
        "items": [(i, describe_rule(i.question.kind, i.rule)) for i in items],
        "can_manage": can_manage,
        "can_edit": can_manage and questionnaire.status == QuestionnaireStatus.DRAFT,
        "item_form": item_form or ItemAddForm(prefix="item", questions=questions),
        "requests": selectors.request_list(
            actor=request.user, filters={"questionnaire": questionnaire.pk}
        ),
    }


@login_required
def questionnaire_detail(request, questionnaire_id: int):
    questionnaire = selectors.questionnaire_get(
        actor=request.user, questionnaire_id=questionnaire_id
    )
    return render(
        request, "feasibility/questionnaire_detail.html", _builder_context(request, questionnaire)
    )


@login_required
@require_POST
def questionnaire_item_add(request, questionnaire_id: int):
    questionnaire = selectors.questionnaire_get(
        actor=request.user, questionnaire_id=questionnaire_id
    )
    questions = selectors.question_list(actor=request.user)
    form = ItemAddForm(request.POST, prefix="item", questions=questions)
    if form.is_valid():
        try:
            services.questionnaire_item_add(
                actor=request.user,
                questionnaire=questionnaire,
                question=form.cleaned_data["question"],
                weight=form.cleaned_data["weight"],
                rule=form.rule(),
                required=form.cleaned_data["required"],
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            form = None
            if not request.htmx:
                messages.success(request, "Question added.")
                return redirect(questionnaire.get_absolute_url())
    context = _builder_context(request, questionnaire, item_form=form)
    if request.htmx:
        return render(request, "feasibility/questionnaire_detail.html#builder", context)
    return render(request, "feasibility/questionnaire_detail.html", context, status=400)


@login_required
def questionnaire_send(request, questionnaire_id: int):
    questionnaire = selectors.questionnaire_get(
        actor=request.user, questionnaire_id=questionnaire_id
    )
    can_manage = _can_manage(request.user, questionnaire.study)
    sites = selectors.sendable_sites(questionnaire=questionnaire)
    form = SendForm(request.POST or None, sites=sites, prefix="send")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.questionnaire_send(
                    actor=request.user, questionnaire=questionnaire, **form.cleaned_data
                )
            except PermissionDenied as error:
                return forbidden(request, error)
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(
                    request,
                    f"Sent to {len(created)} site{'s' if len(created) != 1 else ''}; "
                    "their coordinators have been told.",
                )
                return redirect(questionnaire.get_absolute_url())
        status = 400
    return render(
        request,
        "feasibility/questionnaire_send.html",
        {
            "questionnaire": questionnaire,
            "form": form,
            "can_manage": can_manage,
            "item_count": len(selectors.questionnaire_items(questionnaire=questionnaire)),
            "today": timezone.localdate(),
        },
        status=status,
    )


def _decision_forms(feasibility_request, **forms_):
    prefix = f"r{feasibility_request.pk}"
    return {
        "select_form": forms_.get("select_form") or SelectForm(prefix=f"{prefix}-select"),
        "decline_form": forms_.get("decline_form") or DeclineForm(prefix=f"{prefix}-decline"),
    }


@login_required
def questionnaire_responses(request, questionnaire_id: int):
    questionnaire = selectors.questionnaire_get(
        actor=request.user, questionnaire_id=questionnaire_id
    )
    compared = selectors.comparison(actor=request.user, questionnaire=questionnaire)
    can_manage = _can_manage(request.user, questionnaire.study)
    return render(
        request,
        "feasibility/questionnaire_responses.html",
        {
            "questionnaire": questionnaire,
            "comparison": compared,
            "answered": [r for r in compared.requests if r.pk in compared.cards],
            "matrix": compared.matrix(),
            "site_rows": [(r, _decision_forms(r)) for r in compared.requests],
            "can_manage": can_manage,
            "transitions": REQUEST_TRANSITIONS,
        },
    )


# --- requests --------------------------------------------------------------------------------


@login_required
def feasibility_request_list(request):
    form = RequestFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    requests = selectors.request_list(actor=request.user, filters=filters)
    return render(
        request,
        "feasibility/request_list.html",
        {
            "form": form,
            "page_obj": paginate(request, requests),
            "today": timezone.localdate(),
            "is_site": bool(access.site_organization_ids(request.user)),
        },
    )


def _site_context(request, feasibility_request, form=None, attachment_form=None):
    items = selectors.questionnaire_items(questionnaire=feasibility_request.questionnaire)
    answers = selectors.request_answers(request=feasibility_request)
    offered = prefill.suggestions(request=feasibility_request, items=items)
    if form is None:
        initial = {}
        for item in items:
            answer = answers.get(item.pk)
            if answer is not None:
                initial[f"item_{item.pk}"] = answer.value
                initial[f"comment_{item.pk}"] = answer.comment
            elif item.pk in offered:
                initial[f"item_{item.pk}"] = offered[item.pk].value
        form = AnswerForm(items=items, initial=initial)
    markers = {}
    for item in items:
        answer = answers.get(item.pk)
        if answer is not None and answer.source:
            markers[item.pk] = ("confirmed", answer.get_source_display())
        elif answer is None and item.pk in offered:
            markers[item.pk] = ("offered", offered[item.pk].label)
    card = selectors.scorecard(items=items, answers=answers)
    return {
        "fr": feasibility_request,
        "form": form,
        "rows": [
            (item, field, comment, markers.get(item.pk)) for item, field, comment in form.rows()
        ],
        "card": card,
        "editable": feasibility_request.is_open,
        "prefilled_count": sum(1 for kind, _ in markers.values() if kind == "offered"),
        "today": timezone.localdate(),
        "attachments": selectors.attachment_list(actor=request.user, request=feasibility_request),
        "attachment_form": attachment_form or AttachmentForm(prefix="attachment"),
    }


def _cro_context(request, feasibility_request, **forms_):
    items = selectors.questionnaire_items(questionnaire=feasibility_request.questionnaire)
    answered = feasibility_request.submitted_at is not None
    answers = selectors.request_answers(request=feasibility_request) if answered else {}
    return {
        "fr": feasibility_request,
        "card": selectors.scorecard(items=items, answers=answers),
        "answered": answered,
        "can_manage": _can_manage(request.user, feasibility_request.questionnaire.study),
        "notes_form": forms_.get("notes_form")
        or NotesForm(prefix="notes", initial={"notes": feasibility_request.cro_notes}),
        "transitions": REQUEST_TRANSITIONS,
        "attachments": selectors.attachment_list(actor=request.user, request=feasibility_request),
        **_decision_forms(feasibility_request, **forms_),
    }


@login_required
def feasibility_request_detail(request, feasibility_request_id: int):
    fr = selectors.request_get(actor=request.user, feasibility_request_id=feasibility_request_id)
    if selectors.request_side(actor=request.user, request=fr) == selectors.SITE:
        return render(request, "feasibility/request_answer.html", _site_context(request, fr))
    return render(request, "feasibility/request_review.html", _cro_context(request, fr))


@login_required
@require_POST
def feasibility_request_answer(request, feasibility_request_id: int):
    fr = selectors.request_get(actor=request.user, feasibility_request_id=feasibility_request_id)
    items = selectors.questionnaire_items(questionnaire=fr.questionnaire)
    form = AnswerForm(request.POST, items=items)
    submit = request.POST.get("action") == "submit"
    if form.is_valid():
        try:
            services.feasibility_request_answer(
                actor=request.user,
                request=fr,
                answers=form.answers(),
                comments=form.comments(),
                submit=submit,
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(
                request,
                "Submitted — thank you. The CRO has been told."
                if submit
                else "Draft saved. Submit when every answer is checked.",
            )
            return redirect(fr.get_absolute_url())
    return render(
        request, "feasibility/request_answer.html", _site_context(request, fr, form), status=400
    )


def _after_decision(request, fr, error_forms=None, error=None):
    """HTMX: the site's row on the responses page; otherwise back to where the user was."""
    fr = selectors.request_get(actor=request.user, feasibility_request_id=fr.pk)
    if request.htmx:
        return render(
            request,
            "feasibility/questionnaire_responses.html#site-row",
            {
                "fr": fr,
                "forms": _decision_forms(fr, **(error_forms or {})),
                "can_manage": True,
                "transitions": REQUEST_TRANSITIONS,
                "row_error": error,
            },
        )
    if error is not None:
        context = _cro_context(request, fr, **(error_forms or {}))
        context["decision_error"] = error
        return render(request, "feasibility/request_review.html", context, status=400)
    if request.POST.get("next") == "responses":
        return redirect("questionnaire_responses", questionnaire_id=fr.questionnaire_id)
    return redirect(fr.get_absolute_url())


@login_required
@require_POST
def feasibility_request_shortlist(request, feasibility_request_id: int):
    fr = selectors.request_get(actor=request.user, feasibility_request_id=feasibility_request_id)
    try:
        services.feasibility_request_shortlist(actor=request.user, request=fr)
    except PermissionDenied as error:
        return forbidden(request, error)
    except ApplicationError as error:
        return _after_decision(request, fr, error=error.message)
    messages.success(request, f"{fr.site.name} shortlisted.")
    return _after_decision(request, fr)


@login_required
@require_POST
def feasibility_request_select(request, feasibility_request_id: int):
    fr = selectors.request_get(actor=request.user, feasibility_request_id=feasibility_request_id)
    form = SelectForm(request.POST, prefix=f"r{fr.pk}-select")
    if form.is_valid():
        try:
            services.feasibility_request_select(actor=request.user, request=fr, **form.cleaned_data)
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(
                request, f"{fr.site.name} selected as site {form.cleaned_data['site_number']}."
            )
            return _after_decision(request, fr)
    return _after_decision(
        request, fr, error_forms={"select_form": form}, error="Check the site number."
    )


@login_required
@require_POST
def feasibility_request_decline(request, feasibility_request_id: int):
    fr = selectors.request_get(actor=request.user, feasibility_request_id=feasibility_request_id)
    form = DeclineForm(request.POST, prefix=f"r{fr.pk}-decline")
    if form.is_valid():
        try:
            services.feasibility_request_decline(
                actor=request.user, request=fr, **form.cleaned_data
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, f"{fr.site.name} declined; the site has been thanked.")
            return _after_decision(request, fr)
    return _after_decision(
        request, fr, error_forms={"decline_form": form}, error="Say why you decline."
    )


@login_required
@require_POST
def feasibility_request_notes(request, feasibility_request_id: int):
    fr = selectors.request_get(actor=request.user, feasibility_request_id=feasibility_request_id)
    form = NotesForm(request.POST, prefix="notes")
    if form.is_valid():
        try:
            services.feasibility_request_note(
                actor=request.user, request=fr, notes=form.cleaned_data["notes"]
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        messages.success(request, "Notes saved.")
    return redirect(fr.get_absolute_url())


@login_required
@require_POST
def feasibility_attachment_add(request, feasibility_request_id: int):
    fr = selectors.request_get(actor=request.user, feasibility_request_id=feasibility_request_id)
    form = AttachmentForm(request.POST, request.FILES, prefix="attachment")
    if form.is_valid():
        try:
            attachment = services.feasibility_attachment_add(
                actor=request.user,
                request=fr,
                file=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, f"Attached {attachment.original_filename}.")
            return redirect(fr.get_absolute_url())
    if selectors.request_side(actor=request.user, request=fr) != selectors.SITE:
        return forbidden(
            request,
            PermissionDenied("Only the site's coordinators and investigators attach files."),
        )
    return render(
        request,
        "feasibility/request_answer.html",
        _site_context(request, fr, attachment_form=form),
        status=400,
    )


@login_required
@require_GET
def feasibility_attachment_download(request, feasibility_attachment_id: int):
    """Serve an attachment to someone who may see it (never from a public media URL)."""
    attachment = selectors.attachment_get(
        actor=request.user, feasibility_attachment_id=feasibility_attachment_id
    )
    try:
        handle = default_storage.open(attachment.file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404("Not found.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
