"""Each role's landing page: the studies and study-sites they work on, and their inbox."""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import OrganizationKind, Role
from accounts.selectors import active_membership, membership_list
from core.models import Notification
from core.panels import panels_for
from core.views import paginate
from dashboards import inbox as inbox_page
from trials import selectors as trial_selectors

DASHBOARD_ROWS = 50


@login_required
def dashboard(request):
    membership = active_membership(request)
    kind = membership.organization.kind if membership else None
    study_sites = list(trial_selectors.study_site_list(actor=request.user)[:DASHBOARD_ROWS])
    studies = list(trial_selectors.study_list(actor=request.user)[:DASHBOARD_ROWS])
    by_cro = [(cro, list(rows)) for cro, rows in groupby(study_sites, key=lambda ss: ss.study.cro)]
    notifications = list(
        Notification.objects.filter(recipient=request.user, read_at__isnull=True).order_by(
            "-created_at"
        )[:5]
    )
    roles = {
        m.role
        for m in membership_list(user=request.user)
        if membership and m.organization_id == membership.organization_id
    }
    panels = []
    for panel in panels_for(kind, roles):
        context = panel.build(request)
        if context is not None:
            panels.append((panel, context))
    waiting = len(inbox_page.work_items(request)[0]) if kind else 0
    if kind == OrganizationKind.SITE:
        template = "dashboards/site.html"
    elif kind == OrganizationKind.SPONSOR:
        template = "dashboards/sponsor.html"
    elif kind == OrganizationKind.CRO:
        template = "dashboards/cro.html"
    else:
        template = "dashboards/no_organization.html"
    return render(
        request,
        template,
        {
            "membership": membership,
            "is_cra": membership is not None and membership.role == Role.CRA,
            "study_sites": study_sites,
            "studies": studies,
            "by_cro": by_cro,
            "cro_count": len(by_cro),
            "notifications": notifications,
            "waiting": waiting,
            "main_panels": [(p, c) for p, c in panels if p.column == "main"],
            "side_panels": [(p, c) for p, c in panels if p.column == "side"],
        },
    )


INBOX_PAGE_SIZE = 25


@login_required
def work_inbox(request):
    """One page of everything waiting on the user across every CRO and study; an HTMX request
    with ``row=<key>`` gets that one row re-rendered (after an in-place action)."""
    items, kinds = inbox_page.work_items(request)
    row_key = request.GET.get("row")
    if request.htmx and row_key:
        item = next((i for i in items if i.key == row_key), None)
        return render(
            request,
            "dashboards/work_inbox.html#inbox-row",
            {"item": item, "row_key": row_key},
        )
    shown = inbox_page.filter_items(items, request.GET)
    cros, studies = inbox_page.choices(items)
    page_obj = paginate(request, shown, per_page=INBOX_PAGE_SIZE)
    return render(
        request,
        "dashboards/work_inbox.html",
        {
            "page_obj": page_obj,
            "total": len(items),
            "shown": len(shown),
            "kinds": kinds,
            "cros": cros,
            "studies": studies,
            "due_choices": inbox_page.DUE_CHOICES,
            "filters": {k: request.GET.get(k, "") for k in ("cro", "study", "kind", "due")},
        },
    )
