"""The shop's session store: Django's cached_db (Redis first, the database on a miss, written to
both), with one round trip less on a signed-in page.

A signed-in GET reads the session, then the generations of the user's kept values (the user, the
cart count, the coupons: `common.public_cache.customer_value`), two Redis round trips in a row.
Once this worker has loaded a session, it knows whose it is, and the session comes in the same
read as its user's generation and those every page reads (`generations_current_and`). Which user
a session belongs to is only the hint of what to fetch with it: the session read is the same
key, the same data, and the user is read from it as before; a wrong or stale hint costs the
second round trip, nothing else.

`SESSION_ENGINE = "accounts.sessions"` (config/settings/base.py).
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.core.cache import DEFAULT_CACHE_ALIAS

from common.memo import BoundedMemo
from common.public_cache import customer_scope, generations_current_and

# Session key -> the user id it held when this worker last loaded it (a hint lost costs a round
# trip, never a wrong answer).
_USER_OF_SESSION: BoundedMemo[str, int] = BoundedMemo(limit=20_000)


class SessionStore(CachedDBStore):
    # Django's stores have these; its type stubs do not.
    _cache: Any
    _get_session_from_db: Callable[[], Any]

    def load(self) -> dict[str, Any]:
        # Django's cached_db load, with the cache read below.
        data = self._cached_data()
        if data is None:
            stored = self._get_session_from_db()
            if stored:
                data = self.decode(stored.session_data)
                self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
            else:
                data = {}
        self._remember_user(data)
        return data

    def _cached_data(self) -> dict[str, Any] | None:
        key = self.cache_key
        user_id = _USER_OF_SESSION.get(self.session_key or "")
        if user_id is not None and settings.SESSION_CACHE_ALIAS == DEFAULT_CACHE_ALIAS:  # the generations' cache
            values = generations_current_and([customer_scope(user_id)], [key])
            if values is not None:
                found: dict[str, Any] | None = values.get(key)
                return found
        try:
            found = self._cache.get(key)
            return found
        except Exception:  # noqa: BLE001 - as Django's: a key the cache refuses resets the session
            return None

    def _remember_user(self, data: dict[str, Any]) -> None:
        key, user_id = self.session_key, str(data.get(SESSION_KEY, ""))
        if not key or not user_id.isdigit():
            return
        _USER_OF_SESSION.keep(key, int(user_id))
