"""API: budgets, earnings, invoices and payment runs, with workflow actions as POST endpoints.
Thin: reads through payments.selectors, writes through payments.services. The approve and pay
actions honour an ``Idempotency-Key`` header: a replay returns the first result."""

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api import AuditContextMixin
from core.api import ErrorSerializer
from core.db import correlated_count
from core.exceptions import ApplicationError
from payments import selectors, services
from payments.models import IdempotentResponse, InvoiceLine, PaymentRunLine
from payments.serializers import (
    BudgetFilterSerializer,
    BudgetVersionInputSerializer,
    BudgetVersionSerializer,
    CommentSerializer,
    DisputeAcceptSerializer,
    DisputeCreateSerializer,
    DisputeFilterSerializer,
    DisputeSerializer,
    EarningFilterSerializer,
    EarningSerializer,
    InvoiceCreateSerializer,
    InvoiceFilterSerializer,
    InvoiceLineInputSerializer,
    InvoiceSerializer,
    PasswordSerializer,
    PaymentRunCreateSerializer,
    PaymentRunFilterSerializer,
    PaymentRunSerializer,
    PaymentRunSummarySerializer,
    PaySerializer,
    ReasonSerializer,
)
from trials.api import ReadOnlyRolesCannotWrite

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input or a rule refused it."),
    403: OpenApiResponse(ErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not yours)."),
    409: OpenApiResponse(ErrorSerializer, description="The record's status does not allow it."),
}
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Send the same key again to get the first result back instead of acting twice.",
)


def _filters(request, serializer_class) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _idempotent(request, endpoint: str, act) -> Response:
    key = (request.headers.get("Idempotency-Key") or "").strip()[:100]
    if not key:
        return act()
    stored = IdempotentResponse.objects.filter(user=request.user, key=key).first()
    if stored is not None:
        if stored.endpoint != endpoint:
            raise ApplicationError(
                "This Idempotency-Key was already used for another request.",
                fields={"Idempotency-Key": ["Use a new key for a new request."]},
            )
        return Response(stored.body, status=stored.status_code)
    with transaction.atomic():
        response = act()
        try:
            with transaction.atomic():
                IdempotentResponse.objects.create(
                    user=request.user,
                    key=key,
                    endpoint=endpoint,
                    status_code=response.status_code,
                    body=response.data,
                )
        except IntegrityError:
            transaction.set_rollback(True)
            stored = IdempotentResponse.objects.get(user=request.user, key=key)
            return Response(stored.body, status=stored.status_code)
    return response


class _Base(AuditContextMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ReadOnlyRolesCannotWrite]
    filter_backends: list = []


