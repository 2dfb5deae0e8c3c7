"""Site payments pages. Thin: parse input, call a selector or service, render."""

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core import counts
from core.choices import study_site_choices
from core.counts import counted
from core.exceptions import ApplicationError, PermissionDenied
from core.exports import streaming_csv
from core.sorting import sort_queryset
from core.views import apply_error, forbidden, paginate, submit_form
from payments import aging, charts, selectors, services
from payments.forms import (
    AgingFilterForm,
    BudgetVersionForm,
    ChangesForm,
    DisputeAcceptForm,
    DisputeFilterForm,
    DisputeForm,
    DisputeRejectForm,
    InvoiceCreateForm,
    InvoiceFilterForm,
    InvoiceLineForm,
    RejectForm,
    RunBuildForm,
    RunFilterForm,
    RunPayForm,
    SignForm,
    SummaryFilterForm,
)
from payments.models import INVOICE_EDITABLE, DisputeStatus, InvoiceStatus, PaymentRunStatus
from trials import access
from trials.models import VisitDefinition


def _roles(request, study_site) -> frozenset[str]:
    return access.study_site_roles(request.user, study_site)


def _sites_for(request, action: str):
    """Visible study-sites where the actor may perform ``action`` (by organization role)."""
    from accounts.selectors import organization_roles

    held = organization_roles(request.user)
    orgs = [org for org, roles in held.items() if services.allowed(action, roles)]
    return (
        access.visible_study_sites(request.user)
        .filter(budget__isnull=False)
        .filter(
            **({"site_id__in": orgs} if action == "invoice.draft" else {"study__cro_id__in": orgs})
        )
        .select_related("study", "study__cro", "site")
        .order_by("study__protocol_number", "site_number")
    )


# --- overview, study-site payments, budget ----------------------------------------------------


@login_required
def overview(request):
    form = SummaryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.payment_summary_list(actor=request.user, filters=filters)
    return render(
        request, "payments/overview.html", {"form": form, "page_obj": paginate(request, rows)}
    )


@login_required
def overview_csv(request):
    """One row per visible study-site budget (bounded by the number of study-sites), streamed
    from a server-side cursor."""
    header = [
        "study",
        "cro",
        "site",
        "site_number",
        "currency",
        "earned",
        "invoiced",
        "approved_invoices",
        "paid_net",
        "holdback_held",
        "outstanding",
    ]
    rows = (
        [
            row.study.protocol_number,
            row.study.cro.name,
            row.site.name,
            row.site_number,
            row.budget.currency,
            row.earned,
            row.invoiced,
            row.approved,
            row.paid_net,
            row.held,
            row.outstanding,
        ]
        for row in selectors.payment_summary_list(actor=request.user).iterator(chunk_size=500)
    )
    return streaming_csv("site-payments.csv", header, rows)


@login_required
def study_site_payments(request, study_site_id: int):
    summary = selectors.payment_summary_get(actor=request.user, study_site_id=study_site_id)
    earnings = selectors.earning_list(actor=request.user, study_site=summary)
    page = paginate(request, earnings)
    page.object_list = selectors.with_aging(page.object_list)
    can_dispute = services.allowed("dispute.open", _roles(request, summary))
    disputed = (
        selectors.open_disputes_by_target(actor=request.user, study_site=summary)
        if can_dispute
        else {"earnings": set(), "run_lines": set()}
    )
    return render(
        request,
        "payments/study_site.html",
        {
            "study_site": summary,
            "page_obj": page,
            "can_dispute": can_dispute and summary.status != "closed",
            "disputed_earnings": disputed["earnings"],
            "dispute_form": DisputeForm(prefix="dispute"),
            "invoices": selectors.invoice_list(
                actor=request.user, filters={"study_site": summary.pk}
            )[:10],
            "runs": selectors.payment_run_list(
                actor=request.user, filters={"study_site": summary.pk}
            )[:10],
            "has_budget": hasattr(summary, "earned"),
        },
    )


def _budget_context(request, study_site, form=None):
    versions = list(selectors.budget_version_list(actor=request.user, study_site=study_site))
    can_manage = services.allowed("budget.manage", _roles(request, study_site))
    if form is None and can_manage:
        form = BudgetVersionForm(
            visit_definitions=VisitDefinition.objects.filter(study_id=study_site.study_id),
            current=versions[0] if versions else None,
            initial={"currency": study_site.study.currency, "effective_date": timezone.localdate()},
        )
    return {
        "study_site": study_site,
        "versions": versions,
        "current": versions[0] if versions else None,
        "can_manage": can_manage,
        "form": form,
    }


