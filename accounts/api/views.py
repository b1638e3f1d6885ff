"""The accounts API. Thin: a serializer checks the input, the same services as the pages do the work.

Errors come out in the one shape of `common.api.exceptions`; a service's `FieldError` (a taken
email, a weak password) is turned into a serializer-style field error here, so a client handles
every bad input the same way.
"""

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.exceptions import FieldError, LockedOutError
from accounts.models import Address, User, UserSession
from accounts.request import signed_in_user
from accounts.throttling import ClientScopedRateThrottle, lockout_message, record_api_sign_in
from common import inbox
from common.api.schema import NOT_FOUND, VALIDATION_ERROR, error_response
from common.http import client_meta
from common.models import Notification

from .serializers import (
    AddressCreateSerializer,
    AddressSerializer,
    MeSerializer,
    NotificationListQuerySerializer,
    NotificationSerializer,
    NotificationsMarkedSerializer,
    PreferencesSerializer,
    RefreshSerializer,
    RegisterSerializer,
    TokenObtainSerializer,
    TokenPairSerializer,
    UserSerializer,
    UserSessionSerializer,
)

TOKEN_NOT_VALID = error_response("`token_not_valid`: the refresh token is malformed, expired or already used.")
THROTTLED = error_response("Too many requests.")
NOT_TRUE_OR_FALSE_ONCE = gettext_lazy("Send true or false, once.")


class FieldErrorsMixin:
    # Renders a service's `FieldError` as a 400 with `fields`, like a serializer's error.
    # (A comment, not a docstring: the schema would show it on every endpoint.)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, FieldError):
            exc = exceptions.ValidationError(exc.fields)
        return super().handle_exception(exc)  # type: ignore[misc]  # mixin: APIView after it in the MRO defines it


class PublicAuthApi(FieldErrorsMixin, APIView):
    # Endpoints for clients that are not signed in yet (or whose access token has expired).
    # No authentication classes: a stale `Authorization` header must not block signing in or
    # out, and there is no session, so no CSRF check applies.

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        # With no authentication classes DRF would turn a 401 into a 403; a wrong password is a 401.
        return 'Bearer realm="api"'


def _django_request(request: Request) -> HttpRequest:
    # django-axes flags the Django request (which its middleware reads), not DRF's wrapper.
    return request._request


# --- auth -------------------------------------------------------------------------------------