@extend_schema(tags=["payments"])
class BudgetViewSet(_Base):
    """Budget versions of the study-sites you can see (fee schedule included)."""

    serializer_class = BudgetVersionSerializer
    lookup_url_kwarg = "budget_version_id"

    def get_queryset(self) -> QuerySet:
        return selectors.budget_list(
            actor=self.request.user, filters=_filters(self.request, BudgetFilterSerializer)
        )

    @extend_schema(
        parameters=[BudgetFilterSerializer], responses=BudgetVersionSerializer(many=True)
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(BudgetVersionSerializer(page, many=True).data)

    @extend_schema(responses={200: BudgetVersionSerializer, 404: ERRORS[404]})
    def retrieve(self, request, budget_version_id=None):
        from trials import access

        version = access.get_visible_or_404(
            selectors.budget_list(actor=request.user), request.user, budget_version_id
        )
        return Response(BudgetVersionSerializer(version).data)

    @extend_schema(
        request=BudgetVersionInputSerializer,
        responses={201: BudgetVersionSerializer, **ERRORS},
        description="Enter a study-site's budget (version 1) or amend it (a new version with "
        "an effective date and a reason). CRO finance only.",
    )
    def create(self, request):
        serializer = BudgetVersionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        study_site = selectors.study_site_get(
            actor=request.user, study_site_id=data.pop("study_site")
        )
        version = services.budget_version_create(actor=request.user, study_site=study_site, **data)
        version = selectors.budget_list(actor=request.user).get(pk=version.pk)
        return Response(BudgetVersionSerializer(version).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["payments"])
class EarningViewSet(_Base):
    """Earnings accrued automatically from completed visits, screen failures and milestones."""

    serializer_class = EarningSerializer
    lookup_url_kwarg = "earning_id"

    def get_queryset(self) -> QuerySet:
        return selectors.earning_list(
            actor=self.request.user, filters=_filters(self.request, EarningFilterSerializer)
        )

    @extend_schema(parameters=[EarningFilterSerializer], responses=EarningSerializer(many=True))
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(EarningSerializer(page, many=True).data)

    @extend_schema(responses={200: EarningSerializer, 404: ERRORS[404]})
    def retrieve(self, request, earning_id=None):
        from trials import access

        earning = access.get_visible_or_404(
            selectors.earning_list(actor=request.user), request.user, earning_id
        )
        return Response(EarningSerializer(earning).data)


def _invoice_out(request, invoice_id) -> dict:
    invoice = selectors.invoice_get(actor=request.user, invoice_id=invoice_id)
    invoice._prefetched_objects_cache = {
        "lines": selectors.invoice_line_list(actor=request.user, invoice=invoice)
    }
    return InvoiceSerializer(invoice).data


@extend_schema(tags=["payments"])
class InvoiceViewSet(_Base):
    """Site invoices for pass-through costs, with their workflow."""

    serializer_class = InvoiceSerializer
    lookup_url_kwarg = "invoice_id"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet:
        return selectors.invoice_list(
            actor=self.request.user, filters=_filters(self.request, InvoiceFilterSerializer)
        ).prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("pk")))

    @extend_schema(parameters=[InvoiceFilterSerializer], responses=InvoiceSerializer(many=True))
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(InvoiceSerializer(page, many=True).data)

    @extend_schema(responses={200: InvoiceSerializer, 404: ERRORS[404]})
    def retrieve(self, request, invoice_id=None):
        return Response(_invoice_out(request, invoice_id))

    @extend_schema(
        request=InvoiceCreateSerializer,
        responses={201: InvoiceSerializer, **ERRORS},
        description="Draft an invoice for one of your site's study-sites (site coordinator).",
    )
    def create(self, request):
        serializer = InvoiceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        study_site = selectors.study_site_get(
            actor=request.user, study_site_id=serializer.validated_data["study_site"]
        )
        invoice = services.invoice_create(actor=request.user, study_site=study_site)
        return Response(_invoice_out(request, invoice.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=InvoiceLineInputSerializer,
        responses={201: InvoiceSerializer, **ERRORS},
        description="Add a line (an invoiceable item of the budget) to a draft.",
    )
    @action(detail=True, methods=["post"])
    def lines(self, request, invoice_id=None):
        invoice = selectors.invoice_get(actor=request.user, invoice_id=invoice_id)
        serializer = InvoiceLineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.invoice_line_add(actor=request.user, invoice=invoice, **serializer.validated_data)
        return Response(_invoice_out(request, invoice.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: InvoiceSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, invoice_id=None):
        invoice = selectors.invoice_get(actor=request.user, invoice_id=invoice_id)
        services.invoice_submit(actor=request.user, invoice=invoice)
        return Response(_invoice_out(request, invoice.pk))

    @extend_schema(
        request=PasswordSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: InvoiceSerializer, **ERRORS},
        description="Approve with your e-signature (CRO finance; never the submitter; "
        "above the threshold a second, different finance approver completes it).",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, invoice_id=None):
        invoice = selectors.invoice_get(actor=request.user, invoice_id=invoice_id)

        def act():
            serializer = PasswordSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.invoice_approve(
                actor=request.user, invoice=invoice, **serializer.validated_data
            )
            return Response(_invoice_out(request, invoice.pk))

        return _idempotent(request, f"invoice.approve:{invoice.pk}", act)

    @extend_schema(request=ReasonSerializer, responses={200: InvoiceSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request, invoice_id=None):
        invoice = selectors.invoice_get(actor=request.user, invoice_id=invoice_id)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.invoice_reject(actor=request.user, invoice=invoice, **serializer.validated_data)
        return Response(_invoice_out(request, invoice.pk))

    @extend_schema(request=CommentSerializer, responses={200: InvoiceSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, invoice_id=None):
        invoice = selectors.invoice_get(actor=request.user, invoice_id=invoice_id)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.invoice_request_changes(
            actor=request.user, invoice=invoice, **serializer.validated_data
        )
        return Response(_invoice_out(request, invoice.pk))


def _run_out(request, payment_run_id) -> dict:
    run = selectors.payment_run_get(actor=request.user, payment_run_id=payment_run_id)
    run._prefetched_objects_cache = {
        "lines": selectors.payment_run_line_list(actor=request.user, run=run)
    }
    return PaymentRunSerializer(run).data


@extend_schema(tags=["payments"])
class PaymentRunViewSet(_Base):
    """Payment runs: build (CRO finance), approve (finance approver, not the preparer), pay."""

    serializer_class = PaymentRunSerializer
    lookup_url_kwarg = "payment_run_id"

    def get_queryset(self) -> QuerySet:
        return selectors.payment_run_list(
            actor=self.request.user, filters=_filters(self.request, PaymentRunFilterSerializer)
        ).annotate(
            line_count=correlated_count(PaymentRunLine.objects.filter(run=OuterRef("pk")), "run")
        )

    @extend_schema(
        parameters=[PaymentRunFilterSerializer],
        responses=PaymentRunSummarySerializer(many=True),
        description="Runs with their totals and line counts; each run's lines are in "
        "GET /api/v1/payment-runs/{id}/.",
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PaymentRunSummarySerializer(page, many=True).data)

    @extend_schema(responses={200: PaymentRunSerializer, 404: ERRORS[404]})
    def retrieve(self, request, payment_run_id=None):
        return Response(_run_out(request, payment_run_id))

    @extend_schema(
        request=PaymentRunCreateSerializer, responses={201: PaymentRunSerializer, **ERRORS}
    )
    def create(self, request):
        serializer = PaymentRunCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        study_site = selectors.study_site_get(
            actor=request.user, study_site_id=data.pop("study_site")
        )
        run = services.payment_run_build(actor=request.user, study_site=study_site, **data)
        return Response(_run_out(request, run.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PasswordSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: PaymentRunSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, payment_run_id=None):
        run = selectors.payment_run_get(actor=request.user, payment_run_id=payment_run_id)

        def act():
            serializer = PasswordSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.payment_run_approve(actor=request.user, run=run, **serializer.validated_data)
            return Response(_run_out(request, run.pk))

        return _idempotent(request, f"payment_run.approve:{run.pk}", act)

    @extend_schema(
        request=PaySerializer,
        parameters=[IDEMPOTENCY],
        responses={200: PaymentRunSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, payment_run_id=None):
        run = selectors.payment_run_get(actor=request.user, payment_run_id=payment_run_id)

        def act():
            serializer = PaySerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.payment_run_mark_paid(actor=request.user, run=run, **serializer.validated_data)
            return Response(_run_out(request, run.pk))

        return _idempotent(request, f"payment_run.pay:{run.pk}", act)


@extend_schema(tags=["payments"])
class DisputeViewSet(_Base):
    """Disputes: the site disputes an earning or a paid run line; CRO finance accepts (a linked
    adjustment line) or rejects (with a reason)."""

    serializer_class = DisputeSerializer
    lookup_url_kwarg = "payment_dispute_id"

    def get_queryset(self) -> QuerySet:
        return selectors.dispute_list(
            actor=self.request.user, filters=_filters(self.request, DisputeFilterSerializer)
        )

    @extend_schema(parameters=[DisputeFilterSerializer], responses=DisputeSerializer(many=True))
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DisputeSerializer(page, many=True).data)

    @extend_schema(responses={200: DisputeSerializer, 404: ERRORS[404]})
    def retrieve(self, request, payment_dispute_id=None):
        dispute = selectors.dispute_get(actor=request.user, payment_dispute_id=payment_dispute_id)
        return Response(DisputeSerializer(dispute).data)

    @extend_schema(
        request=DisputeCreateSerializer,
        responses={201: DisputeSerializer, **ERRORS},
        description="Dispute an earning or a line of a paid run (site coordinator or site "
        "administrator).",
    )
    def create(self, request):
        serializer = DisputeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "earning" in data:
            target = {
                "earning": selectors.earning_get(actor=request.user, earning_id=data["earning"])
            }
        else:
            target = {
                "run_line": selectors.payment_run_line_get(
                    actor=request.user, payment_run_line_id=data["run_line"]
                )
            }
        dispute = services.dispute_open(actor=request.user, comment=data["comment"], **target)
        dispute = selectors.dispute_get(actor=request.user, payment_dispute_id=dispute.pk)
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DisputeAcceptSerializer, responses={200: DisputeSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request, payment_dispute_id=None):
        dispute = selectors.dispute_get(actor=request.user, payment_dispute_id=payment_dispute_id)
        serializer = DisputeAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.dispute_accept(actor=request.user, dispute=dispute, **serializer.validated_data)
        dispute = selectors.dispute_get(actor=request.user, payment_dispute_id=dispute.pk)
        return Response(DisputeSerializer(dispute).data)

    @extend_schema(request=ReasonSerializer, responses={200: DisputeSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request, payment_dispute_id=None):
        dispute = selectors.dispute_get(actor=request.user, payment_dispute_id=payment_dispute_id)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.dispute_reject(actor=request.user, dispute=dispute, **serializer.validated_data)
        dispute = selectors.dispute_get(actor=request.user, payment_dispute_id=dispute.pk)
        return Response(DisputeSerializer(dispute).data)
