from typing import Any

from django import template

from accounts.models import User

from ..wishlist_selectors import wishlist_choices_kept

register = template.Library()


def wishlist_choices_for(user: Any) -> list[tuple[int, str, bool]]:
    """The signed-in customer's lists for the "Add to wishlist" form (none for anyone else): the
    Jinja2 form's `wishlist_choices(user)` and the `{% wishlist_choices %}` tag."""
    if not isinstance(user, User):
        return []
    return wishlist_choices_kept(user=user)


@register.simple_tag(takes_context=True)
def wishlist_choices(context: dict[str, Any]) -> list[tuple[int, str, bool]]:
    return wishlist_choices_for(context.get("user"))
