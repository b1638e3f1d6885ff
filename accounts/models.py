"""Identity and actors (seed 003 *Actors*, seed 000 USERS).

One `User` row is the identity of everybody who signs in; being a customer, a seller or an
administrator is a role profile attached one-to-one. The source design repeats email, password and
names on each actor table and points addresses, sessions and preferences at three nullable actor
ids; here they point at the one `User`, which is the evident intent without the duplication.
"""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from common.models import TimeStampedModel, bounded_text_field
from common.money import currency_field

from .validators import validate_phone, validate_social_links

BIO_MAX_LENGTH = 2000


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Emails are stored lower-cased; sign-in is case-insensitive.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin, TimeStampedModel):
    """Everybody who signs in. Email is the login; passwords are hashed with Argon2."""

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    phone_number = models.CharField(_("phone number"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                violation_error_message=_("An account with this email address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def name(self) -> str:
        """Seed 000 USERS.name: the full name, or the email when no name was given."""
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Customer(TimeStampedModel):
    """A shopper's role profile (seed 003 customers)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer")
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("customer")

    def __str__(self) -> str:
        return str(self.user)


class SellerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    SUSPENDED = "suspended", _("Suspended")
    UNDER_REVIEW = "under_review", _("Under review")


# The only status changes a seller can go through; `seller_set_status` enforces them. A rejected
# or closed (inactive) seller goes back under review before selling again.
SELLER_TRANSITIONS: dict[str, frozenset[str]] = {
    SellerStatus.UNDER_REVIEW: frozenset({SellerStatus.ACTIVE, SellerStatus.INACTIVE}),
    SellerStatus.ACTIVE: frozenset({SellerStatus.SUSPENDED, SellerStatus.INACTIVE}),
    SellerStatus.SUSPENDED: frozenset({SellerStatus.ACTIVE, SellerStatus.INACTIVE}),
    SellerStatus.INACTIVE: frozenset({SellerStatus.UNDER_REVIEW}),
}


class Seller(TimeStampedModel):
    """A vendor's role profile (seed 003 sellers). New applications wait under review."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seller")
    business_name = models.CharField(_("business name"), max_length=200)
    # Unique whatever its case ("gb-123" is "GB-123"): the constraint in Meta, not unique=True.
    business_registration_number = models.CharField(_("business registration number"), max_length=64)
    contact_person_name = models.CharField(_("contact person"), max_length=150)
    contact_person_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    status = models.CharField(
        max_length=20, choices=SellerStatus.choices, default=SellerStatus.UNDER_REVIEW, db_index=True
    )
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("seller")
        constraints = [
            # Upper, as PostgreSQL's `iexact` compares: the service's look-up uses this index.
            models.UniqueConstraint(
                Upper("business_registration_number"),
                name="seller_registration_number_unique_ci",
                violation_error_message=_("A seller with this business registration number already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.business_name

    @property
    def is_active_seller(self) -> bool:
        return self.status == SellerStatus.ACTIVE


class Administrator(TimeStampedModel):
    """A staff member's role profile (seed 003 administrators); the user is `is_staff`."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="administrator")
    role = models.CharField(max_length=100)
    contact_phone = models.CharField(max_length=32, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("administrator")

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class UserProfile(TimeStampedModel):
    """Public profile shared by every role. `profile_picture_id` of the source is `avatar_url` here."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    bio = bounded_text_field(BIO_MAX_LENGTH, blank=True)
    website = models.URLField(blank=True)
    # {network: web address}, networks from `validators.SOCIAL_NETWORKS` (rows older than that hold []).
    social_links = models.JSONField(
        _("social media links"), default=dict, blank=True, validators=[validate_social_links]
    )
    avatar_url = models.URLField(_("avatar URL"), blank=True)

    class Meta:
        constraints = [
            # Display names are unique when set, case-insensitively.
            models.UniqueConstraint(
                Lower("display_name"),
                condition=~models.Q(display_name=""),
                name="profile_display_name_unique_ci",
                violation_error_message=_("This display name is already taken; choose another."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or str(self.user)


class AddressType(models.TextChoices):
    HOME = "home", _("Home")
    WORK = "work", _("Work")
    BILLING = "billing", _("Billing")
    SHIPPING = "shipping", _("Shipping")
    OTHER = "other", _("Other")


class Address(TimeStampedModel):
    """A postal address of a user; exactly one of a user's addresses is primary."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    address_type = models.CharField(max_length=16, choices=AddressType.choices, default=AddressType.HOME)
    recipient_name = models.CharField(max_length=150)
    street_address = models.CharField(max_length=255)
    street_address_line2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(_("state or province"), max_length=100, blank=True)
    postal_code = models.CharField(max_length=20)
    # An ISO 3166-1 alpha-2 code ("GB"): shipping rules and tax rates are keyed by it. Addresses
    # from before it was a code were mapped by migration 0007; one it could not map holds "" and
    # must be edited before checkout ships to it.
    country = CountryField()
    phone = models.CharField(
        _("phone"), max_length=32, blank=True, validators=[validate_phone], help_text=_("For the courier (optional).")
    )
    is_primary = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = _("addresses")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_primary=True),
                name="address_one_primary_per_user",
                violation_error_message=_("This user already has a primary address."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_name}, {self.street_address}, {self.city}"


class SessionKind(models.TextChoices):
    WEB = "web", _("Browser")
    API = "api", _("API (mobile)")


class UserSession(TimeStampedModel):
    """One row per sign-in, on the web or through the API.

    The source stores the JWT and refresh token themselves; storing a bearer secret in a table
    is a leak waiting to happen, so a row keeps the Django session key (web) or the refresh
    token's `jti` (API) instead: enough to end that sign-in, useless to a reader of the table.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_ins")
    kind = models.CharField(max_length=8, choices=SessionKind.choices)
    session_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    refresh_jti = models.CharField(_("refresh token id"), max_length=255, null=True, blank=True, unique=True)
    user_agent = models.CharField(max_length=512, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    last_active_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    is_active = models.BooleanField(default=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_active_at"]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} via {self.get_kind_display()} from {self.ip_address or '?'}"


class Theme(models.TextChoices):
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")
    SYSTEM = "system", _("Follow the system")


class TimeFormat(models.TextChoices):
    H12 = "12h", _("12-hour")
    H24 = "24h", _("24-hour")


class PrivacyLevel(models.TextChoices):
    PUBLIC = "public", _("Public")
    FRIENDS = "friends", _("Friends")
    PRIVATE = "private", _("Private")
    ANONYMOUS = "anonymous", _("Anonymous")


class UserPreferences(TimeStampedModel):
    """Personal settings of a signed-in user, or of a guest (then `user` is empty)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences", null=True, blank=True
    )
    language = models.CharField(max_length=16, default="en-US")
    theme = models.CharField(max_length=8, choices=Theme.choices, default=Theme.SYSTEM)
    currency = currency_field()
    date_format = models.CharField(max_length=16, default="YYYY-MM-DD")
    time_format = models.CharField(max_length=4, choices=TimeFormat.choices, default=TimeFormat.H24)
    email_notifications = models.BooleanField(default=True)
    push_notifications = models.BooleanField(default=False)
    marketing_emails = models.BooleanField(default=False)
    privacy_level = models.CharField(max_length=16, choices=PrivacyLevel.choices, default=PrivacyLevel.PRIVATE)
    personalization_enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"Preferences of {self.user or 'a guest'}"


class Guest(TimeStampedModel):
    """An anonymous shopper, keyed by the browser session it was first seen with."""

    session_key = models.CharField(max_length=40, unique=True)
    preferences = models.OneToOneField(
        UserPreferences, on_delete=models.SET_NULL, null=True, blank=True, related_name="guest"
    )
    last_active_at = models.DateTimeField(default=timezone.now)
    user_agent = models.CharField(max_length=512, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Guest {self.session_key[:8]}…"

    @property
    def session_duration(self) -> int:
        """Minutes between the first and the latest request (seed 003 session_duration)."""
        return int((self.last_active_at - self.created_at).total_seconds() // 60)
