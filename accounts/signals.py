"""Record browser sign-ins and sign-outs as `UserSession` rows; forget the kept request user
whenever its row or its seller row changes, and the kept primary address whenever an address
row changes."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.http import client_meta
from common.public_cache import customer_bump

from . import services
from .models import Address, Seller, User


@receiver(user_logged_in)
def _record_web_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:  # an API token sign-in: recorded by the token view instead
        return
    if not session.session_key:
        session.save()
    services.user_session_start_web(user=user, session_key=session.session_key, **client_meta(request))


@receiver(user_logged_out)
def _record_web_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        services.user_session_close_by_key(session_key=session_key)


# --- the kept request user (accounts.selectors.user_for_request) -------------------------------
# Every save or delete of a user or of its seller profile (services, admin, shell, a password
# reset, `update_last_login`) makes the next request load the user again, after commit: a new
# password (the session's auth hash, the token's password digest), a deactivation or a soft
# deletion signs out at the next request; becoming a seller shows in the account menu. Queryset
# `.update()` sends no signal: code that updates these rows so must call `customer_bump` itself.


@receiver(post_save, sender=User, dispatch_uid="accounts_user_saved_bump")
@receiver(post_delete, sender=User, dispatch_uid="accounts_user_deleted_bump")
def _user_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    if instance.pk is not None:
        customer_bump(instance.pk)


@receiver(post_save, sender=Seller, dispatch_uid="accounts_seller_saved_bump")
@receiver(post_delete, sender=Seller, dispatch_uid="accounts_seller_deleted_bump")
def _seller_changed(sender: Any, instance: Seller, **kwargs: Any) -> None:
    if instance.user_id is not None:
        customer_bump(instance.user_id)


# --- the kept primary address (accounts.selectors.address_primary_kept) -----------------------
# Every save or delete of an address (the address services, a user's deletion cascading to their
# addresses, demo data, the shell) makes the customer's next cart page read it again, after
# commit. The services' queryset `.update()` calls `customer_bump` itself.


@receiver(post_save, sender=Address, dispatch_uid="accounts_address_saved_bump")
@receiver(post_delete, sender=Address, dispatch_uid="accounts_address_deleted_bump")
def _address_changed(sender: Any, instance: Address, **kwargs: Any) -> None:
    if instance.user_id is not None:
        customer_bump(instance.user_id)
