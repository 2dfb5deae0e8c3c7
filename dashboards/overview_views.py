"""The study overview page, and the link to it on the study page (core.panels slot "study").
Thin: parse input, call dashboards.overview, render."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core import sorting as table_sorting
from core.forms import StyledForm
from core.views import paginate
from dashboards import overview
from trials.metrics import SMALL_CELL
from trials.models import StudySiteStatus

SITE_ROWS_PER_PAGE = 25


class OverviewFilterForm(StyledForm):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Every status"), *StudySiteStatus.choices],
    )
    period = forms.ChoiceField(
        label="Curve by",
        required=False,
        choices=[("", "Automatic"), ("week", "Week"), ("month", "Month")],
    )


@login_required
def study_overview(request, study_id: int):
    study = overview.overview_study_get(actor=request.user, study_id=study_id)
    form = OverviewFilterForm(request.GET or None)
    form.is_valid()  # a bad value shows as an error on its field; the valid ones still apply
    filters = getattr(form, "cleaned_data", {})
    data = overview.study_overview(
        actor=request.user, study=study, period=filters.get("period") or None
    )
    # ?sort=<key> or -<key> over the site rows; an unknown key is ignored (site number order).
    key, descending = table_sorting.parse(
        request.GET.get(table_sorting.PARAM), dict.fromkeys(overview.SITE_SORTS)
    ) or ("site", False)
    sorting = table_sorting.Sorting(key=key, descending=descending)
    sites = overview.sort_sites(data.sites, sorting.value)
    if filters.get("status"):
        sites = [site for site in sites if site.status == filters["status"]]
    return render(
        request,
        "dashboards/study_overview.html",
        {
            "study": study,
            "data": data,
            "form": form,
            "page_obj": paginate(request, sites, per_page=SITE_ROWS_PER_PAGE),
            "status_filter": filters.get("status") or "",
            "sorting": sorting,
            "small_cell": SMALL_CELL,
        },
    )


def study_link(request, study) -> dict | None:
    """The study page's link to the overview, for those who may open it (None hides it)."""
    if not overview.may_see_overview(actor=request.user, study=study):
        return None
    return {"study": study}
