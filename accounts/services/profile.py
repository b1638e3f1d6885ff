"""The user's names and phone, the public profile, and the preferences."""

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from ..exceptions import DisplayNameTakenError
from ..models import User, UserPreferences, UserProfile
from ._common import _check_changes, _constraint_name, _validate_fields

USER_EDITABLE_FIELDS = frozenset({"first_name", "last_name", "phone_number"})
PROFILE_EDITABLE_FIELDS = frozenset({"display_name", "bio", "website", "avatar_url", "social_links"})
# In the order the API shows them; the serializer uses this list.
PREFERENCES_EDITABLE_FIELDS = (
    "language",
    "theme",
    "currency",
    "date_format",
    "time_format",
    "email_notifications",
    "push_notifications",
    "marketing_emails",
    "privacy_level",
    "personalization_enabled",
)


def _social_links(value: Any) -> Any:
    """Trimmed addresses; a network given an empty address is dropped (that is how a link is removed).

    Anything but an object is left as it is, for the model's validator to refuse.
    """
    if not isinstance(value, Mapping):
        return value
    links = {network: url.strip() if isinstance(url, str) else url for network, url in value.items()}
    return {network: url for network, url in links.items() if url not in ("", None)}


def profile_update(*, user: User, data: Mapping[str, Any]) -> User:
    """Change the user's names and phone and the public profile (display name, bio, links).

    Display names are unique, case-insensitively. `social_links` replaces all the links with a
    {network: http(s) address} object (see `validators.SOCIAL_NETWORKS`).
    Raises: DisplayNameTakenError, FieldError.
    """
    _check_changes(data, USER_EDITABLE_FIELDS | PROFILE_EDITABLE_FIELDS)
    user_changes = {k: v.strip() if isinstance(v, str) else v for k, v in data.items() if k in USER_EDITABLE_FIELDS}
    profile_changes = {
        k: v.strip() if isinstance(v, str) else v for k, v in data.items() if k in PROFILE_EDITABLE_FIELDS
    }
    if "social_links" in profile_changes:
        profile_changes["social_links"] = _social_links(profile_changes["social_links"])
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        profile, _created = UserProfile.objects.get_or_create(user=locked)
        for name, value in user_changes.items():
            setattr(locked, name, value)
        for name, value in profile_changes.items():
            setattr(profile, name, value)
        _validate_fields(locked, user_changes)
        _validate_fields(profile, profile_changes)
        display_name = profile.display_name
        if (
            "display_name" in profile_changes
            and display_name
            and UserProfile.objects.filter(display_name__iexact=display_name).exclude(user=locked).exists()
        ):
            raise DisplayNameTakenError()
        if user_changes:
            locked.save(update_fields=[*user_changes, "updated_at"])
        if profile_changes:
            try:
                with transaction.atomic():
                    profile.save(update_fields=[*profile_changes, "updated_at"])
            except IntegrityError as exc:
                if _constraint_name(exc) == "profile_display_name_unique_ci":
                    raise DisplayNameTakenError() from exc
                raise
    # The caller's object shows the change too (a page renders `request.user` afterwards).
    for name, value in user_changes.items():
        setattr(user, name, value)
    user.profile = profile
    return user


def preferences_update(*, user: User, data: Mapping[str, Any]) -> UserPreferences:
    """Change the user's preferences (created with the defaults when missing). Raises: FieldError."""
    _check_changes(data, PREFERENCES_EDITABLE_FIELDS)
    with transaction.atomic():
        preferences, _created = UserPreferences.objects.select_for_update().get_or_create(user=user)
        for name, value in data.items():
            setattr(preferences, name, value)
        _validate_fields(preferences, data)
        if data:
            preferences.save(update_fields=[*data, "updated_at"])
    return preferences
