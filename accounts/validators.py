"""Validators of account data that the model, the page form and the API share."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.utils.translation import gettext_lazy as _

# The networks a profile can link to, in the order the profile page shows them. Known keys only:
# that bounds how many links a profile holds, and every client can label them.
SOCIAL_NETWORKS: dict[str, Any] = {
    "facebook": _("Facebook"),
    "instagram": _("Instagram"),
    "x": _("X (Twitter)"),
    "linkedin": _("LinkedIn"),
    "youtube": _("YouTube"),
    "tiktok": _("TikTok"),
    "github": _("GitHub"),
    "mastodon": _("Mastodon"),
}
# As long as the profile's other web addresses (models.URLField).
SOCIAL_LINK_MAX_LENGTH = 200

SOCIAL_URL_MESSAGE = _("Enter a web address that starts with http:// or https://, such as https://example.com/me.")

# Only web pages: no javascript:, data: or ftp: links on a public profile.
validate_social_url = URLValidator(schemes=["http", "https"], message=SOCIAL_URL_MESSAGE)


def validate_social_links(value: Any) -> None:
    """`value` must be an object of known network -> http(s) address of at most 200 characters."""
    if not isinstance(value, Mapping):
        raise ValidationError(
            _('Send an object of network name to web address, such as {"github": "https://github.com/me"}.'),
            code="not_an_object",
        )
    errors: list[ValidationError] = []
    for network, url in value.items():
        label = SOCIAL_NETWORKS.get(network)
        if label is None:
            errors.append(
                ValidationError(
                    _("%(network)s is not a network we link to; use one of: %(known)s."),
                    code="unknown_network",
                    params={"network": repr(network)[:40], "known": ", ".join(SOCIAL_NETWORKS)},
                )
            )
            continue
        problem = _url_problem(url)
        if problem is not None:
            errors.append(
                ValidationError("%(label)s: %(problem)s", code="bad_link", params={"label": label, "problem": problem})
            )
    if errors:
        raise ValidationError(errors)


def _url_problem(url: Any) -> Any:
    """Why `url` is not an acceptable social link, or None."""
    if not isinstance(url, str) or not url:
        return SOCIAL_URL_MESSAGE
    if len(url) > SOCIAL_LINK_MAX_LENGTH:
        return _("Use at most %(max)d characters.") % {"max": SOCIAL_LINK_MAX_LENGTH}
    try:
        validate_social_url(url)
    except ValidationError:
        return SOCIAL_URL_MESSAGE
    return None


# A phone number as people write it: digits with spaces, dots, dashes, brackets and a leading +.
# One regular expression, so the API schema can state it (`pattern`) and clients can check it.
PHONE_PATTERN = r"^\+?[0-9][0-9 ().-]{3,30}$"

validate_phone = RegexValidator(
    PHONE_PATTERN, _("Enter a phone number such as +44 20 7946 0000."), code="invalid_phone"
)
