"""API shapes for site payments. Types and lookups only: every rule is in payments.services.
Money is a decimal string (never a float) with its currency."""

from rest_framework import serializers

from payments.models import (
    BudgetVersion,
    DisputeStatus,
    Earning,
    EarningKind,
    Fee,
    InvoiceLine,
    InvoiceStatus,
    ItemCategory,
    PaymentDispute,
    PaymentRun,
    PaymentRunLine,
    PaymentRunStatus,
    SiteInvoice,
)
from trials.models import MilestoneKind


def money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, coerce_to_string=True, **kwargs
    )


class FeeSerializer(serializers.ModelSerializer):
    visit_code = serializers.CharField(source="visit_definition.code", default=None)

    class Meta:
        model = Fee
        fields = [
            "id",
            "kind",
            "visit_definition",
            "visit_code",
            "milestone_kind",
            "item_category",
            "amount",
        ]
        read_only_fields = fields


class BudgetVersionSerializer(serializers.ModelSerializer):
    study_site = serializers.IntegerField(source="budget.study_site_id")
    currency = serializers.CharField(source="budget.currency")
    fees = FeeSerializer(many=True, read_only=True)

    class Meta:
        model = BudgetVersion
        fields = [
            "id",
            "study_site",
            "currency",
            "number",
            "effective_date",
            "reason",
            "holdback_percent",
            "payment_terms_days",
            "screen_failure_fee",
            "screen_failure_cap",
            "second_approval_threshold",
            "fees",
            "created_at",
        ]
        read_only_fields = fields


class BudgetVersionInputSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(min_value=1)
    effective_date = serializers.DateField()
    reason = serializers.CharField(max_length=300)
    currency = serializers.CharField(max_length=3, required=False)
    holdback_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=365)
    screen_failure_fee = serializers.CharField(max_length=20, required=False, default="0")
    screen_failure_cap = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    second_approval_threshold = serializers.CharField(
        max_length=20, required=False, allow_null=True
    )
    visit_fees = serializers.DictField(
        child=serializers.CharField(max_length=20),
        required=False,
        help_text="{visit_definition_id: amount}",
    )
    milestone_fees = serializers.DictField(
        child=serializers.CharField(max_length=20),
        required=False,
        help_text=f"{{milestone kind: amount}}; kinds: {', '.join(MilestoneKind.values)}",
    )
    item_caps = serializers.DictField(
        child=serializers.CharField(max_length=20),
        required=False,
        help_text=f"{{item: most per unit}}; items: {', '.join(ItemCategory.values)}",
    )


class BudgetFilterSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(required=False, min_value=1)


class EarningSerializer(serializers.ModelSerializer):
    payment_run = serializers.IntegerField(source="run_line.run_id", default=None)
    payment_status = serializers.CharField(source="run_line.run.status", default=None)
    amount = money(read_only=True)

    class Meta:
        model = Earning
        fields = [
            "id",
            "study_site",
            "kind",
            "description",
            "event_date",
            "amount",
            "currency",
            "subject_visit",
            "subject",
            "milestone",
            "reverses",
            "reversed_at",
            "budget_version",
            "payment_run",
            "payment_status",
            "created_at",
        ]
        read_only_fields = fields


class EarningFilterSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(required=False, min_value=1)
    kind = serializers.ChoiceField(choices=EarningKind.choices, required=False)
    unpaid = serializers.BooleanField(required=False, default=False)


class InvoiceLineSerializer(serializers.ModelSerializer):
    amount = money(read_only=True)
    unit_amount = money(read_only=True)
    has_attachment = serializers.SerializerMethodField()

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "item_category",
            "description",
            "service_date",
            "quantity",
            "unit_amount",
            "amount",
            "currency",
            "withdrawn",
            "has_attachment",
        ]
        read_only_fields = fields

    def get_has_attachment(self, line) -> bool:
        return bool(line.attachment)


class InvoiceSerializer(serializers.ModelSerializer):
    total = money(read_only=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta:
        model = SiteInvoice
        fields = [
            "id",
            "number",
            "study_site",
            "currency",
            "status",
            "total",
            "created_at",
            "submitted_by",
            "submitted_at",
            "first_approved_by",
            "approved_by",
            "approved_at",
            "review_comment",
            "lines",
        ]
        read_only_fields = fields


class InvoiceFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)
    study_site = serializers.IntegerField(required=False, min_value=1)


class InvoiceCreateSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(min_value=1)


class InvoiceLineInputSerializer(serializers.Serializer):
    item_category = serializers.ChoiceField(choices=ItemCategory.choices)
    service_date = serializers.DateField()
    quantity = serializers.IntegerField(min_value=1, max_value=100000)
    unit_amount = serializers.CharField(max_length=20, help_text='Decimal string, e.g. "125.00"')
    currency = serializers.CharField(max_length=3, required=False)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    attachment = serializers.FileField(required=False)


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(help_text="Your password: the e-signature.")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=1000)


class PaymentRunLineSerializer(serializers.ModelSerializer):
    gross = money(read_only=True)
    holdback = money(read_only=True)
    net = money(read_only=True)

    class Meta:
        model = PaymentRunLine
        fields = [
            "id",
            "earning",
            "invoice_line",
            "description",
            "event_date",
            "gross",
            "holdback",
            "net",
            "currency",
        ]
        read_only_fields = fields


RUN_FIELDS = [
    "id",
    "study_site",
    "period_start",
    "period_end",
    "currency",
    "status",
    "gross",
    "holdback",
    "net",
    "prepared_by",
    "approved_by",
    "approved_at",
    "paid_at",
    "payment_reference",
    "payment_date",
    "created_at",
]


class PaymentRunSummarySerializer(serializers.ModelSerializer):
    """A run in the list: its totals and how many lines it has. The lines themselves are in
    the run's own endpoint (a run can carry hundreds; a page of runs embedding them all grew
    with the sites' activity)."""

    gross = money(read_only=True)
    holdback = money(read_only=True)
    net = money(read_only=True)
    line_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PaymentRun
        fields = [*RUN_FIELDS, "line_count"]
        read_only_fields = fields


class PaymentRunSerializer(serializers.ModelSerializer):
    gross = money(read_only=True)
    holdback = money(read_only=True)
    net = money(read_only=True)
    lines = PaymentRunLineSerializer(many=True, read_only=True)

    class Meta:
        model = PaymentRun
        fields = [*RUN_FIELDS, "lines"]
        read_only_fields = fields


class PaymentRunFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PaymentRunStatus.choices, required=False)
    study_site = serializers.IntegerField(required=False, min_value=1)


class PaymentRunCreateSerializer(serializers.Serializer):
    study_site = serializers.IntegerField(min_value=1)
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class PaySerializer(serializers.Serializer):
    payment_reference = serializers.CharField(max_length=100)
    payment_date = serializers.DateField()


class DisputeSerializer(serializers.ModelSerializer):
    line = serializers.CharField(source="target_description", read_only=True)
    line_amount = money(source="target_amount", read_only=True)
    currency = serializers.CharField(read_only=True)
    adjustment_amount = money(source="adjustment.amount", read_only=True, default=None)

    class Meta:
        model = PaymentDispute
        fields = [
            "id",
            "study_site",
            "earning",
            "run_line",
            "line",
            "line_amount",
            "currency",
            "status",
            "comment",
            "raised_by",
            "raised_at",
            "answer",
            "answered_by",
            "answered_at",
            "adjustment",
            "adjustment_amount",
        ]
        read_only_fields = fields


class DisputeCreateSerializer(serializers.Serializer):
    earning = serializers.IntegerField(required=False, min_value=1)
    run_line = serializers.IntegerField(required=False, min_value=1)
    comment = serializers.CharField(max_length=2000)

    def validate(self, attrs):
        if ("earning" in attrs) == ("run_line" in attrs):
            raise serializers.ValidationError("Give either an earning or a run_line.")
        return attrs


class DisputeAcceptSerializer(serializers.Serializer):
    amount = serializers.CharField(max_length=20, help_text="Signed decimal, e.g. -50.00")
    answer = serializers.CharField(max_length=2000)


class DisputeFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DisputeStatus.choices, required=False)
    study_site = serializers.IntegerField(required=False, min_value=1)
