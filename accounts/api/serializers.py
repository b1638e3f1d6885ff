"""Shapes of the accounts API. Serializers check the input's shape; the services hold the rules."""

from typing import Any

from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.validators import RegexValidator
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import BIO_MAX_LENGTH, Address, User, UserPreferences, UserSession
from accounts.services import ADDRESS_EDITABLE_FIELDS, PREFERENCES_EDITABLE_FIELDS
from accounts.validators import SOCIAL_LINK_MAX_LENGTH, SOCIAL_NETWORKS
from common import inbox
from common.api.serializers import StrictJSONTypesMixin, untrimmed_text_errors
from common.models import Notification

# RFC 3986's characters of a path segment and of a query or fragment (percent-encode the rest):
# "[" and "]" only belong in an IP host, "#" only once, before the fragment.
_PATH_CHAR = r"([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
_QUERY_CHAR = r"([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})"
WEB_ADDRESS_PATTERN = (
    r"^https?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(:[0-9]{1,4})?"
    rf"(/{_PATH_CHAR}*)*(\?{_QUERY_CHAR}*)?(#{_QUERY_CHAR}*)?$"
)
WEB_ADDRESS = RegexValidator(WEB_ADDRESS_PATTERN, _("Enter a web address such as https://example.com/me."))


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            # The same pattern as the server's check (WEB_ADDRESS), as for `website`: "uri" alone
            # admits addresses the shop refuses (an IP host, a bare "http:x").
            # An empty string removes the link.
            network: {
                "oneOf": [
                    {
                        "type": "string",
                        "format": "uri",
                        "maxLength": SOCIAL_LINK_MAX_LENGTH,
                        "pattern": WEB_ADDRESS_PATTERN,
                    },
                    {"type": "string", "maxLength": 0},
                ]
            }
            for network in SOCIAL_NETWORKS
        },
        "additionalProperties": False,
        "example": {"github": "https://github.com/ada", "mastodon": "https://mastodon.social/@ada"},
    }
)
class SocialLinksField(serializers.DictField):
    """{network: web address} for the networks of `SOCIAL_NETWORKS`; an empty address removes that link."""

    default_error_messages = {
        "unknown_network": _("Not a network we link to; use one of: {known}."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "child",
            serializers.URLField(allow_blank=True, max_length=SOCIAL_LINK_MAX_LENGTH, validators=[WEB_ADDRESS]),
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if isinstance(data, dict):
            unknown = [str(network)[:40] for network in data if network not in SOCIAL_NETWORKS]
            if unknown:
                message = self.error_messages["unknown_network"].format(known=", ".join(SOCIAL_NETWORKS))
                raise serializers.ValidationError({network: [message] for network in unknown})
            untrimmed = {
                network: problems
                for network, address in data.items()
                if isinstance(address, str) and (problems := untrimmed_text_errors(self.child, address))
            }
            if untrimmed:
                raise serializers.ValidationError(untrimmed)
        return super().to_internal_value(data)


# --- auth -------------------------------------------------------------------------------------


def _password_rule() -> str:
    # The rule the shop checks (AUTH_PASSWORD_VALIDATORS), in the validators' own words.
    return " ".join(str(text) for text in password_validators_help_texts())


class RegisterSerializer(StrictJSONTypesMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=lazy(_password_rule, str)(),
    )
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "phone_number", "created_at"]
        read_only_fields = fields


class TokenObtainSerializer(StrictJSONTypesMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=_("The account's password, exactly as set (spaces included)."),
    )


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text=_("Send as `Authorization: Bearer <access>`; short-lived."))
    refresh = serializers.CharField(
        help_text=_("Exchange at `auth/token/refresh/` for a new pair; each refresh token works once.")
    )


class RefreshSerializer(StrictJSONTypesMixin, serializers.Serializer):
    refresh = serializers.CharField()


# --- me ---------------------------------------------------------------------------------------


