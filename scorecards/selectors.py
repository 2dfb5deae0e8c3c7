"""Reads of the scorecards for pages and the API. Every read starts from trials.access: a site
sees only its own study-sites, a CRO only the study-sites of its studies (a CRA those it
monitors), a sponsor viewer the study-sites of the studies it sponsors. Anything else is a 404.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Organization, OrganizationKind, User
from accounts.selectors import organization_roles
from scorecards.measures import (
    BY_KEY,
    GROUP_SITE,
    Measure,
    Scorecard,
    empty_scorecard,
    scorecards,
)
from scorecards.models import ScorecardSnapshot
from scorecards.services import previous_months
from trials import access
from trials.metrics import site_org_ids
from trials.models import Study, StudySite

SITE_SORT = "site"
DEFAULT_SORT = "enrollment"
SORT_KEYS = frozenset({SITE_SORT, *BY_KEY})
TREND_MONTHS = 12


@dataclass
class RankedRow:
    study_site: StudySite
    scorecard: Scorecard
    rank: int | None  # by the sorted measure, best first; None when it has no value


@dataclass
class Ranking:
    study: Study
    as_of: date
    sort: str  # a measure key or "site", with "-" in front when reversed
    measure: Measure | None
    rows: list[RankedRow]


# --- single objects, through the access policy --------------------------------------------------


def study_site_get(*, actor: User, study_site_id) -> StudySite:
    return access.get_visible_or_404(
        StudySite.objects.select_related("study", "study__cro", "study__sponsor", "site"),
        actor,
        study_site_id,
    )


def study_get(*, actor: User, study_id) -> Study:
    return access.get_visible_or_404(
        Study.objects.select_related("cro", "sponsor"), actor, study_id
    )


def ranking_study_get(*, actor: User, study_id) -> Study:
    """A study whose sites the actor may see ranked: CRO staff of the study and its sponsor's
    viewers. A site taking part sees only its own scorecards, so for it this is a 404."""
    study = study_get(actor=actor, study_id=study_id)
    if not access.study_roles(actor, study):
        raise Http404("Not found.")
    return study


def site_get(*, actor: User, site_id) -> Organization:
    """A site organization the actor sees at least one study-site of; otherwise a 404, the
    same as a site that does not exist."""
    try:
        return Organization.objects.get(
            pk=site_id,
            kind=OrganizationKind.SITE,
            pk__in=access.visible_study_sites(actor).values("site_id"),
        )
    except (Organization.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Not found.") from exc


# --- scorecards ----------------------------------------------------------------------------------


def study_site_scorecard(*, actor: User, study_site: StudySite, as_of: date) -> Scorecard:
    visible = access.visible_study_sites(actor).filter(pk=study_site.pk)
    return scorecards(visible, as_of=as_of).get(study_site.pk) or empty_scorecard(
        study_site.pk, as_of
    )


def site_study_sites(*, actor: User, site: Organization) -> QuerySet[StudySite]:
    """The site's study-sites the actor sees, across every CRO and study."""
    return (
        access.visible_study_sites(actor)
        .filter(site=site)
        .select_related("study", "study__cro")
        .order_by("study__cro__name", "study__protocol_number", "site_number")
    )


def site_scorecard(
    *, actor: User, site: Organization, as_of: date
) -> tuple[list[tuple[StudySite, Scorecard]], Scorecard]:
    """One row per study-site of the site the actor sees, and the site-wide line over exactly
    those study-sites (rates and medians recomputed over the pooled records, not averaged)."""
    study_sites = site_study_sites(actor=actor, site=site)
    cards = scorecards(study_sites, as_of=as_of)
    overall = scorecards(study_sites, as_of=as_of, group=GROUP_SITE).get(site.pk)
    rows = [(ss, cards.get(ss.pk) or empty_scorecard(ss.pk, as_of)) for ss in study_sites]
    return rows, overall or empty_scorecard(site.pk, as_of)


