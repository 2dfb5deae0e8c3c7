"""API: tokens for API clients, and the caller's organizations and roles."""

import pghistory
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.selectors import active_membership, membership_list
from accounts.serializers import (
    MyOrganizationsSerializer,
    TokenObtainInputSerializer,
    TokenSerializer,
)
from accounts.services import api_token_issue
from core.api import ErrorSerializer


class AuthTokenThrottle(ScopedRateThrottle):
    """ScopedRateThrottle that reads the rate when it is checked, not when DRF was imported,
    so a changed ``DEFAULT_THROTTLE_RATES`` setting takes effect at once."""

    @property
    def THROTTLE_RATES(self) -> dict:  # noqa: N802 - the name DRF looks up
        return api_settings.DEFAULT_THROTTLE_RATES


@extend_schema(tags=["auth"])
class AuthTokenApi(APIView):
    """Exchange an email address and password for an API token, or revoke your token."""

    throttle_classes = [AuthTokenThrottle]
    throttle_scope = "auth_token"

    def get_authenticators(self):
        # Getting a token needs no prior sign-in (and no CSRF token from a stale session).
        if getattr(self.request, "method", None) == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if getattr(self.request, "method", None) == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_create",
        description="Exchange your email address and password (and the one-time code, when "
        "two-factor sign-in is on) for an API token. The same token is returned until it is "
        "revoked.",
        request=TokenObtainInputSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Wrong email or password."),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenObtainInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = api_token_issue(request=request._request, **serializer.validated_data)
        return Response(TokenSerializer({"token": token.key}).data)

    @extend_schema(
        operation_id="auth_token_destroy",
        description="Revoke your API token; get a new one by signing in again.",
        request=None,
        responses={204: OpenApiResponse(description="The token no longer works.")},
    )
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["organizations"])
class MyOrganizationsApi(APIView):
    """The organizations the caller belongs to, and their roles in each."""

    @extend_schema(operation_id="organizations_me", responses=MyOrganizationsSerializer)
    def get(self, request):
        grouped: dict[int, dict] = {}
        for membership in membership_list(user=request.user):
            entry = grouped.setdefault(
                membership.organization_id,
                {"organization": membership.organization, "roles": []},
            )
            entry["roles"].append(membership.role)
        payload = {"user": request.user, "memberships": list(grouped.values())}
        return Response(MyOrganizationsSerializer(payload).data)


class AuditContextMixin:
    """Token clients are authenticated by DRF, after the audit middleware ran: add their
    organization to the audit context of writes (pghistory already follows the user)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in SAFE_METHODS and request.auth is not None:
            membership = active_membership(request._request)
            pghistory.context(organization=membership.organization_id if membership else None)