class RegisterApi(PublicAuthApi):
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(
        tags=["auth"],
        summary="Create a customer account",
        request=RegisterSerializer,
        responses={201: UserSerializer, 400: VALIDATION_ERROR, 429: THROTTLED},
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.customer_register(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainApi(PublicAuthApi):
    """Sign in: email and password for an access and a refresh token; the sign-in is recorded.

    Limited per client address, and locked per account and per address after repeated
    failures (then even the right password gets a 429 `locked_out`, until the lock ends).
    """

    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "signin"

    @extend_schema(
        tags=["auth"],
        summary="Sign in for tokens",
        request=TokenObtainSerializer,
        responses={
            200: TokenPairSerializer,
            400: VALIDATION_ERROR,
            401: error_response("Wrong email or password."),
            429: error_response("Throttled, or `locked_out`."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        django_request = _django_request(request)
        email, password = serializer.validated_data["email"], serializer.validated_data["password"]
        try:
            user = authenticate(django_request, username=email, password=password)
        except PermissionDenied as exc:  # axes' AxesBackendPermissionDenied, should it escape
            raise LockedOutError(lockout_message()) from exc
        if user is None:
            if getattr(django_request, "axes_locked_out", False):
                raise LockedOutError(lockout_message())
            raise exceptions.AuthenticationFailed(
                _("That email and password do not match an account."), code="invalid_credentials"
            )
        assert isinstance(user, User)
        pair = services.user_api_sign_in(user=user, **client_meta(django_request))
        record_api_sign_in(django_request, user)
        return Response(TokenPairSerializer({"access": pair.access, "refresh": pair.refresh}).data)


class TokenRefreshApi(PublicAuthApi):
    @extend_schema(
        tags=["auth"],
        summary="Rotate the refresh token",
        description="Returns a new pair; the refresh token sent is blacklisted and cannot be used again.",
        request=RefreshSerializer,
        responses={200: TokenPairSerializer, 400: VALIDATION_ERROR, 401: TOKEN_NOT_VALID},
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.user_api_token_refresh(refresh=serializer.validated_data["refresh"])
        return Response(TokenPairSerializer({"access": pair.access, "refresh": pair.refresh}).data)


class LogoutApi(PublicAuthApi):
    @extend_schema(
        tags=["auth"],
        summary="Sign out (blacklist the refresh token)",
        request=RefreshSerializer,
        responses={204: None, 400: VALIDATION_ERROR, 401: TOKEN_NOT_VALID},
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_api_sign_out(refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- me ---------------------------------------------------------------------------------------


def _me(user: User) -> dict[str, Any]:
    profile = selectors.profile_for(user=user)
    seller = selectors.seller_for(user=user)
    return MeSerializer(
        {
            "id": user.pk,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone_number": user.phone_number,
            "display_name": profile.display_name,
            "bio": profile.bio,
            "website": profile.website,
            "avatar_url": profile.avatar_url,
            "social_links": selectors.social_links_of(profile=profile),
            "is_customer": selectors.is_customer(user=user),
            "seller_status": seller.status if seller else None,
            "created_at": user.created_at,
        }
    ).data


class MeApi(FieldErrorsMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["me"], summary="Your account", responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(_me(signed_in_user(request)))

    @extend_schema(
        tags=["me"],
        summary="Change your names, phone or profile",
        request=MeSerializer,
        responses={200: MeSerializer, 400: VALIDATION_ERROR},
    )
    def patch(self, request: Request) -> Response:
        serializer = MeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.profile_update(user=signed_in_user(request), data=serializer.validated_data)
        return Response(_me(user))


# --- addresses --------------------------------------------------------------------------------


class AddressListCreateApi(FieldErrorsMixin, generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = AddressSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Address.objects.none()
        return selectors.address_list(user=signed_in_user(self.request))

    @extend_schema(tags=["me"], summary="Your addresses, the primary one first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["me"],
        summary="Add an address",
        request=AddressCreateSerializer,
        responses={201: AddressSerializer, 400: VALIDATION_ERROR},
    )
    def post(self, request: Request) -> Response:
        serializer = AddressCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        is_primary = data.pop("is_primary", False)
        address = services.address_create(user=signed_in_user(request), data=data, is_primary=is_primary)
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


class AddressDetailApi(FieldErrorsMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["me"], summary="One of your addresses", responses={200: AddressSerializer, 404: NOT_FOUND})
    def get(self, request: Request, address_id: int) -> Response:
        address = selectors.address_get(user=signed_in_user(request), address_id=address_id)
        return Response(AddressSerializer(address).data)

    def _update(self, request: Request, address_id: int, *, partial: bool) -> Response:
        # The address is looked up through its owner first: another user's id is a 404, never a 400.
        user = signed_in_user(request)
        instance = selectors.address_get(user=user, address_id=address_id)
        serializer = AddressSerializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        address = services.address_update(user=user, address_id=address_id, data=serializer.validated_data)
        return Response(AddressSerializer(address).data)

    @extend_schema(
        tags=["me"],
        summary="Replace an address's fields",
        request=AddressSerializer,
        responses={200: AddressSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    def put(self, request: Request, address_id: int) -> Response:
        return self._update(request, address_id, partial=False)

    @extend_schema(
        tags=["me"],
        summary="Change some of an address's fields",
        request=AddressSerializer,
        responses={200: AddressSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    def patch(self, request: Request, address_id: int) -> Response:
        return self._update(request, address_id, partial=True)

    @extend_schema(
        tags=["me"],
        summary="Delete an address",
        description="Deleting the primary address makes your oldest other address primary.",
        responses={204: None, 404: NOT_FOUND},
    )
    def delete(self, request: Request, address_id: int) -> Response:
        services.address_delete(user=signed_in_user(request), address_id=address_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AddressMakePrimaryApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["me"],
        summary="Make this your primary address",
        request=None,
        responses={200: AddressSerializer, 404: NOT_FOUND},
    )
    def post(self, request: Request, address_id: int) -> Response:
        address = services.address_make_primary(user=signed_in_user(request), address_id=address_id)
        return Response(AddressSerializer(address).data)


# --- preferences ------------------------------------------------------------------------------


class PreferencesApi(FieldErrorsMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["me"], summary="Your preferences", responses={200: PreferencesSerializer})
    def get(self, request: Request) -> Response:
        return Response(PreferencesSerializer(selectors.preferences_for(user=signed_in_user(request))).data)

    @extend_schema(
        tags=["me"],
        summary="Change your preferences",
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, 400: VALIDATION_ERROR},
    )
    def patch(self, request: Request) -> Response:
        serializer = PreferencesSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        preferences = services.preferences_update(user=signed_in_user(request), data=serializer.validated_data)
        return Response(PreferencesSerializer(preferences).data)


# --- sign-ins ---------------------------------------------------------------------------------


class SessionListApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = UserSessionSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return UserSession.objects.none()
        return selectors.user_session_list(user=signed_in_user(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        session = getattr(self.request, "session", None)
        context["current_session_key"] = session.session_key if session is not None else None
        return context

    @extend_schema(tags=["me"], summary="Where you are signed in (browsers and apps)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class SessionEndApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["me"],
        summary="Sign out one of your sign-ins",
        description="A browser session is signed out at once; an app's refresh token stops working.",
        responses={204: None, 404: NOT_FOUND},
    )
    def delete(self, request: Request, session_id: int) -> Response:
        services.user_session_end(user=signed_in_user(request), session_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- notifications ----------------------------------------------------------------------------


class NotificationListApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    filter_backends: list[Any] = []  # `unread` is read below, as sent

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        notifications = inbox.inbox_of(user=signed_in_user(self.request)).select_related("subject_type")
        unread = self._unread_filter()
        if unread is not None:
            notifications = notifications.filter(read_at__isnull=unread)
        return notifications

    def _unread_filter(self) -> bool | None:
        values = self.request.query_params.getlist("unread")
        if not values:
            return None
        query = NotificationListQuerySerializer(data={"unread": values[0]})
        if len(values) > 1 or not query.is_valid():
            raise exceptions.ValidationError({"unread": [str(NOT_TRUE_OR_FALSE_ONCE)]})
        return bool(query.validated_data["unread"] == "true")

    @extend_schema(
        tags=["me"],
        summary="Your notifications, newest first",
        description=(
            "What happened to your orders (confirmed, shipped, delivered, cancellation, return and issue "
            "steps), as shown in your account; each is also e-mailed. Another customer's are never listed."
        ),
        parameters=[
            OpenApiParameter(
                "unread",
                OpenApiTypes.STR,
                enum=["true", "false"],
                description="true: only unread ones; false: only read ones. Left out: all.",
            )
        ],
        responses={200: NotificationSerializer(many=True), 400: VALIDATION_ERROR},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["me"],
        summary="Mark one of your notifications read",
        description="Marking it again keeps the first reading time. Another customer's id is a 404.",
        request=None,
        responses={200: NotificationSerializer, 404: NOT_FOUND},
    )
    def post(self, request: Request, notification_id: int) -> Response:
        notification = inbox.notification_mark_read(user=signed_in_user(request), notification_id=notification_id)
        return Response(NotificationSerializer(notification).data)


class NotificationsReadAllApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["me"],
        summary="Mark all your notifications read",
        request=None,
        responses={200: NotificationsMarkedSerializer},
    )
    def post(self, request: Request) -> Response:
        marked = inbox.notifications_mark_all_read(user=signed_in_user(request))
        return Response(NotificationsMarkedSerializer({"marked": marked}).data)
