"""API plumbing shared by every app: pagination and the one JSON error shape."""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.pagination import COUNT_CAP, CappedPaginator


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    """The one error shape every API answer uses (see exception_handler below)."""

    error = ErrorDetailSerializer()


class Pagination(PageNumberPagination):
    """Page numbers, with a count that stops at core.pagination.COUNT_CAP rows (a longer list
    answers ``"count_capped": true``; its later pages stay reachable through ``next``)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": min(paginator.count, paginator.count_cap),
                "count_capped": paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        described["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"The list has more than {COUNT_CAP} rows and count stops there.",
            "example": False,
        }
        described["required"] = [*described.get("required", []), "count_capped"]
        return described


def _error(code: str, message: str, fields=None, http_status=400) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=http_status
    )


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            key: [str(m) for m in (value if isinstance(value, list) else [value])]
            if not isinstance(value, dict)
            else [str(value)]
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {}


def exception_handler(exc, context):
    """Every API error answers ``{"error": {"code", "message", "fields"}}``."""
    if isinstance(exc, PermissionDenied):
        return _error(exc.code, exc.message, exc.fields, status.HTTP_403_FORBIDDEN)
    if isinstance(exc, TransitionNotAllowed):
        return _error(exc.code, exc.message, exc.fields, status.HTTP_409_CONFLICT)
    if isinstance(exc, ApplicationError):
        return _error(exc.code, exc.message, exc.fields, status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        response.data = {
            "error": {
                "code": "invalid",
                "message": "Please correct the fields listed.",
                "fields": fields,
            }
        }
        return response
    detail = getattr(exc, "detail", str(exc))
    code = getattr(exc, "default_code", "error")
    if hasattr(exc, "get_codes"):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else code
    response.data = {"error": {"code": code, "message": str(detail), "fields": {}}}
    return response
