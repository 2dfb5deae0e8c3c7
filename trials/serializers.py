"""API input and output shapes for studies and study-sites. Types and lookups only: every
rule lives in trials.services."""

from rest_framework import serializers

from accounts.models import ROLES_BY_KIND, Organization, OrganizationKind
from accounts.selectors import organization_roles
from trials.models import (
    STUDY_SITE_TRANSITIONS,
    AgeBand,
    Ethnicity,
    Phase,
    Race,
    Sex,
    Study,
    StudySite,
    StudySiteStatus,
    StudyStatus,
    StudyUpdate,
    StudyUpdateKind,
    StudyUpdateRecipient,
    Subject,
    SubjectStatus,
    SubjectVisit,
    SubjectVisitStatus,
)

MAX_INT = 2_147_483_647  # PostgreSQL integer column


def _ordering_choices(fields: tuple[str, ...]) -> list[str]:
    return [name for field in fields for name in (field, f"-{field}")]


STUDY_ORDERING: dict[str, tuple[str, ...]] = {
    "protocol_number": ("protocol_number",),
    "title": ("title",),
    "status": ("status",),
    "phase": ("phase",),
    "cro": ("cro__name",),
    "created_at": ("created_at",),
    "site_count": ("site_count",),
}

STUDY_SITE_ORDERING: dict[str, tuple[str, ...]] = {
    "study": ("study__protocol_number",),
    "site_number": ("site_number",),
    "site": ("site__name",),
    "status": ("status",),
    "enrollment_target": ("enrollment_target",),
    "screened_count": ("screened_count",),
    "enrolled_count": ("enrolled_count",),
}


# --- references to related objects -------------------------------------------------------


class OrganizationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]
        read_only_fields = fields


class SiteRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "country"]
        read_only_fields = fields


class StudyRefSerializer(serializers.ModelSerializer):
    cro = OrganizationRefSerializer(read_only=True)

    class Meta:
        model = Study
        fields = ["id", "protocol_number", "title", "cro"]
        read_only_fields = fields


# --- studies -------------------------------------------------------------------------------


class StudyFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=StudyStatus.choices, required=False)
    cro = serializers.IntegerField(required=False, min_value=1, help_text="CRO organization id")
    q = serializers.CharField(
        required=False, max_length=100, help_text="Part of the protocol number or title"
    )
    ordering = serializers.ChoiceField(
        choices=_ordering_choices(tuple(STUDY_ORDERING)),
        required=False,
        help_text="Sort by this field; a leading '-' sorts descending.",
    )


class StudyOutputSerializer(serializers.ModelSerializer):
    cro = OrganizationRefSerializer(read_only=True)
    sponsor = OrganizationRefSerializer(read_only=True)
    diversity_goals = serializers.DictField(
        child=serializers.FloatField(),
        read_only=True,
        help_text='Goal percentage per demographic category, e.g. {"race:black": 15}',
    )
    site_count = serializers.IntegerField(
        read_only=True, help_text="Study-sites of this study that you can see"
    )

    class Meta:
        model = Study
        fields = [
            "id",
            "protocol_number",
            "title",
            "phase",
            "therapeutic_area",
            "status",
            "cro",
            "sponsor",
            "currency",
            "planned_sites",
            "planned_subjects",
            "diversity_goals",
            "site_count",
        ]
        read_only_fields = fields


class StudyCreateInputSerializer(serializers.Serializer):
    cro = serializers.IntegerField(
        required=False,
        default=None,
        allow_null=True,
        help_text="Your CRO organization that runs the study; may be left out when you "
        "belong to exactly one CRO.",
    )
    sponsor = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.filter(kind=OrganizationKind.SPONSOR),
        error_messages={
            "does_not_exist": "Choose a sponsor organization.",
            "incorrect_type": "Choose a sponsor organization.",
        },
    )
    protocol_number = serializers.CharField(max_length=50)
    title = serializers.CharField(max_length=300)
    phase = serializers.ChoiceField(choices=Phase.choices)
    therapeutic_area = serializers.CharField(max_length=100)
    currency = serializers.CharField(max_length=10, help_text="ISO 4217 code, e.g. USD")
    planned_sites = serializers.IntegerField(required=False, default=0, max_value=MAX_INT)
    planned_subjects = serializers.IntegerField(required=False, default=0, max_value=MAX_INT)
    diversity_goals = serializers.DictField(
        child=serializers.FloatField(), required=False, default=dict
    )

    def validate_cro(self, value: int | None) -> Organization:
        """The actor's CRO organization with this id (or their only one, when left out)."""
        cro_roles = set(ROLES_BY_KIND[OrganizationKind.CRO])
        roles = organization_roles(self.context["request"].user)
        cro_ids = sorted(org_id for org_id, held in roles.items() if held & cro_roles)
        if value is None and len(cro_ids) == 1:
            value = cro_ids[0]
        cro = (
            Organization.objects.filter(pk=value, kind=OrganizationKind.CRO).first()
            if value in cro_ids
            else None
        )
        if cro is None:
            raise serializers.ValidationError("Choose one of your CRO organizations.")
        return cro