class MeSerializer(StrictJSONTypesMixin, serializers.Serializer):
    """The signed-in user with the public profile. Email is changed elsewhere, never here."""

    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    display_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    bio = serializers.CharField(required=False, allow_blank=True, max_length=BIO_MAX_LENGTH)
    # The profile's columns hold at most 200 characters (models.URLField). WEB_ADDRESS is a plain
    # http(s) address that Django's URL check also accepts, and it is what the schema shows.
    website = serializers.URLField(required=False, allow_blank=True, max_length=200, validators=[WEB_ADDRESS])
    avatar_url = serializers.URLField(required=False, allow_blank=True, max_length=200, validators=[WEB_ADDRESS])
    social_links = SocialLinksField(
        required=False,
        help_text=_(
            "Links to your profiles elsewhere: an object of network to http(s) address. A PATCH with "
            "`social_links` replaces all of them; an empty address removes that link."
        ),
    )
    is_customer = serializers.BooleanField(read_only=True)
    seller_status = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("`under_review`, `active`, `suspended`, `inactive`, or null.")
    )
    created_at = serializers.DateTimeField(read_only=True)


# --- addresses, preferences, sessions ---------------------------------------------------------


class AddressSerializer(StrictJSONTypesMixin, serializers.ModelSerializer):
    """An address. Which one is primary changes through `make-primary/`, not by editing."""

    class Meta:
        model = Address
        fields = ["id", *ADDRESS_EDITABLE_FIELDS, "is_primary", "created_at", "updated_at"]
        read_only_fields = ["id", "is_primary", "created_at", "updated_at"]


class AddressCreateSerializer(StrictJSONTypesMixin, serializers.ModelSerializer):
    is_primary = serializers.BooleanField(
        default=False, help_text=_("Make it the primary address. The first address is primary anyway.")
    )

    class Meta:
        model = Address
        fields = [*ADDRESS_EDITABLE_FIELDS, "is_primary"]


class PreferencesSerializer(StrictJSONTypesMixin, serializers.ModelSerializer):
    class Meta:
        model = UserPreferences
        fields = [*PREFERENCES_EDITABLE_FIELDS, "updated_at"]
        read_only_fields = ["updated_at"]
        # Preferences never changed are shown with their defaults and no date.
        extra_kwargs = {"updated_at": {"allow_null": True}}


class UserSessionSerializer(serializers.ModelSerializer):
    is_current = serializers.SerializerMethodField(help_text=_("True for the browser session making this request."))

    class Meta:
        model = UserSession
        fields = ["id", "kind", "user_agent", "ip_address", "created_at", "last_active_at", "expires_at", "is_current"]
        read_only_fields = fields

    def get_is_current(self, sign_in: UserSession) -> bool:
        current = self.context.get("current_session_key")
        return bool(current and sign_in.session_key == current)


class NotificationSerializer(serializers.ModelSerializer):
    """One of the user's in-app notifications (the outbox row of channel `in_app`)."""

    title = serializers.SerializerMethodField(
        help_text=_("The subject line; the kind's name until the text is written (status `pending`).")
    )
    link = serializers.SerializerMethodField(help_text=_("The page it is about, e.g. /orders/12/; null if none."))
    about_type = serializers.SerializerMethodField(help_text=_("What it is about, e.g. `order`; null if nothing."))
    about_id = serializers.IntegerField(source="subject_id", read_only=True, allow_null=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "channel",
            "status",
            "created_at",
            "sent_at",
            "read_at",
            "is_read",
            "link",
            "about_type",
            "about_id",
        ]
        read_only_fields = fields

    def get_title(self, notification: Notification) -> str:
        return inbox.notification_headline(notification)

    def get_link(self, notification: Notification) -> str | None:
        return inbox.notification_link(notification)

    def get_about_type(self, notification: Notification) -> str | None:
        about = notification.subject_type
        return about.model if about is not None else None

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationListQuerySerializer(serializers.Serializer):
    unread = serializers.ChoiceField(
        choices=["true", "false"], required=False, help_text=_("true: only unread ones; false: only read ones.")
    )


class NotificationsMarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("How many notifications were unread and are now read."))