@login_required
def budget(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    return render(request, "payments/budget.html", _budget_context(request, study_site))


@login_required
@require_POST
def budget_version_create(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    form = BudgetVersionForm(
        request.POST,
        visit_definitions=VisitDefinition.objects.filter(study_id=study_site.study_id),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            version = services.budget_version_create(
                actor=request.user,
                study_site=study_site,
                effective_date=data["effective_date"],
                reason=data["reason"],
                currency=data.get("currency") or None,
                holdback_percent=data["holdback_percent"],
                payment_terms_days=data["payment_terms_days"],
                screen_failure_fee=data.get("screen_failure_fee") or 0,
                screen_failure_cap=data.get("screen_failure_cap"),
                second_approval_threshold=data.get("second_approval_threshold") or None,
                **form.schedule(),
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, f"Budget version {version.number} saved.")
            return redirect("payments_budget", study_site_id=study_site.pk)
    return render(
        request, "payments/budget.html", _budget_context(request, study_site, form), status=400
    )


# --- invoices ----------------------------------------------------------------------------------


# Columns of the invoice list a user may sort by (?sort=key or ?sort=-key).
INVOICE_SORTS = {
    "number": ("number",),
    "study": ("study_site__study__protocol_number", "study_site__site__name", "-created_at"),
    "cro": ("study_site__study__cro__name", "-created_at"),
    "status": ("status", "-created_at"),
    "submitted": ("submitted_at",),
    "total": ("total", "-created_at"),
}


@login_required
def invoice_list(request):
    form = InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    invoices = selectors.invoice_list(actor=request.user, filters=filters)
    invoices, sorting = sort_queryset(request, invoices, INVOICE_SORTS)
    return render(
        request,
        "payments/invoice_list.html",
        {
            "form": form,
            "sorting": sorting,
            "filtered": any(filters.values()),
            "page_obj": paginate(request, invoices),
            "can_create": _sites_for(request, "invoice.draft").exists(),
        },
    )


@login_required
def invoice_create(request):
    sites = _sites_for(request, "invoice.draft")
    if not sites.exists():
        return forbidden(
            request,
            PermissionDenied("Site coordinators draft invoices for study-sites with a budget."),
        )
    form = InvoiceCreateForm(request.POST or None, study_sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_create(
                actor=request.user, study_site=form.cleaned_data["study_site"]
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, f"Draft invoice {invoice.number} created; add its lines.")
            return redirect(invoice)
    return render(request, "payments/invoice_create.html", {"form": form})


def _invoice_context(request, invoice, **forms_):
    roles = _roles(request, invoice.study_site)
    from core.signatures import signatures_for

    can_review = services.allowed("invoice.review", roles) and invoice.status in (
        InvoiceStatus.SUBMITTED,
        InvoiceStatus.AWAITING_SECOND_APPROVAL,
    )
    return {
        "invoice": invoice,
        "lines": selectors.invoice_line_list(actor=request.user, invoice=invoice),
        "signatures": signatures_for(invoice),
        "can_edit": services.allowed("invoice.draft", roles) and invoice.status in INVOICE_EDITABLE,
        "can_review": can_review,
        "line_form": forms_.get("line_form") or InvoiceLineForm(prefix="line"),
        "sign_form": forms_.get("sign_form") or SignForm(prefix="sign"),
        "reject_form": forms_.get("reject_form") or RejectForm(prefix="reject"),
        "changes_form": forms_.get("changes_form") or ChangesForm(prefix="changes"),
    }


@login_required
def invoice_detail(request, invoice_id: int):
    invoice = selectors.invoice_get(actor=request.user, invoice_id=invoice_id)
    return render(request, "payments/invoice_detail.html", _invoice_context(request, invoice))


def _invoice_action(request, invoice_id, form_class, prefix, call, success, context_key):
    invoice = selectors.invoice_get(actor=request.user, invoice_id=invoice_id)
    form = (
        form_class(request.POST, request.FILES, prefix=prefix)
        if prefix == "line"
        else (form_class(request.POST, prefix=prefix) if form_class else None)
    )
    if form is None or form.is_valid():
        try:
            call(invoice, form.cleaned_data if form else {})
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            if form is None:
                messages.error(request, error.message)
                return redirect(invoice)
            apply_error(form, error)
        else:
            messages.success(request, success)
            return redirect(invoice)
    context = _invoice_context(request, invoice, **{context_key: form})
    return render(request, "payments/invoice_detail.html", context, status=400)


@login_required
@require_POST
def invoice_line_add(request, invoice_id: int):
    return _invoice_action(
        request,
        invoice_id,
        InvoiceLineForm,
        "line",
        lambda invoice, data: services.invoice_line_add(
            actor=request.user, invoice=invoice, **{**data, "attachment": data.get("attachment")}
        ),
        "Line added.",
        "line_form",
    )


@login_required
@require_POST
def invoice_submit(request, invoice_id: int):
    return _invoice_action(
        request,
        invoice_id,
        None,
        "",
        lambda invoice, data: services.invoice_submit(actor=request.user, invoice=invoice),
        "Invoice submitted to CRO finance.",
        "",
    )


@login_required
@require_POST
def invoice_approve(request, invoice_id: int):
    return _invoice_action(
        request,
        invoice_id,
        SignForm,
        "sign",
        lambda invoice, data: services.invoice_approve(
            actor=request.user, invoice=invoice, password=data["password"]
        ),
        "Invoice approved and signed.",
        "sign_form",
    )


@login_required
@require_POST
def invoice_reject(request, invoice_id: int):
    return _invoice_action(
        request,
        invoice_id,
        RejectForm,
        "reject",
        lambda invoice, data: services.invoice_reject(
            actor=request.user, invoice=invoice, reason=data["reason"]
        ),
        "Invoice rejected; the site was told why.",
        "reject_form",
    )


@login_required
@require_POST
def invoice_request_changes(request, invoice_id: int):
    return _invoice_action(
        request,
        invoice_id,
        ChangesForm,
        "changes",
        lambda invoice, data: services.invoice_request_changes(
            actor=request.user, invoice=invoice, comment=data["comment"]
        ),
        "Invoice returned to the site for changes.",
        "changes_form",
    )


@login_required
def invoice_line_attachment(request, invoice_line_id: int):
    line = selectors.invoice_line_get(actor=request.user, invoice_line_id=invoice_line_id)
    if not line.attachment:
        raise Http404("No attachment.")
    extension = os.path.splitext(line.attachment.name)[1].lower()
    content_type = {".pdf": "application/pdf", ".png": "image/png"}.get(extension, "image/jpeg")
    response = FileResponse(
        line.attachment.open("rb"),
        content_type=content_type,
        as_attachment=True,
        filename=line.attachment_name or os.path.basename(line.attachment.name),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- payment runs ------------------------------------------------------------------------------


# Columns of the payment run list a user may sort by (?sort=key or ?sort=-key).
RUN_SORTS = {
    "run": ("created_at",),
    "study": ("study_site__study__protocol_number", "study_site__site__name", "-created_at"),
    "period": ("period_end", "period_start"),
    "status": ("status", "-created_at"),
    "gross": ("gross", "-created_at"),
    "holdback": ("holdback", "-created_at"),
    "net": ("net", "-created_at"),
    "reference": ("payment_reference", "-created_at"),
}


@login_required
def run_list(request):
    form = RunFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    runs = selectors.payment_run_list(actor=request.user, filters=filters)
    runs, sorting = sort_queryset(request, runs, RUN_SORTS)
    return render(
        request,
        "payments/run_list.html",
        {
            "form": form,
            "sorting": sorting,
            "filtered": any(filters.values()),
            "page_obj": paginate(request, runs),
            "can_build": _sites_for(request, "payment_run.build").exists(),
        },
    )


@login_required
def run_create(request):
    offer = study_site_choices(request, _sites_for(request, "payment_run.build"))
    if not offer.exists:
        return forbidden(request, PermissionDenied("CRO finance builds payment runs."))
    initial = {"period_end": timezone.localdate()}
    if request.GET.get("study_site"):
        initial["study_site"] = request.GET["study_site"]
    form = RunBuildForm(
        request.POST or None,
        study_sites=offer.study_sites,
        empty_label=offer.empty_label,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = services.payment_run_build(actor=request.user, **form.cleaned_data)
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, "Payment run built; a finance approver approves it next.")
            return redirect(run)
    return render(request, "payments/run_create.html", {"form": form, "study_step": offer})


def _run_context(request, run, **forms_):
    from core.signatures import signatures_for

    roles = _roles(request, run.study_site)
    can_dispute = (
        services.allowed("dispute.open", roles)
        and run.status == PaymentRunStatus.PAID
        and run.study_site.status != "closed"
    )
    disputed = (
        selectors.open_disputes_by_target(actor=request.user, study_site=run.study_site)
        if can_dispute
        else {"run_lines": set()}
    )
    return {
        "run": run,
        "can_dispute": can_dispute,
        "disputed_lines": disputed["run_lines"],
        "dispute_form": DisputeForm(prefix="dispute"),
        "lines": selectors.payment_run_line_list(actor=request.user, run=run),
        "signatures": signatures_for(run),
        "can_approve": services.allowed("payment_run.approve", roles)
        and run.status == PaymentRunStatus.DRAFT,
        "can_pay": services.allowed("payment_run.pay", roles)
        and run.status == PaymentRunStatus.APPROVED,
        "sign_form": forms_.get("sign_form") or SignForm(prefix="sign"),
        "pay_form": forms_.get("pay_form")
        or RunPayForm(prefix="pay", initial={"payment_date": timezone.localdate()}),
    }


@login_required
def run_detail(request, payment_run_id: int):
    run = selectors.payment_run_get(actor=request.user, payment_run_id=payment_run_id)
    return render(request, "payments/run_detail.html", _run_context(request, run))


def _run_action(request, payment_run_id, form, call, success, context_key):
    run = selectors.payment_run_get(actor=request.user, payment_run_id=payment_run_id)
    return submit_form(
        request,
        form,
        lambda data: call(run, data),
        success=success,
        done=run,
        failed=lambda: render(
            request,
            "payments/run_detail.html",
            _run_context(request, run, **{context_key: form}),
            status=400,
        ),
    )


@login_required
@require_POST
def run_approve(request, payment_run_id: int):
    return _run_action(
        request,
        payment_run_id,
        SignForm(request.POST, prefix="sign"),
        lambda run, data: services.payment_run_approve(
            actor=request.user, run=run, password=data["password"]
        ),
        "Payment run approved and signed.",
        "sign_form",
    )


@login_required
@require_POST
def run_pay(request, payment_run_id: int):
    return _run_action(
        request,
        payment_run_id,
        RunPayForm(request.POST, prefix="pay"),
        lambda run, data: services.payment_run_mark_paid(actor=request.user, run=run, **data),
        "Payment recorded; the site receives the remittance notice.",
        "pay_form",
    )


# --- disputes ----------------------------------------------------------------------------------


def _dispute_create(request, *, earning=None, run_line=None):
    form = DisputeForm(request.POST, prefix="dispute")
    if form.is_valid():
        try:
            dispute = services.dispute_open(
                actor=request.user,
                earning=earning,
                run_line=run_line,
                comment=form.cleaned_data["comment"],
            )
        except PermissionDenied as error:
            return forbidden(request, error)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, "Dispute sent to CRO finance; you will be told the answer.")
            return redirect(dispute)
    target = earning or run_line
    return render(
        request,
        "payments/dispute_create.html",
        {"form": form, "target": target, "earning": earning, "run_line": run_line},
        status=400,
    )


@login_required
@require_POST
def earning_dispute(request, earning_id: int):
    earning = selectors.earning_get(actor=request.user, earning_id=earning_id)
    return _dispute_create(request, earning=earning)


@login_required
@require_POST
def run_line_dispute(request, payment_run_line_id: int):
    line = selectors.payment_run_line_get(
        actor=request.user, payment_run_line_id=payment_run_line_id
    )
    return _dispute_create(request, run_line=line)


@login_required
def dispute_list(request):
    form = DisputeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    disputes = selectors.dispute_list(actor=request.user, filters=filters)
    return render(
        request,
        "payments/dispute_list.html",
        {"form": form, "page_obj": paginate(request, disputes)},
    )


def _dispute_context(request, dispute, **forms_):
    roles = _roles(request, dispute.study_site)
    return {
        "dispute": dispute,
        "can_answer": services.allowed("dispute.answer", roles)
        and dispute.status == DisputeStatus.OPEN,
        "accept_form": forms_.get("accept_form") or DisputeAcceptForm(prefix="accept"),
        "reject_form": forms_.get("reject_form") or DisputeRejectForm(prefix="reject"),
    }


@login_required
def dispute_detail(request, payment_dispute_id: int):
    dispute = selectors.dispute_get(actor=request.user, payment_dispute_id=payment_dispute_id)
    return render(request, "payments/dispute_detail.html", _dispute_context(request, dispute))


def _dispute_answer(request, payment_dispute_id, form, call, success, context_key):
    dispute = selectors.dispute_get(actor=request.user, payment_dispute_id=payment_dispute_id)
    return submit_form(
        request,
        form,
        lambda data: call(dispute, data),
        success=success,
        done=dispute,
        failed=lambda: render(
            request,
            "payments/dispute_detail.html",
            _dispute_context(request, dispute, **{context_key: form}),
            status=400,
        ),
    )


@login_required
@require_POST
def dispute_accept(request, payment_dispute_id: int):
    return _dispute_answer(
        request,
        payment_dispute_id,
        DisputeAcceptForm(request.POST, prefix="accept"),
        lambda dispute, data: services.dispute_accept(actor=request.user, dispute=dispute, **data),
        "Dispute accepted; the adjustment line goes into the next payment run.",
        "accept_form",
    )


@login_required
@require_POST
def dispute_reject(request, payment_dispute_id: int):
    return _dispute_answer(
        request,
        payment_dispute_id,
        DisputeRejectForm(request.POST, prefix="reject"),
        lambda dispute, data: services.dispute_reject(actor=request.user, dispute=dispute, **data),
        "Dispute rejected; the site was told why.",
        "reject_form",
    )


# --- aging report ------------------------------------------------------------------------------


@login_required
def aging_report(request):
    from trials.models import Study

    studies = access.scope(Study.objects.all(), request.user).order_by("protocol_number")
    form = AgingFilterForm(request.GET or None, studies=studies)
    filters = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    page = paginate(request, selectors.aging_study_sites(actor=request.user, filters=filters))
    by_site = selectors.aging_by_site(actor=request.user, study_sites=page.object_list, today=today)
    rows = []
    for study_site in page.object_list:
        entry = by_site.get(study_site.pk, {"currencies": {}, "items": 0})
        currencies = entry["currencies"] or {study_site.budget.currency: None}
        for currency, buckets in currencies.items():
            amounts = [buckets[key] if buckets else 0 for key, _ in aging.BUCKETS]
            rows.append(
                {
                    "study_site": study_site,
                    "currency": currency,
                    "amounts": amounts,
                    "total": sum(amounts),
                    "overdue": sum(amounts[1:]),
                }
            )
    # The totals sum every unpaid item the person sees (about 400,000 for a large CRO's finance
    # team: 300 ms): counted at most once a minute per person and study, and the page says when.
    # The per-site rows above are always fresh.
    study = filters.get("study")
    totals, counted_at = counted(
        "payments.aging",
        request.user,
        lambda: selectors.aging_totals(actor=request.user, filters=filters, today=today),
        study.pk if study else None,
        today,
    )
    return render(
        request,
        "payments/aging.html",
        {
            "form": form,
            "page_obj": page,
            "rows": rows,
            "totals": totals,
            "sections": [(total, charts.aging_chart(total)) for total in totals],
            "buckets": aging.BUCKETS,
            "today": today,
            "study": filters.get("study"),
            "totals_counted_at": counted_at,
            "totals_ttl_seconds": counts.TTL_SECONDS,
        },
    )


@login_required
@require_GET
def aging_csv(request, study_id: int):
    """Every unpaid item of one study (the study-sites you can see), streamed row by row from
    server-side cursors."""
    study = selectors.aging_study_get(actor=request.user, study_id=study_id)
    today = timezone.localdate()
    earnings, lines = selectors.aging_items(actor=request.user, study=study, today=today)
    labels = dict(aging.BUCKETS)
    header = [
        "study",
        "site",
        "site_number",
        "item",
        "description",
        "date",
        "due_date",
        "days_overdue",
        "bucket",
        "amount",
        "currency",
    ]

    def rows():
        for earning in earnings.iterator(chunk_size=1000):
            yield [
                study.protocol_number,
                earning.study_site.site.name,
                earning.study_site.site_number,
                f"earning: {earning.get_kind_display()}",
                earning.description,
                earning.event_date,
                earning.due_date,
                max((today - earning.due_date).days, 0),
                labels[earning.bucket],
                earning.amount,
                earning.currency,
            ]
        for line in lines.iterator(chunk_size=1000):
            yield [
                study.protocol_number,
                line.invoice.study_site.site.name,
                line.invoice.study_site.site_number,
                f"invoice {line.invoice.number}: {line.get_item_category_display()}",
                line.description,
                line.service_date,
                line.due_date,
                max((today - line.due_date).days, 0),
                labels[line.bucket],
                line.amount,
                line.currency,
            ]

    return streaming_csv(f"aging-{study.protocol_number}-{today}.csv", header, rows())
