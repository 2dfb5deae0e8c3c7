"""Each role's landing page: the studies and study-sites they work on, and their inbox."""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import OrganizationKind, Role
from accounts.selectors import active_membership, membership_list
from core.models import Notification
from core.panels import panels_for
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
            "main_panels": [(p, c) for p, c in panels if p.column == "main"],
            "side_panels": [(p, c) for p, c in panels if p.column == "side"],
        },
    )
