"""Data query pages. Thin: parse input, call a selector or service, render (HTMX requests get
the partial they swap)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError, PermissionDenied
from core.sorting import sort_queryset
from core.views import apply_error, forbidden, paginate
from queries import selectors, services
from queries.forms import (
    DataQueryActionForm,
    DataQueryFilterForm,
    DataQueryImportForm,
    DataQueryRaiseForm,
    SubjectLookupForm,
)
from queries.models import DataQueryAction, aging_from_thread
from queries.services import IMPORT_COLUMNS, max_import_bytes
from trials import access

ACTIONS = {
    DataQueryAction.ANSWER: (services.data_query_answer, "Answer", "Your answer"),
    DataQueryAction.CLOSE: (services.data_query_close, "Close", "Comment (optional)"),
    DataQueryAction.REOPEN: (services.data_query_reopen, "Re-open", "Why the answer is not enough"),
    DataQueryAction.CANCEL: (
        services.data_query_cancel,
        "Cancel query",
        "Why it was raised in error",
    ),
}
DONE = {
    DataQueryAction.ANSWER: "Answer sent; the query now waits on the CRO.",
    DataQueryAction.CLOSE: "Query closed.",
    DataQueryAction.REOPEN: "Query re-opened; it waits on the site again.",
    DataQueryAction.CANCEL: "Query cancelled.",
}


# Columns of the query list a user may sort by (?sort=key or ?sort=-key).
DATA_QUERY_SORTS = {
    "query": "pk",
    "subject": ("subject__subject_identifier", "-raised_at"),
    "study": ("study__protocol_number", "study_site__site_number", "-raised_at"),
    "form": ("form_name", "field_name", "-raised_at"),
    "status": ("status", "-raised_at"),
    "waiting": ("waiting_since",),
    "age": ("-raised_at",),
}


# Above this many visible study-sites the Site filter lists only the chosen study's sites.
SITE_CHOICES_MAX = 100


def _site_choices(request) -> tuple[list, bool]:
    """The study-sites the Site filter offers, and whether a study must be chosen first: a PM
    of a large CRO sees thousands, too many for one drop-down (and for the page's weight)."""
    visible = (
        access.visible_study_sites(request.user)
        .select_related("study", "site")
        .order_by("study__protocol_number", "site_number")
    )
    study, study_site = request.GET.get("study", ""), request.GET.get("study_site", "")
    if study.isdigit():
        return list(visible.filter(study_id=study)), False
    rows = list(visible[: SITE_CHOICES_MAX + 1])
    if len(rows) <= SITE_CHOICES_MAX:
        return rows, False
    return (list(visible.filter(pk=study_site)) if study_site.isdigit() else []), True


@login_required
def data_query_list(request):
    studies = list(access.visible_studies(request.user).order_by("protocol_number"))
    study_sites, study_first = _site_choices(request)
    form = DataQueryFilterForm(
        request.GET or None, studies=studies, study_sites=study_sites, study_first=study_first
    )
    filters = (
        {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        if form.is_valid()
        else {}
    )
    queries = selectors.data_query_table(actor=request.user, filters=filters)
    # Column headers sort with ?sort=; a link that still says ?ordering= keeps its order.
    queries, sorting = sort_queryset(
        request, queries, DATA_QUERY_SORTS, default="" if filters.get("ordering") else "age"
    )
    page = paginate(request, queries)
    now = timezone.now()
    rows = [(query, query.aging(now)) for query in page]
    can_raise = bool(services.importable_cro_ids(request.user))
    chart, chart_counted_at = selectors.aging_chart_cached(actor=request.user, filters=filters)
    return render(
        request,
        "queries/data_query_list.html",
        {
            "form": form,
            "sorting": sorting,
            "page_obj": page,
            "rows": rows,
            "chart": chart,
            "chart_counted_at": chart_counted_at,
            "chart_ttl_seconds": selectors.CHART_TTL_SECONDS,
            "can_import": can_raise,
            "can_raise": can_raise,
        },
    )


def _detail_context(request, query, forms_=None, error: str = "") -> dict:
    thread = list(selectors.data_query_messages(actor=request.user, data_query=query))
    now = timezone.now()
    allowed = selectors.data_query_allowed_actions(actor=request.user, data_query=query)
    forms_ = forms_ or {}
    actions = [
        {
            "action": action,
            "button": button,
            "url": reverse(f"data_query_{action}", kwargs={"data_query_id": query.pk}),
            "form": forms_.get(action) or DataQueryActionForm(prefix=action, label=label),
        }
        for action, (_, button, label) in ACTIONS.items()
        if action in allowed
    ]
    open_for, site, cro = aging_from_thread(thread, now)
    return {
        "query": query,
        "aging": query.aging(now),
        "thread_aging": {"open_for": open_for, "site": site, "cro": cro},
        "thread": thread,
        "actions": actions,
        "error": error,
    }


@login_required
def data_query_detail(request, data_query_id: int):
    query = selectors.data_query_get(actor=request.user, data_query_id=data_query_id)
    return render(request, "queries/data_query_detail.html", _detail_context(request, query))


def _action_view(action: str):
    service, _, label = ACTIONS[action]

    @login_required
    @require_POST
    def view(request, data_query_id: int):
        query = selectors.data_query_get(actor=request.user, data_query_id=data_query_id)
        form = DataQueryActionForm(request.POST, prefix=action, label=label)
        error = ""
        if form.is_valid():
            try:
                query = service(
                    actor=request.user, data_query=query, text=form.cleaned_data["text"]
                )
            except PermissionDenied as exc:
                return forbidden(request, exc)
            except ApplicationError as exc:
                apply_error(form, exc)
                error = exc.message
            else:
                if request.htmx:
                    query = selectors.data_query_get(actor=request.user, data_query_id=query.pk)
                    context = _detail_context(request, query)
                    context["done"] = DONE[action]
                    return render(request, "queries/data_query_detail.html#query-panel", context)
                messages.success(request, DONE[action])
                return redirect("data_query_detail", data_query_id=query.pk)
        query = selectors.data_query_get(actor=request.user, data_query_id=query.pk)
        context = _detail_context(request, query, forms_={action: form}, error=error)
        if request.htmx:
            return render(request, "queries/data_query_detail.html#query-panel", context)
        return render(request, "queries/data_query_detail.html", context, status=400)

    view.__name__ = f"data_query_{action}"
    return view


data_query_answer = _action_view(DataQueryAction.ANSWER)
data_query_close = _action_view(DataQueryAction.CLOSE)
data_query_reopen = _action_view(DataQueryAction.REOPEN)
data_query_cancel = _action_view(DataQueryAction.CANCEL)


@login_required
def data_query_create(request):
    subject_id = request.GET.get("subject")
    if not subject_id:
        return _subject_lookup(request)
    try:
        subject = selectors.subject_for_query(actor=request.user, subject_id=int(subject_id))
    except ValueError as exc:
        raise Http404("Not found.") from exc
    if not selectors.may_raise_on(actor=request.user, subject=subject):
        return forbidden(
            request,
            PermissionDenied(
                "Only the study-site's CRA or a data manager of the CRO can raise a query."
            ),
        )
    visits = selectors.subject_visits_for_query(actor=request.user, subject=subject)
    form = DataQueryRaiseForm(request.POST or None, visits=visits)
    if request.method == "POST" and form.is_valid():
        try:
            query = services.data_query_raise(
                actor=request.user, subject=subject, **form.cleaned_data
            )
        except PermissionDenied as exc:
            return forbidden(request, exc)
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, f"Query #{query.pk} raised; it now waits on the site.")
            return redirect("data_query_detail", data_query_id=query.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "queries/data_query_form.html",
        {"form": form, "subject": subject},
        status=status,
    )


def _subject_lookup(request):
    studies = list(access.visible_studies(request.user).order_by("protocol_number"))
    form = SubjectLookupForm(request.GET if "study" in request.GET else None, studies=studies)
    if form.is_bound and form.is_valid():
        subject = selectors.subject_find(
            actor=request.user,
            study_id=form.cleaned_data["study"],
            subject_identifier=form.cleaned_data["subject_identifier"],
        )
        if subject is not None:
            return redirect(f"{reverse('data_query_create')}?subject={subject.pk}")
        form.add_error(
            "subject_identifier", "No subject with this id in the study (at a site you see)."
        )
    return render(request, "queries/subject_lookup.html", {"form": form, "studies": studies})


@login_required
def data_query_import(request):
    studies = selectors.importable_studies(actor=request.user)
    form = DataQueryImportForm(request.POST or None, request.FILES or None, studies=studies)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.data_query_import(
                actor=request.user,
                study=form.cleaned_data["study"],
                uploaded_file=form.cleaned_data["file"],
            )
        except PermissionDenied as exc:
            return forbidden(request, exc)
        except ApplicationError as exc:
            apply_error(form, exc)
    return render(
        request,
        "queries/data_query_import.html",
        {
            "form": form,
            "report": report,
            "has_studies": studies.exists(),
            "columns": IMPORT_COLUMNS,
            "max_mb": max(max_import_bytes() // (1024 * 1024), 1),
        },
        status=400 if request.method == "POST" and report is None else 200,
    )
