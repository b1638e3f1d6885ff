"""Page forms. They check the shape of the input; the rules (a taken email, a weak password, one
primary address) live in the services, whose `FieldError`s the views put back on these forms.
"""

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError

from .exceptions import FieldError
from .models import Address, Seller, User, UserPreferences, UserProfile
from .services import ADDRESS_EDITABLE_FIELDS
from .validators import SOCIAL_LINK_MAX_LENGTH, SOCIAL_NETWORKS, SOCIAL_URL_MESSAGE, validate_social_url


def _model_field(model: Any, name: str, **overrides: Any) -> forms.Field:
    """The form field for a model field, with its label, length limit and choices."""
    field = model._meta.get_field(name).formfield(**overrides)
    assert field is not None
    return field


class ServiceErrorsMixin:
    """Put a service's error back on the form: under its field when the form has one."""

    # Service field name -> this form's field name (e.g. "password" -> "password1").
    service_fields: dict[str, str] = {}

    def add_service_error(self, exc: DomainError) -> None:
        form: forms.Form = self  # type: ignore[assignment]  # mixin: only mixed into forms
        if not isinstance(exc, FieldError):
            form.add_error(None, str(exc.message))
            return
        for name, messages in exc.fields.items():
            target = self.service_fields.get(name, name)
            form.add_error(target if target in form.fields else None, messages)


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form with the email as the login. The field keeps Django's name
    `username`, which `LoginView` and django-axes read."""

    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        "invalid_login": _("That email and password do not match an account. Check both and try again."),
        "inactive": _("This account is inactive."),
    }


class PasswordPairMixin:
    """Two password boxes that must match. Strength is also checked here, so a visitor sees
    every problem at once; the service checks it again (the rule's home)."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]  # mixin: the Form after it in the MRO defines clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords do not match."))  # type: ignore[attr-defined]  # mixin: the Form has add_error()
        elif first:
            candidate = User(
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, user=candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)  # type: ignore[attr-defined]  # mixin: the Form has add_error()
        return cleaned


def _password_fields() -> tuple[forms.CharField, forms.CharField]:
    return (
        forms.CharField(
            label=_("Password"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            help_text=_("At least 10 characters; not a common password and not only digits."),
        ),
        forms.CharField(
            label=_("Password again"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        ),
    )


class SignUpForm(ServiceErrorsMixin, PasswordPairMixin, forms.Form):
    service_fields = {"password": "password1"}

    email = forms.EmailField(label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = _model_field(
        User, "first_name", required=True, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = _model_field(
        User, "last_name", required=True, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password1, password2 = _password_fields()


class SellerApplyForm(ServiceErrorsMixin, PasswordPairMixin, forms.Form):
    """A seller application; with `new_account` it also creates the account (for visitors)."""

    service_fields = {"password": "password1"}
    account_fields = ("email", "first_name", "last_name", "password1", "password2")

    email = forms.EmailField(label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = _model_field(User, "first_name", required=True)
    last_name = _model_field(User, "last_name", required=True)
    password1, password2 = _password_fields()
    business_name = _model_field(
        Seller, "business_name", widget=forms.TextInput(attrs={"autocomplete": "organization"})
    )
    business_registration_number = _model_field(Seller, "business_registration_number")
    contact_person_name = _model_field(Seller, "contact_person_name")
    contact_person_phone = _model_field(Seller, "contact_person_phone", widget=forms.TextInput(attrs={"type": "tel"}))

    def __init__(self, *args: Any, new_account: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new_account = new_account
        if not new_account:
            for name in self.account_fields:
                del self.fields[name]

    def account_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.account_fields if name in self.fields]

    def business_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.account_fields]


class SocialURLField(forms.URLField):
    """A web address of a social profile: http or https only (`validators.validate_social_url`)."""

    default_validators = [validate_social_url]
    # The field puts its own message on an "invalid" error; this one says what is wanted.
    default_error_messages = {"invalid": SOCIAL_URL_MESSAGE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", SOCIAL_LINK_MAX_LENGTH)
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


def _social_field_name(network: str) -> str:
    return f"social_{network}"


class ProfileForm(ServiceErrorsMixin, forms.Form):
    """The profile, with one box per social network (`social_<network>`); they are sent to the
    service together as `social_links`, so clearing a box removes that link. A service error about
    the links (its message names the network) is shown above the form."""

    first_name = _model_field(User, "first_name", widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = _model_field(User, "last_name", widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    phone_number = _model_field(User, "phone_number", widget=forms.TextInput(attrs={"type": "tel"}))
    display_name = _model_field(
        UserProfile, "display_name", help_text=_("Shown with your reviews. Must be unique; leave empty to use none.")
    )
    bio = _model_field(UserProfile, "bio", widget=forms.Textarea(attrs={"rows": 3}))
    website = _model_field(UserProfile, "website", assume_scheme="https")
    avatar_url = _model_field(UserProfile, "avatar_url", assume_scheme="https")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for network, label in SOCIAL_NETWORKS.items():
            self.fields[_social_field_name(network)] = SocialURLField(
                label=label, widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "url"})
            )

    @staticmethod
    def social_initial(links: dict[str, str]) -> dict[str, str]:
        """Initial values of the social boxes for the stored `links`."""
        return {_social_field_name(network): url for network, url in links.items() if network in SOCIAL_NETWORKS}

    def profile_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("social_")]

    def social_bound_fields(self) -> list[forms.BoundField]:
        return [self[_social_field_name(network)] for network in SOCIAL_NETWORKS]

    def profile_data(self) -> dict[str, Any]:
        """The cleaned input as the service takes it: the boxes filled in become `social_links`."""
        data = {name: value for name, value in self.cleaned_data.items() if not name.startswith("social_")}
        data["social_links"] = {
            network: url for network in SOCIAL_NETWORKS if (url := self.cleaned_data.get(_social_field_name(network)))
        }
        return data


class AddressForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Address
        fields = list(ADDRESS_EDITABLE_FIELDS)
        labels = {
            "address_type": _("Type"),
            "recipient_name": _("Recipient"),
            "street_address": _("Street address"),
            "street_address_line2": _("Street address, line 2"),
        }
        widgets = {
            "recipient_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "street_address": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "street_address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "state": forms.TextInput(attrs={"autocomplete": "address-level1"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "country": forms.TextInput(attrs={"autocomplete": "country-name"}),
        }

    def address_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AddressCreateForm(AddressForm):
    is_primary = forms.BooleanField(label=_("Use as my primary address"), required=False)


class PreferencesForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = UserPreferences
        fields = [
            "language",
            "currency",
            "theme",
            "date_format",
            "time_format",
            "privacy_level",
            "email_notifications",
            "push_notifications",
            "marketing_emails",
            "personalization_enabled",
        ]
        labels = {
            "language": _("Language"),
            "currency": _("Currency"),
            "theme": _("Theme"),
            "date_format": _("Date format"),
            "time_format": _("Time format"),
            "privacy_level": _("Privacy"),
            "email_notifications": _("Email me optional updates about my orders"),
            "push_notifications": _("Send push notifications to my devices"),
            "marketing_emails": _("Email me offers and news"),
            "personalization_enabled": _("Personalise recommendations"),
        }
        help_texts = {
            # common.outbox: transactional e-mails ignore the preferences (orders/notifications.py).
            "email_notifications": _(
                "Confirmations, shipping, delivery, cancellations, returns, issues and refunds are always "
                "e-mailed, and always listed under Notifications in your account."
            ),
        }
