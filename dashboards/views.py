"""Each role's landing page: the studies and study-sites they work on, and their inbox."""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

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
    """The role's landing page: its panels, its study-sites (and studies) and unread
    notifications. A constant, small number of queries whatever the data size: each panel
    shows its first rows and capped counts; the "waiting on you" number is not computed here
    but loaded afterwards with HTMX from ``work_inbox_count`` (it runs every inbox provider)."""
    membership = active_membership(request)
    kind = membership.organization.kind if membership else None
    is_cra = membership is not None and membership.role == Role.CRA
    # The tables show the study (and its CRO) and the site: only those are joined.
    study_sites = (
        list(
            trial_selectors.study_site_list(actor=request.user)
            .select_related(None)
            .select_related("study__cro", "site")[:DASHBOARD_ROWS]
        )
        if kind
        else []
    )
    shows_studies = kind == OrganizationKind.SPONSOR or (
        kind == OrganizationKind.CRO and not is_cra
    )
    studies = (
        list(trial_selectors.study_list(actor=request.user)[:DASHBOARD_ROWS])
        if shows_studies
        else []
    )
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
            "is_cra": is_cra,
            "study_sites": study_sites,
            "studies": studies,
            "by_cro": by_cro,
            "cro_count": len(by_cro),
            "notifications": notifications,
            "main_panels": [(p, c) for p, c in panels if p.column == "main"],
            "side_panels": [(p, c) for p, c in panels if p.column == "side"],
        },
    )


INBOX_PAGE_SIZE = 25
INBOX_CHANGED = "inbox-changed"


@login_required
def work_inbox(request):
    """One page of everything waiting on the user across every CRO and study; an HTMX request
    with ``row=<key>`` gets that one row re-rendered (after an in-place action)."""
    items, kinds = inbox_page.work_items(request)
    row_key = request.GET.get("row")
    if request.htmx and row_key:
        item = next((i for i in items if i.key == row_key), None)
        response = render(
            request,
            "dashboards/work_inbox.html#inbox-row",
            {"item": item, "row_key": row_key},
        )
        # The counts (navigation badge, page total) reload: an action was just taken.
        response["HX-Trigger"] = INBOX_CHANGED
        return response
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


@login_required
def work_inbox_count(request):
    """The number of work items waiting, as a small badge fragment (empty when none), loaded
    by HTMX into the navigation and the dashboards; cached per user for a minute."""
    # Rendered without the layout's context processors: the fragment needs none of their queries.
    html = render_to_string(
        "dashboards/_inbox_count.html", {"count": inbox_page.cached_count(request)}
    )
    return HttpResponse(html)