class StudyUpdateInputSerializer(serializers.Serializer):
    """Only the fields sent change; the reason is always required."""

    # Never partial, so the schema keeps ``reason`` required for this PATCH body
    # (drf-spectacular documents a partial serializer with every field optional).
    partial = property(lambda self: False, lambda self, value: None)

    reason = serializers.CharField(
        max_length=500, help_text="Why the study is changed; recorded in the audit trail."
    )
    title = serializers.CharField(max_length=300, required=False)
    phase = serializers.ChoiceField(choices=Phase.choices, required=False)
    therapeutic_area = serializers.CharField(max_length=100, required=False)
    planned_sites = serializers.IntegerField(required=False, max_value=MAX_INT)
    planned_subjects = serializers.IntegerField(required=False, max_value=MAX_INT)
    diversity_goals = serializers.DictField(child=serializers.FloatField(), required=False)

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["This field cannot be changed here."] for name in unknown}
            )
        return attrs


# --- study-sites ---------------------------------------------------------------------------


class StudySiteFilterSerializer(serializers.Serializer):
    study = serializers.IntegerField(required=False, min_value=1, help_text="Study id")
    status = serializers.ChoiceField(choices=StudySiteStatus.choices, required=False)
    site = serializers.IntegerField(required=False, min_value=1, help_text="Site organization id")
    ordering = serializers.ChoiceField(
        choices=_ordering_choices(tuple(STUDY_SITE_ORDERING)),
        required=False,
        help_text="Sort by this field; a leading '-' sorts descending.",
    )


class StudySiteOutputSerializer(serializers.ModelSerializer):
    study = StudyRefSerializer(read_only=True)
    site = SiteRefSerializer(read_only=True)
    screened_count = serializers.IntegerField(read_only=True, help_text="Subjects screened")
    enrolled_count = serializers.IntegerField(
        read_only=True, help_text="Subjects enrolled (including those who completed)"
    )
    principal_investigator = serializers.CharField(
        source="principal_investigator.printed_name",
        read_only=True,
        allow_null=True,
        help_text="Name of the principal investigator, if one is named",
    )

    class Meta:
        model = StudySite
        fields = [
            "id",
            "study",
            "site",
            "site_number",
            "status",
            "enrollment_target",
            "screened_count",
            "enrolled_count",
            "principal_investigator",
        ]
        read_only_fields = fields


class AgreementInputSerializer(serializers.Serializer):
    signed_on = serializers.DateField()
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text="Required to change a date already recorded; kept in the audit trail.",
    )


class StudySiteRecordsOutputSerializer(serializers.ModelSerializer):
    """The start-up and close-out records trials keeps on a study-site."""

    ip_reconciled_by = serializers.CharField(
        source="ip_reconciled_by.printed_name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = StudySite
        fields = [
            "id",
            "agreement_signed_on",
            "ip_reconciled_at",
            "ip_reconciled_by",
            "ip_reconciliation_note",
        ]
        read_only_fields = fields


class IPReconciliationInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


# Statuses a study-site can move to (never back to candidate); which move is allowed from
# which status is the service's decision.
TARGET_STATUSES = [
    (value, label)
    for value, label in StudySiteStatus.choices
    if any(value in targets for targets in STUDY_SITE_TRANSITIONS.values())
]


class StudySiteTransitionInputSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=TARGET_STATUSES)
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Recorded in the audit trail"
    )


# --- subjects and subject visits -----------------------------------------------------------

