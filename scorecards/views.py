"""Scorecard pages: a study-site's, a site's across its studies, and the CRO's ranking of the
sites of a study. Thin: parse the as-of date and sort, call a selector, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.models import OrganizationKind
from accounts.selectors import active_membership
from core.views import paginate
from scorecards import selectors
from scorecards.charts import trend_charts
from scorecards.forms import as_of_from
from scorecards.measures import MEASURES, today
from trials import access
from trials.metrics import site_org_ids

RANKING_PAGE_SIZE = 25


def _trends(request, study_sites, label):
    months, by_site = selectors.snapshots(
        actor=request.user, study_sites=study_sites, today=today()
    )
    lines = [(label(ss), by_site.get(ss.pk, {})) for ss in study_sites]
    charts = trend_charts(MEASURES, months, lines)
    return charts, any(chart.has_data for chart in charts)


def _sees_ranking(request, study) -> bool:
    """CRO staff and sponsor viewers of the study see the ranking; a site never does."""
    return bool(access.study_roles(request.user, study))


@login_required
def scorecard_home(request):
    membership = active_membership(request)
    kind = membership.organization.kind if membership else None
    sites = list(selectors.own_sites(actor=request.user)) if kind == OrganizationKind.SITE else []
    if len(sites) == 1 and sites[0].study_site_count:
        return redirect("scorecard_site", site_id=sites[0].pk)
    studies = None
    if kind in (OrganizationKind.CRO, OrganizationKind.SPONSOR):
        studies = paginate(request, selectors.ranked_studies(actor=request.user))
    return render(
        request,
        "scorecards/home.html",
        {"kind": kind, "sites": sites, "page_obj": studies, "measures": MEASURES},
    )


@login_required
def study_site_scorecard(request, study_site_id: int):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    form, as_of = as_of_from(request)
    scorecard = selectors.study_site_scorecard(
        actor=request.user, study_site=study_site, as_of=as_of
    )
    charts, has_trend = _trends(
        request,
        [study_site],
        lambda ss: f"{ss.study.protocol_number} · site {ss.site_number}",
    )
    return render(
        request,
        "scorecards/study_site.html",
        {
            "study_site": study_site,
            "scorecard": scorecard,
            "form": form,
            "as_of": as_of,
            "today": today(),
            "charts": charts,
            "has_trend": has_trend,
            "own_site": study_site.site_id in site_org_ids(request.user),
            "sees_ranking": _sees_ranking(request, study_site.study),
            "measures": MEASURES,
        },
    )


@login_required
def site_scorecard(request, site_id: int):
    site = selectors.site_get(actor=request.user, site_id=site_id)
    form, as_of = as_of_from(request)
    rows, overall = selectors.site_scorecard(actor=request.user, site=site, as_of=as_of)
    study_sites = [ss for ss, _ in rows]
    charts, has_trend = _trends(request, study_sites, lambda ss: ss.study.protocol_number)
    return render(
        request,
        "scorecards/site.html",
        {
            "site": site,
            "rows": rows,
            "overall": overall,
            "form": form,
            "as_of": as_of,
            "today": today(),
            "charts": charts,
            "has_trend": has_trend,
            "own_site": site.pk in site_org_ids(request.user),
            "measures": MEASURES,
        },
    )


@login_required
def study_ranking(request, study_id: int):
    study = selectors.ranking_study_get(actor=request.user, study_id=study_id)
    form, as_of = as_of_from(request)
    ranking = selectors.study_ranking(
        actor=request.user, study=study, as_of=as_of, sort=request.GET.get("sort", "")
    )
    page_obj = paginate(request, ranking.rows, per_page=RANKING_PAGE_SIZE)
    current = ranking.sort.lstrip("-")
    reversed_ = ranking.sort.startswith("-")
    columns = []
    for measure in MEASURES:
        active = measure.key == current
        # aria-sort says which way the values run down the column.
        ascending = (not measure.higher_is_better) != (active and reversed_)
        columns.append(
            {
                "measure": measure,
                "active": active,
                "next_sort": f"-{measure.key}" if active and not reversed_ else measure.key,
                "aria_sort": ("ascending" if ascending else "descending") if active else "none",
            }
        )
    return render(
        request,
        "scorecards/ranking.html",
        {
            "study": study,
            "ranking": ranking,
            "page_obj": page_obj,
            "columns": columns,
            "site_sort": {
                "active": current == selectors.SITE_SORT,
                "next_sort": "-site" if ranking.sort == "site" else "site",
                "aria_sort": (
                    ("descending" if reversed_ else "ascending")
                    if current == selectors.SITE_SORT
                    else "none"
                ),
            },
            "form": form,
            "as_of": as_of,
            "today": today(),
            "as_of_param": request.GET.get("as_of", "") if form.is_valid() else "",
            "keep": {"sort": ranking.sort},
            "measures": MEASURES,
        },
    )
