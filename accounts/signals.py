"""Record browser sign-ins and sign-outs as `UserSession` rows."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from common.http import client_meta

from . import services


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