SUBJECT_ORDERING_CHOICES = _ordering_choices(
    ("subject", "status", "screening_date", "enrollment_date", "next_visit")
)
SUBJECT_VISIT_ORDERING_CHOICES = _ordering_choices(
    ("target_date", "actual_date", "status", "subject")
)


class SubjectFilterSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(required=False, min_value=1, help_text="Study-site id")
    study = serializers.IntegerField(required=False, min_value=1, help_text="Study id")
    status = serializers.ChoiceField(choices=SubjectStatus.choices, required=False)
    q = serializers.CharField(required=False, max_length=30, help_text="Part of the subject id")
    ordering = serializers.ChoiceField(
        choices=SUBJECT_ORDERING_CHOICES,
        required=False,
        help_text="Sort by this field; a leading '-' sorts descending.",
    )


class SubjectStudySiteSerializer(serializers.ModelSerializer):
    study = serializers.IntegerField(source="study_id", read_only=True)

    class Meta:
        model = StudySite
        fields = ["id", "study", "site_number"]
        read_only_fields = fields


class SubjectOutputSerializer(serializers.ModelSerializer):
    """Pseudonymous: no names or birth dates exist. Demographic categories are shown only to
    the site's own staff (everyone else sees them in aggregate, in the enrollment metrics)."""

    study_site = SubjectStudySiteSerializer(read_only=True)
    visit_count = serializers.IntegerField(read_only=True)
    completed_visit_count = serializers.IntegerField(read_only=True)
    next_visit_date = serializers.DateField(read_only=True, allow_null=True)
    demographics = serializers.SerializerMethodField()

    class Meta:
        model = Subject
        fields = [
            "id",
            "subject_identifier",
            "study_site",
            "status",
            "screening_date",
            "consent_date",
            "consent_version",
            "enrollment_date",
            "status_reason",
            "visit_count",
            "completed_visit_count",
            "next_visit_date",
            "demographics",
        ]
        read_only_fields = fields

    def get_demographics(self, subject) -> dict | None:
        if subject.study_site.site_id not in self.context.get("site_org_ids", ()):
            return None
        return {f: getattr(subject, f) for f in ("sex", "age_band", "race", "ethnicity")}


class SubjectCreateInputSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(min_value=1, help_text="Study-site id")
    screening_date = serializers.DateField()
    consent_date = serializers.DateField()
    consent_version = serializers.CharField(max_length=30)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, default=Sex.NOT_REPORTED)
    age_band = serializers.ChoiceField(
        choices=AgeBand.choices, required=False, default=AgeBand.NOT_REPORTED
    )
    race = serializers.ChoiceField(choices=Race.choices, required=False, default=Race.NOT_REPORTED)
    ethnicity = serializers.ChoiceField(
        choices=Ethnicity.choices, required=False, default=Ethnicity.NOT_REPORTED
    )

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["Not accepted: subjects carry no direct identifiers."] for name in unknown}
            )
        return attrs


class SubjectTransitionInputSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(
        choices=SubjectStatus.choices,
        help_text="The service refuses a change SUBJECT_TRANSITIONS does not allow (409)",
    )
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text="Required for screen_failed and withdrawn",
    )
    enrollment_date = serializers.DateField(
        required=False, allow_null=True, help_text="When enrolling; today if left out"
    )


class SubjectVisitFilterSerializer(serializers.Serializer):
    subject = serializers.IntegerField(required=False, min_value=1, help_text="Subject id")
    study_site = serializers.IntegerField(required=False, min_value=1, help_text="Study-site id")
    status = serializers.ChoiceField(choices=SubjectVisitStatus.choices, required=False)
    out_of_window = serializers.BooleanField(required=False, allow_null=True, default=None)
    due_from = serializers.DateField(required=False, help_text="Target date on or after")
    due_to = serializers.DateField(required=False, help_text="Target date on or before")
    ordering = serializers.ChoiceField(choices=SUBJECT_VISIT_ORDERING_CHOICES, required=False)


class SubjectVisitOutputSerializer(serializers.ModelSerializer):
    subject = serializers.IntegerField(source="subject_id", read_only=True)
    subject_identifier = serializers.CharField(source="subject.subject_identifier", read_only=True)
    definition = serializers.SerializerMethodField()

    class Meta:
        model = SubjectVisit
        fields = [
            "id",
            "subject",
            "subject_identifier",
            "definition",
            "target_date",
            "window_start",
            "window_end",
            "actual_date",
            "status",
            "out_of_window",
            "deviation_note",
        ]
        read_only_fields = fields

    def get_definition(self, visit) -> dict:
        d = visit.definition
        return {"id": d.pk, "code": d.code, "name": d.name, "day_offset": d.day_offset}


