"""Input and output shapes of the scorecards API."""

from rest_framework import serializers

from scorecards.forms import EARLIEST
from scorecards.measures import MEASURES, today
from scorecards.selectors import SORT_KEYS


def _value_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=False, allow_null=True, **kwargs
    )


class ScorecardAsOfInputSerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        help_text="Measure as things stood at the end of this day (UTC); default today.",
    )

    def validate_as_of(self, value):
        if value > today():
            raise serializers.ValidationError("Choose today or a day in the past.")
        if value < EARLIEST:
            raise serializers.ValidationError("Choose a day in 2000 or later.")
        return value


class ScorecardRankingInputSerializer(ScorecardAsOfInputSerializer):
    sort = serializers.CharField(
        required=False,
        default="enrollment",
        help_text="A measure key (best first) or 'site'; a leading '-' reverses the order. "
        f"One of: {', '.join(sorted(SORT_KEYS))}.",
    )

    def validate_sort(self, value: str) -> str:
        if value.lstrip("-") not in SORT_KEYS:
            raise serializers.ValidationError(
                f"Sort by one of: {', '.join(sorted(SORT_KEYS))} (a leading - reverses)."
            )
        return value

    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1)


class ScorecardReadingSerializer(serializers.Serializer):
    key = serializers.CharField(source="measure.key")
    label = serializers.CharField(source="measure.label")
    definition = serializers.CharField(source="measure.definition")
    unit = serializers.CharField(source="measure.unit", help_text="percent, days, count or ratio")
    higher_is_better = serializers.BooleanField(source="measure.higher_is_better")
    value = _value_field(help_text="Null when there is nothing to measure (shown as —).")
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    display = serializers.CharField()
    detail = serializers.CharField()


ScorecardValuesSerializer = type(
    "ScorecardValuesSerializer",
    (serializers.Serializer,),
    {m.key: _value_field(help_text=f"{m.label}. {m.definition}") for m in MEASURES},
)


class ScorecardSiteRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ScorecardStudyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    protocol_number = serializers.CharField()
    cro = serializers.CharField(source="cro.name")


class ScorecardStudySiteRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    site_number = serializers.CharField()
    status = serializers.CharField()
    enrollment_target = serializers.IntegerField()
    site = ScorecardSiteRefSerializer()


class ScorecardTrendPointSerializer(serializers.Serializer):
    month = serializers.DateField()
    as_of = serializers.DateField()
    values = ScorecardValuesSerializer()


class StudySiteScorecardSerializer(serializers.Serializer):
    study = ScorecardStudyRefSerializer()
    study_site = ScorecardStudySiteRefSerializer()
    as_of = serializers.DateField()
    measures = ScorecardReadingSerializer(many=True)
    trend = ScorecardTrendPointSerializer(
        many=True, help_text="Monthly snapshots of the last 12 complete months, oldest first."
    )


class ScorecardRankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(
        allow_null=True, help_text="By the sorted measure, best first; null without a value."
    )
    study_site = ScorecardStudySiteRefSerializer()
    values = ScorecardValuesSerializer()


class ScorecardRankingPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    study = ScorecardStudyRefSerializer()
    as_of = serializers.DateField()
    sort = serializers.CharField()
    results = ScorecardRankingRowSerializer(many=True)