def _sort_value(measure: Measure, row: RankedRow):
    return row.scorecard[measure.key].value


def study_ranking(*, actor: User, study: Study, as_of: date, sort: str = DEFAULT_SORT) -> Ranking:
    """Every study-site of the study the actor sees, ranked by one measure (best first; a
    leading "-" reverses the order). Study-sites without a value for the measure come last
    and have no rank. A constant number of queries, whatever the number of sites."""
    reverse = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        key, reverse = DEFAULT_SORT, False
    visible = access.visible_study_sites(actor).filter(study=study)
    study_sites = list(visible.select_related("site").order_by("site_number", "pk"))
    cards = scorecards(visible, as_of=as_of)
    rows = [
        RankedRow(ss, cards.get(ss.pk) or empty_scorecard(ss.pk, as_of), None) for ss in study_sites
    ]
    measure = BY_KEY.get(key)
    if measure is None:
        rows.sort(key=lambda r: r.study_site.site_number, reverse=reverse)
        return Ranking(study, as_of, f"-{key}" if reverse else key, None, rows)

    measured = [r for r in rows if _sort_value(measure, r) is not None]
    unmeasured = [r for r in rows if _sort_value(measure, r) is None]
    measured.sort(
        key=lambda r: _sort_value(measure, r), reverse=measure.higher_is_better
    )  # best first; stable, so ties keep site-number order
    previous = None
    for position, row in enumerate(measured, start=1):
        value = _sort_value(measure, row)
        row.rank = (
            previous.rank if previous and _sort_value(measure, previous) == value else position
        )
        previous = row
    if reverse:
        measured.reverse()
    return Ranking(study, as_of, f"-{key}" if reverse else key, measure, measured + unmeasured)


# --- lists for the landing page ------------------------------------------------------------------


def own_sites(*, actor: User) -> QuerySet[Organization]:
    """The site organizations the actor works at, with how many study-sites each has."""
    return (
        Organization.objects.filter(pk__in=list(site_org_ids(actor)), kind=OrganizationKind.SITE)
        .annotate(
            study_site_count=Count(
                "study_sites",
                filter=Q(study_sites__in=access.visible_study_sites(actor)),
                distinct=True,
            )
        )
        .order_by("name")
    )


def ranked_studies(*, actor: User) -> QuerySet[Study]:
    """Studies the actor sees as CRO staff or sponsor (not merely as a site taking part), with
    the number of study-sites the actor sees in each: the ranking lists exactly those."""
    cro_or_sponsor = [
        org for org, roles in organization_roles(actor).items() if roles - access.SITE_ROLES
    ]
    return (
        access.visible_studies(actor)
        .filter(Q(cro_id__in=cro_or_sponsor) | Q(sponsor_id__in=cro_or_sponsor))
        .select_related("cro", "sponsor")
        .annotate(
            site_count=Count(
                "study_sites",
                filter=Q(study_sites__in=access.visible_study_sites(actor)),
                distinct=True,
            )
        )
        .order_by("cro__name", "protocol_number")
    )


# --- trends ----------------------------------------------------------------------------------------


def snapshots(
    *, actor: User, study_sites: list[StudySite], today: date, months: int = TREND_MONTHS
) -> tuple[list[date], dict[int, dict[date, ScorecardSnapshot]]]:
    """The monthly snapshots of the last ``months`` complete months for the study-sites (only
    those the actor sees): (the months, oldest first; {study-site id: {month: snapshot}})."""
    wanted = previous_months(today, months)
    rows = access.scope(
        ScorecardSnapshot.objects.filter(
            study_site__in=[ss.pk for ss in study_sites], month__in=wanted
        ),
        actor,
    ).order_by("study_site_id", "month")
    by_site: dict[int, dict[date, ScorecardSnapshot]] = {}
    for row in rows:
        by_site.setdefault(row.study_site_id, {})[row.month] = row
    return wanted, by_site