class SubjectVisitCompleteInputSerializer(serializers.Serializer):
    actual_date = serializers.DateField()
    deviation_note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class SubjectVisitMissInputSerializer(serializers.Serializer):
    deviation_note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class SubjectVisitCorrectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Kept in the audit trail")
    status = serializers.ChoiceField(choices=SubjectVisitStatus.choices)
    actual_date = serializers.DateField(required=False, allow_null=True)
    deviation_note = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, allow_null=True
    )


# --- enrollment metrics --------------------------------------------------------------------


class CategoryRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(allow_null=True, help_text="null when suppressed (<5)")
    percent = serializers.FloatField(allow_null=True)
    goal = serializers.FloatField(allow_null=True)
    behind_goal = serializers.BooleanField(allow_null=True)
    suppressed = serializers.BooleanField()


class DimensionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    rows = CategoryRowSerializer(many=True)


class EnrollmentPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    value = serializers.FloatField()


class EnrollmentMetricsSerializer(serializers.Serializer):
    screened = serializers.IntegerField()
    in_screening = serializers.IntegerField()
    enrolled = serializers.IntegerField(help_text="Ever enrolled (incl. completed, withdrawn)")
    active = serializers.IntegerField()
    completed = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    screen_failed = serializers.IntegerField()
    target = serializers.IntegerField()
    screen_failure_rate = serializers.FloatField(allow_null=True)
    percent_of_target = serializers.FloatField(allow_null=True)
    behind_goal_count = serializers.IntegerField()
    suppressed_small_cells = serializers.BooleanField()
    goals = CategoryRowSerializer(many=True)
    dimensions = DimensionSerializer(many=True)
    series = serializers.SerializerMethodField()
    per_site = serializers.ListField(child=serializers.DictField(), required=False)

    def get_series(self, metrics) -> dict[str, list[dict]]:
        if metrics.chart is None:
            return {}
        return {
            s.css: [{"date": d.isoformat(), "value": v} for d, v in s.points]
            for s in metrics.chart.series
        }


# --- study updates ------------------------------------------------------------------------


class StudyUpdateFilterSerializer(serializers.Serializer):
    study = serializers.IntegerField(required=False, min_value=1, help_text="Study id")
    kind = serializers.ChoiceField(choices=StudyUpdateKind.choices, required=False)


class StudyUpdateRecipientSerializer(serializers.ModelSerializer):
    study_site = serializers.IntegerField(source="study_site_id", read_only=True)
    site_number = serializers.CharField(source="study_site.site_number", read_only=True)
    read_by = serializers.CharField(
        source="read_by.printed_name", read_only=True, allow_null=True, default=None
    )
    confirmed_by = serializers.CharField(
        source="confirmed_by.printed_name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = StudyUpdateRecipient
        fields = [
            "id",
            "study_site",
            "site_number",
            "read_at",
            "read_by",
            "confirmed_at",
            "confirmed_by",
        ]
        read_only_fields = fields


class StudyUpdateOutputSerializer(serializers.ModelSerializer):
    study = StudyRefSerializer(read_only=True)
    posted_by = serializers.CharField(source="posted_by.printed_name", read_only=True)
    recipients = StudyUpdateRecipientSerializer(
        source="visible_recipients",
        many=True,
        read_only=True,
        help_text="The receiving study-sites you can see (a site sees only its own).",
    )

    class Meta:
        model = StudyUpdate
        fields = [
            "id",
            "study",
            "kind",
            "title",
            "body",
            "confirmation_required",
            "posted_by",
            "posted_at",
            "recipients",
        ]
        read_only_fields = fields


class StudyUpdateCreateInputSerializer(serializers.Serializer):
    study = serializers.IntegerField(min_value=1, help_text="Study id")
    kind = serializers.ChoiceField(choices=StudyUpdateKind.choices)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    confirmation_required = serializers.BooleanField(default=False)
    study_sites = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="Study-site ids; empty sends to every open site of the study.",
    )
