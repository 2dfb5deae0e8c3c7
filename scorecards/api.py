"""API: read-only scorecards. Thin: reads through scorecards.selectors (which start from
trials.access); another tenant's study-site or study is a 404 in the one error shape."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import ErrorSerializer, Pagination
from scorecards import selectors
from scorecards.measures import today
from scorecards.models import MEASURE_FIELDS
from scorecards.serializers import (
    ScorecardAsOfInputSerializer,
    ScorecardRankingInputSerializer,
    ScorecardRankingPageSerializer,
    StudySiteScorecardSerializer,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input."),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not yours)."),
}


def _input(request, serializer_class) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@extend_schema(
    tags=["scorecards"],
    parameters=[ScorecardAsOfInputSerializer],
    responses={200: StudySiteScorecardSerializer, **ERRORS},
    description="Every scorecard measure of one study-site as it stood at the end of `as_of` "
    "(default today), with each measure's definition, and the monthly snapshots of the last "
    "12 months.",
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def study_site_scorecard(request, study_site_id=None):
    study_site = selectors.study_site_get(actor=request.user, study_site_id=study_site_id)
    params = _input(request, ScorecardAsOfInputSerializer)
    as_of = params.get("as_of") or today()
    scorecard = selectors.study_site_scorecard(
        actor=request.user, study_site=study_site, as_of=as_of
    )
    months, by_site = selectors.snapshots(
        actor=request.user, study_sites=[study_site], today=today()
    )
    snapshots = by_site.get(study_site.pk, {})
    trend = [
        {
            "month": month,
            "as_of": snapshots[month].as_of,
            "values": {name: getattr(snapshots[month], name) for name in MEASURE_FIELDS},
        }
        for month in months
        if month in snapshots
    ]
    data = {
        "study": study_site.study,
        "study_site": study_site,
        "as_of": as_of,
        "measures": list(scorecard),
        "trend": trend,
    }
    return Response(StudySiteScorecardSerializer(data).data)


@extend_schema(
    tags=["scorecards"],
    parameters=[ScorecardRankingInputSerializer],
    responses={200: ScorecardRankingPageSerializer, **ERRORS},
    description="The study-sites of a study you see as CRO staff or sponsor, ranked by one "
    "measure (best first; `-` reverses), as of `as_of`. Study-sites without a value come last "
    "with a null rank. Paginated.",
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def study_ranking(request, study_id=None):
    study = selectors.ranking_study_get(actor=request.user, study_id=study_id)
    params = _input(request, ScorecardRankingInputSerializer)
    ranking = selectors.study_ranking(
        actor=request.user,
        study=study,
        as_of=params.get("as_of") or today(),
        sort=params["sort"],
    )
    paginator = Pagination()
    rows = paginator.paginate_queryset(ranking.rows, request)
    data = {
        "count": paginator.page.paginator.count,
        "next": paginator.get_next_link(),
        "previous": paginator.get_previous_link(),
        "study": study,
        "as_of": ranking.as_of,
        "sort": ranking.sort,
        "results": [
            {"rank": row.rank, "study_site": row.study_site, "values": row.scorecard.values()}
            for row in rows
        ],
    }
    return Response(ScorecardRankingPageSerializer(data).data)
