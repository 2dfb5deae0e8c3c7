"""API: the study overview, read-only — the same numbers as the page
(dashboards.overview_views.study_overview), for CRO-wide roles, study leads and sponsor
viewers of the study; anyone else gets the same 404 as for a missing study."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import ErrorSerializer
from dashboards import overview
from payments.serializers import money
from trials.serializers import CategoryRowSerializer, StudyRefSerializer


class OverviewFilterSerializer(serializers.Serializer):
    period = serializers.ChoiceField(
        choices=overview.PERIODS,
        required=False,
        help_text="Points of the enrollment curve per week or per month (default: weekly up "
        "to about six months of curve, monthly beyond).",
    )


class OverviewStatusCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class OverviewLastVisitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="last_visit_id")
    date = serializers.DateField(source="last_visit_on")
    type = serializers.CharField(source="last_visit_type")


class OverviewSiteRowSerializer(serializers.Serializer):
    study_site_id = serializers.IntegerField()
    site_number = serializers.CharField()
    site_name = serializers.CharField()
    status = serializers.CharField()
    activated_on = serializers.DateField(
        allow_null=True,
        help_text="When the status turned activated (audit trail); for a site loaded already "
        "active, its site initiation visit date.",
    )
    enrolled = serializers.IntegerField(help_text="Ever enrolled (incl. completed, withdrawn)")
    screened = serializers.IntegerField()
    target = serializers.IntegerField()
    percent_of_target = serializers.FloatField(allow_null=True)
    open_queries = serializers.IntegerField(help_text="Data queries not closed or cancelled")
    last_monitoring_visit = serializers.SerializerMethodField()

    @extend_schema_field(OverviewLastVisitSerializer(allow_null=True))
    def get_last_monitoring_visit(self, row) -> dict | None:
        return OverviewLastVisitSerializer(row).data if row.last_visit_id else None


class OverviewPlanSerializer(serializers.Serializer):
    first_patient_in = serializers.DateField(allow_null=True, help_text="Planned")
    last_patient_in = serializers.DateField(allow_null=True, help_text="Planned")
    target = serializers.IntegerField(help_text="Planned subjects")
    complete = serializers.BooleanField(help_text="False: no plan to compare with")
    first_patient_in_actual = serializers.DateField(allow_null=True, help_text="Recorded")


class OverviewCurvePointSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    enrolled = serializers.IntegerField(
        allow_null=True, help_text="Cumulative to the period end (or today); null ahead"
    )
    planned = serializers.FloatField(allow_null=True, help_text="Cumulative per the plan")


class OverviewEnrollmentSerializer(serializers.Serializer):
    enrolled = serializers.IntegerField()
    screened = serializers.IntegerField()
    site_targets = serializers.IntegerField(help_text="The study-sites' targets added up")
    plan = OverviewPlanSerializer()
    planned_to_date = serializers.FloatField(allow_null=True)
    percent_of_plan = serializers.FloatField(allow_null=True)
    period = serializers.ChoiceField(choices=overview.PERIODS)
    curve = OverviewCurvePointSerializer(many=True)


class OverviewQueryAgingBucketSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="Days since raised")
    waiting_on_site = serializers.IntegerField()
    waiting_on_cro = serializers.IntegerField()
    total = serializers.IntegerField()


class OverviewQueryAgingSerializer(serializers.Serializer):
    open = serializers.IntegerField(source="open_queries")
    buckets = OverviewQueryAgingBucketSerializer(many=True, source="query_aging")


class OverviewPaymentBucketSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    amount = money()


class OverviewPaymentAgingSerializer(serializers.Serializer):
    currency = serializers.CharField()
    total = money()
    overdue = money()
    items = serializers.IntegerField()
    buckets = serializers.SerializerMethodField()

    @extend_schema_field(OverviewPaymentBucketSerializer(many=True))
    def get_buckets(self, total) -> list:
        return OverviewPaymentBucketSerializer(
            [{"key": k, "label": label, "amount": amount} for k, label, amount in total.buckets],
            many=True,
        ).data


class OverviewDiversitySerializer(serializers.Serializer):
    enrolled = serializers.IntegerField()
    behind_goal_count = serializers.IntegerField()
    suppressed_small_cells = serializers.BooleanField()
    goals = CategoryRowSerializer(many=True)


class StudyOverviewSerializer(serializers.Serializer):
    study = StudyRefSerializer()
    as_of = serializers.DateField(source="today")
    status_counts = OverviewStatusCountSerializer(many=True)
    sites = OverviewSiteRowSerializer(many=True)
    enrollment = OverviewEnrollmentSerializer(source="*")
    query_aging = OverviewQueryAgingSerializer(source="*")
    payment_aging = OverviewPaymentAgingSerializer(many=True)
    diversity = OverviewDiversitySerializer()


@extend_schema(
    tags=["studies"],
    operation_id="study_overview",
    parameters=[OverviewFilterSerializer],
    responses={
        200: StudyOverviewSerializer,
        400: OpenApiResponse(ErrorSerializer, description="Invalid period."),
        404: OpenApiResponse(ErrorSerializer, description="Not found (or not yours)."),
    },
    description="The study at a glance: sites by status (with activation date, enrolled vs "
    "target, open queries and last monitoring visit per site), the enrollment curve against "
    "the plan, open queries by age, unpaid site payments by age, and enrollment against the "
    "diversity goals (groups under 5 suppressed: count null). For the CRO's study-wide roles, "
    "the study's leads and the sponsor's viewers.",
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def study_overview(request, study_id=None):
    study = overview.overview_study_get(actor=request.user, study_id=study_id)
    params = OverviewFilterSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = overview.study_overview(
        actor=request.user, study=study, period=params.validated_data.get("period")
    )
    return Response(StudyOverviewSerializer(data).data)
