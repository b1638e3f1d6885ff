"""Whole responses of public pages and endpoints, kept while the data behind them is unchanged.

A response is stored with the current *generation* of every scope it shows ("catalog",
"product:42") and served only while they are current. A write bumps the generations of what it
changed, right after its commit, so the next read misses and renders fresh: pages stay live
(stock, prices) without finding and deleting entries. A hit costs one Redis round trip (the
generations, one read) and is served from the worker's own memory when it rendered or fetched
that entry before, else from Redis, in that same read (the entry's key does not hold the
generations, so it is known before they are read). The store, on the way out, waits for no reply.

Only what is the same for every visitor is served or stored:

- requests: GET or HEAD, no session cookie, no `Authorization` header, no pending messages (an
  anonymous visitor without a session; signed-in customers always get a live page);
- the key: the absolute URL, the active language (chosen from `Accept-Language` or the language
  cookie), `Accept`, and htmx's `HX-Request` and `HX-Target`. A JSON client and a browser asking
  for the same API URL never share an answer;
- responses: stored only once they are *final*, by `PublicCacheMiddleware`, outermost in
  `MIDDLEWARE`, after every middleware that may set a cookie or add `Vary: Cookie` has run. An
  answer is stored when it is a 200, sets or deletes no cookie, did not hand out a CSRF token
  (the browsable API's HTML and every form do: the token derives from the visitor's CSRF
  cookie), did not change the session nor read one the visitor sent, and varies on nothing the
  key does not cover (`Vary: Cookie` only as the session or CSRF middleware add it, whose causes
  are checked above; the view's own answer must not vary on `Cookie`).

What is stored is the view's own answer (body and its own headers: type, caching, `Vary`); the
middleware adds the rest (security headers, CSP, gzip for clients that accept it) to every
answer, served from the cache or not.

Entries also expire after `PUBLIC_CACHE_SECONDS`, which bounds how stale a page can be if a bump
was lost (Redis away at the moment of a commit). When Redis does not answer, nothing is served
from or stored in the cache: the page renders from the database.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import logging
import pickle  # nosec B403 - values of the shop's own cache (UnpickledWhenUsed)
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from common.memo import BoundedMemo

logger = logging.getLogger(__name__)

GENERATION_PREFIX = "gen:"
ENTRY_PREFIX = "public:"
# The header a cached answer carries, so a reader (or a benchmark) can tell a hit from a render.
HIT_HEADER = "X-Public-Cache"
# What the entry key covers besides the URL, as named in `Vary`. Accept-Language through the
# active language (LocaleMiddleware reads it, or the language cookie). An answer that varies on
# anything else is not stored.
KEYED_HEADERS = frozenset({"accept", "accept-language", "hx-request", "hx-target"})
# The answer a view rendered, waiting on the request for the final response to say it may be kept.
_PENDING = "_public_cache_pending"

ScopesOf = Callable[..., Sequence[str]]


def _local() -> Any:
    # The worker's own memory (locmem): a hit found here costs no second round trip to Redis.
    return caches["public_local"]


def _generation_key(scope: str) -> str:
    return f"{GENERATION_PREFIX}{scope}"


# --- generations -------------------------------------------------------------------------------


# The generations one GET request has read, so the parts of one page (the public cache, each
# shared value and fragment) cost one Redis round trip per scope, not one each. Set by
# PublicCacheMiddleware for GET and HEAD only; emptied by every bump in this process.
_request_generations: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "public_cache_request_generations", default=None
)


# Scopes most pages read (the catalogue's, pricing, coupon terms), registered by their apps with
# `generations_prefetch`: a request's first generations read fetches them along with what it
# asked for, so a page pays one round trip for all of them instead of one per group.
_prefetched_scopes: set[str] = set()


def generations_prefetch(*scopes: str) -> None:
    """Read these scopes' generations with the first read of every GET request (module level,
    beside the scope's name: `generations_prefetch(CATALOG, SHARED)`)."""
    _prefetched_scopes.update(scopes)


# Scopes the request in progress will read later (`generations_expect`), fetched with its first read.
_request_expected: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "public_cache_request_expected", default=None
)


# Kept values (`shared_value`) the request in progress will read, by Redis key: `_EXPECTED` until
# its first generations read, which brings them along; then what that read found (None: missing).
# Set by PublicCacheMiddleware for GET and HEAD only.
_request_values: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "public_cache_request_values", default=None
)
_EXPECTED = object()


def shared_value_expect(scopes: Sequence[str], name: str) -> None:
    """This GET request will ask `shared_value(scopes, name, …)`: bring the value kept in Redis with
    its first generations read, so a value another worker computed costs no round trip of its own
    (a product's page and API answer). Call it before that read (a view's `expect_reads`, see
    PublicCacheMiddleware.process_view), with `generations_expect(scopes)`."""
    _expect_value(_shared_key(scopes, name))


def _expect_value(key: str) -> None:
    values = _request_values.get()
    if values is not None:
        values.setdefault(key, _EXPECTED)


def _values_expected() -> list[str]:
    values = _request_values.get()
    return [key for key, value in values.items() if value is _EXPECTED] if values else []


def _values_found(keys: Sequence[str], found: dict[str, Any]) -> None:
    values = _request_values.get()
    if values is not None:
        values.update((key, found.get(key)) for key in keys)


# Scopes whose generation this GET request started (none before it): nothing is stored under them.
_request_started: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "public_cache_request_started", default=None
)


def generations_started_now(scopes: Iterable[str]) -> bool:
    """True when this GET request started one of these scopes' generations (it had none): nothing
    can be kept under them yet, so looking for it would be a round trip for a certain miss (every
    product's first visit after a restart). False when not known."""
    started = _request_started.get()
    return started is not None and not started.isdisjoint(scopes)


def generations_expect(scopes: Iterable[str]) -> None:
    """This GET request will read these scopes' generations later: bring them with its first read
    (a view knows its object before authentication reads the user's generation, say)."""
    expected = _request_expected.get()
    if expected is not None:
        expected.update(scopes)


def generations_current(scopes: Sequence[str]) -> dict[str, int] | None:
    """The generation of each scope, starting missing ones; None when Redis does not answer."""
    memo = _request_generations.get()
    if memo is not None and all(scope in memo for scope in scopes):
        return {scope: memo[scope] for scope in scopes}
    wanted = list(scopes)
    value_keys: list[str] = []
    if memo is not None:
        also = _prefetched_scopes.union(_request_expected.get() or ())
        wanted += sorted(also.difference(scopes, memo))
        value_keys = _values_expected()
    read = _generations_and_values_read(wanted, value_keys)
    if read is None:
        return None
    found_now, values = read
    if memo is not None:
        memo.update(found_now)
        _values_found(value_keys, values)
    return {scope: found_now[scope] for scope in scopes}


def generations_current_and(scopes: Sequence[str], keys: Sequence[str]) -> dict[str, Any] | None:
    """The values of these cache keys (a key not in the cache is not in the answer), read in the
    same round trip as the request's first generations read, which brings these scopes' with the
    scopes every page reads: a signed-in page's session comes with its user's generation. None
    when that first read is done already or the request is not a GET (there is nothing to share
    a round trip with), or when Redis does not answer: the caller reads its keys itself."""
    memo = _request_generations.get()
    if memo is None or memo:
        return None
    also = _prefetched_scopes.union(_request_expected.get() or ())
    expected_values = _values_expected()
    read = _generations_and_values_read([*scopes, *sorted(also.difference(scopes))], [*keys, *expected_values])
    if read is None:
        return None
    found, values = read
    memo.update(found)
    _values_found(expected_values, values)
    return values


def _generations_read(scopes: Sequence[str]) -> dict[str, int] | None:
    read = _generations_and_values_read(scopes, ())
    return None if read is None else read[0]


def _generations_and_values_read(
    scopes: Sequence[str], value_keys: Sequence[str]
) -> tuple[dict[str, int], dict[str, Any]] | None:
    keys = [_generation_key(scope) for scope in scopes]
    redis_client = getattr(getattr(cache, "client", None), "get_client", None)
    if redis_client is None:  # another cache backend (a development machine without Redis)
        return _generations_and_values_read_one_by_one(scopes, keys, value_keys)
    client = cache.client  # type: ignore[attr-defined]  # django-redis' client
    try:
        raw_generations, raw_values, started = _READ_STARTING_MISSING(
            keys=[client.make_key(key) for key in (*keys, *value_keys)],
            args=[len(keys), time.time_ns()],
            client=redis_client(write=True),
        )
    except (RedisConnectionError, RedisTimeoutError):
        return None  # Redis is away: fail open, as django-redis does
    _note_started(keys[position - 1] for position in started)
    values = {key: client.decode(raw) for key, raw in zip(value_keys, raw_values, strict=True) if raw is not None}
    return {scope: int(raw) for scope, raw in zip(scopes, raw_generations, strict=True)}, values


# One read of generations and values, in one round trip. A generation never read before (a
# product's first visit, or every scope after Redis lost its data) starts at ARGV[2], a value no
# earlier generation had, so an entry stored before can never be mistaken for current; a script
# runs whole, so no other worker starts it between the read and the start. Answers the
# generations, the values (nil where missing) and the positions of the generations it started.
# (It was a read and, for missing generations, a second round trip to start them: every
# anonymous first visit of a product after a restart paid both.)
_READ_STARTING_MISSING_LUA = """
local count = tonumber(ARGV[1])
local found = redis.call('MGET', unpack(KEYS))
local generations, values, started = {}, {}, {}
for i = 1, #KEYS do
  if i <= count then
    if not found[i] then
      redis.call('SET', KEYS[i], ARGV[2])
      found[i] = ARGV[2]
      started[#started + 1] = i
    end
    generations[i] = found[i]
  else
    values[i - count] = found[i]
  end
end
return {generations, values, started}
"""


class _Script:
    """A Lua script run by its SHA1 (EVALSHA), loaded first where the server lacks it (a restart,
    SCRIPT FLUSH). redis-py's `Script` does the same with more work per call, on every request."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    def __call__(self, *, keys: list[Any], args: list[Any], client: Any) -> Any:
        try:
            return client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            client.script_load(self.source)
            return client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)


_READ_STARTING_MISSING = _Script(_READ_STARTING_MISSING_LUA)


def _generations_and_values_read_one_by_one(
    scopes: Sequence[str], keys: list[str], value_keys: Sequence[str]
) -> tuple[dict[str, int], dict[str, Any]] | None:
    found = cache.get_many([*keys, *value_keys])
    values = {key: found.pop(key) for key in value_keys if key in found}
    missing = [key for key in keys if key not in found]
    if missing:
        started = _generations_start_one_by_one(missing, time.time_ns())
        if started is None:
            return None
        found.update(started)
    return {scope: int(found[_generation_key(scope)]) for scope in scopes}, values


def _note_started(keys: Iterable[str]) -> None:
    started = _request_started.get()
    if started is not None:
        started.update(key.removeprefix(GENERATION_PREFIX) for key in keys)


def _generations_start_one_by_one(keys: list[str], value: int) -> dict[str, int] | None:
    started: dict[str, int] = {}
    for key in keys:
        added = cache.add(key, value, timeout=None)
        found = value if added else cache.get(key)  # not added: another worker started it first
        if found is None:
            return None
        started[key] = int(found)
        if added:
            _note_started([key])
    return started


def _bump_now(scopes: Iterable[str]) -> None:
    memo = _request_generations.get()
    if memo:
        memo.clear()
    for scope in set(scopes):
        key = _generation_key(scope)
        try:
            cache.incr(key)
        except ValueError:  # never read yet: nothing can be cached under it
            cache.add(key, time.time_ns(), timeout=None)


def generations_bump(scopes: Iterable[str]) -> None:
    """Make every entry stored under these scopes stale, once the current transaction commits.

    Outside a transaction it happens at once. After commit, not before: a reader between the
    bump and the commit would otherwise store the old rows under the new generation.
    """
    scopes = list(scopes)
    if not scopes:
        return
    # robust: a cache outage must not turn a committed write into an error; the entries expire.
    transaction.on_commit(functools.partial(_bump_now, scopes), robust=True)


# --- the view decorator ---------------------------------------------------------------------------


def _shared_request(request: HttpRequest, *, everyone: bool) -> bool:
    """True when the answer to this request is the same for every visitor who sends it."""
    if request.method not in ("GET", "HEAD"):
        return False
    return everyone or (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _vary(response: HttpResponse) -> set[str]:
    return {name.strip().lower() for name in response.get("Vary", "").split(",") if name.strip()}


def _shareable_response(response: HttpResponse) -> bool:
    """The view's own answer could be shared: a rendered 200 that does not vary on the visitor."""
    if response.status_code != 200 or response.cookies or response.streaming:
        return False
    # Compression is the GZip middleware's, on the way out: the entry is the plain answer.
    return "cookie" not in _vary(response) and not response.has_header("Content-Encoding")


def _final_response_shareable(request: HttpRequest, response: HttpResponse, *, csrf_used: bool) -> bool:
    """The answer as it leaves the shop, after every middleware, is the same for every visitor."""
    if csrf_used or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False  # a token derived from this visitor's CSRF cookie may be in the body
    if response.status_code != 200 or response.streaming or response.cookies:
        return False  # a cookie set or deleted: the session, the CSRF token, messages
    session = getattr(request, "session", None)
    if session is not None and (
        session.modified or (session.accessed and settings.SESSION_COOKIE_NAME in request.COOKIES)
    ):
        return False  # the answer may show what this visitor's session holds
    # Cookie: added by the session middleware when an (empty, cookie-less) session was read, or
    # by the CSRF middleware with its cookie; both causes are ruled out above. Accept-Encoding:
    # added by the GZip middleware, which compresses the stored (uncompressed) answer per client.
    return _vary(response) <= KEYED_HEADERS | {"cookie", "accept-encoding"}


def _entry_key(request: HttpRequest) -> str:
    # The absolute URL: API pagination links name the host and scheme. The API answers JSON or
    # its HTML page by Accept. htmx requests get fragments, not pages. (KEYED_HEADERS) The URL as
    # build_absolute_uri() gives it for a path without "/./" or "/../", without its parsing and
    # re-quoting of what get_full_path() has quoted already (3% of an anonymous first visit).
    # Not the generations: an entry carries those it was rendered under, so its key is known
    # before they are read and the request's first read brings the entry along.
    parts = [
        f"{request.scheme}://{request.get_host()}{request.get_full_path()}",
        translation.get_language() or "",
        request.headers.get("Accept", ""),
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-Target", ""),
    ]
    return ENTRY_PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _response_from(entry: tuple[bytes, list[tuple[str, str]]]) -> HttpResponse:
    content, headers = entry
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    response[HIT_HEADER] = "hit"
    return response


def cache_public_response(scopes: ScopesOf, *, timeout: int | None = None, everyone: bool = False) -> Callable:
    """Decorate a view (function or `as_view()`): serve and store its shared answers.

    `scopes(request, **view_kwargs)` names what the answer shows. `timeout` (seconds) caps an
    entry's life below `PUBLIC_CACHE_SECONDS` for answers that also show data nobody bumps
    (new sales in popular products). `everyone`: the view never looks at who asks (no
    authentication at all), so signed-in requests may share the anonymous answer too.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not settings.PUBLIC_CACHE_ENABLED or not _shared_request(request, everyone=everyone):
                return view(request, *args, **kwargs)
            key = _entry_key(request)
            here = _local().get(key)  # (generations, answer) this worker kept, current or not
            if here is None:
                _expect_value(key)  # looked for in Redis with the generations, in one round trip
            generations = generations_current(scopes(request, **kwargs))
            if generations is None:
                return view(request, *args, **kwargs)
            stamp = tuple(sorted(generations.items()))
            entry = None if generations_started_now(generations) else _entry_kept(key, stamp, here, timeout)
            if entry is not None:
                return _response_from(entry)
            response = view(request, *args, **kwargs)
            render = getattr(response, "render", None)
            if callable(render) and not getattr(response, "is_rendered", True):
                render()  # DRF and template responses render lazily
            if _shareable_response(response):
                # The view's own headers (type, caching, Vary); middleware adds the rest on every
                # answer. PublicCacheMiddleware stores it once the final response allows it.
                csrf_used = bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
                kept = (stamp, (response.content, list(response.items())))
                setattr(request, _PENDING, _Pending(key, kept, _lifetime(timeout), csrf_used))
            return response

        return wrapped

    return decorator


def _entry_kept(key: str, stamp: tuple[Any, ...], here: Any, timeout: int | None) -> Any:
    """The answer kept under `key` for these generations (`stamp`): from this worker's memory
    (`here`), else from Redis (then kept here). An answer of other generations is stale."""
    if here is not None and here[0] == stamp:
        return here[1]
    found = _kept_in_redis(key)
    if found is None or found[0] != stamp:
        return None
    _local().set(key, found, _lifetime(timeout))
    return found[1]


def _lifetime(timeout: int | None) -> int:
    return min(timeout or settings.PUBLIC_CACHE_SECONDS, settings.PUBLIC_CACHE_SECONDS)


# --- storing, on the final response -------------------------------------------------------------


@dataclass(frozen=True)
class _Pending:
    key: str
    entry: tuple[tuple[Any, ...], tuple[bytes, list[tuple[str, str]]]]  # the generations, the answer
    lifetime: int
    csrf_used: bool


class PublicCacheMiddleware:
    """Store the answers `cache_public_response` rendered, once the final response allows it.

    First in `MIDDLEWARE`, so it sees the response after every other middleware: the CSRF
    middleware's cookie and `Vary: Cookie`, the session's, the messages'. Deciding inside the
    view missed them, and a page carrying one visitor's CSRF token was served to everyone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reading = request.method in ("GET", "HEAD")
        memo = _request_generations.set({} if reading else None)
        expected = _request_expected.set(set() if reading else None)
        started = _request_started.set(set() if reading else None)
        values = _request_values.set({} if reading else None)
        try:
            response = self.get_response(request)
        finally:
            _request_generations.reset(memo)
            _request_expected.reset(expected)
            _request_started.reset(started)
            _request_values.reset(values)
        pending: _Pending | None = getattr(request, _PENDING, None)
        if pending is not None and _final_response_shareable(request, response, csrf_used=pending.csrf_used):
            set_without_reply(pending.key, pending.entry, pending.lifetime)
            _local().set(pending.key, pending.entry, pending.lifetime)
            response[HIT_HEADER] = "miss"
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]
    ) -> None:
        """Let the view say what it will read (`expect_reads(request, **kwargs)` on its class:
        `generations_expect`, `shared_value_expect`) before anything reads: the first
        generations read of a GET, the session's for a signed-in page (UserFirstMiddleware's
        process_view comes after this one), then brings it all in one round trip."""
        expect = getattr(getattr(view, "view_class", None), "expect_reads", None)
        if expect is not None and _request_values.get() is not None:
            expect(request, **kwargs)


# --- shared parts of live pages ---------------------------------------------------------------------

_VALUE_PREFIX = "shared:"


def shared_value(
    scopes: Sequence[str],
    name: str,
    compute: Callable[[], Any],
    *,
    timeout: int | None = None,
    across_workers: bool = True,
) -> Any:
    """What `compute()` returns, kept while these scopes' generations are unchanged.

    For the part of a page every shopper shares (a product's rows, a listing page, the category
    tree), signed in or not, on any URL: the view asks for it by a `name` that says everything it
    depends on besides the scopes (the product id, the normalised filters and page number) and
    renders the per-customer parts (header, cart count, CSRF token, messages, forms) around it on
    every request. A write bumps the scopes after commit, so the next request computes again.
    The value must be picklable and must not hold anything of the visitor. A hit costs the
    generations' read and, when this worker has not seen the value yet, one GET.
    Without the public cache (tests, `PUBLIC_CACHE_ENABLED=False`) or Redis, it computes.

    `across_workers=False` keeps it in this worker's memory only: for a value that costs less to
    compute than Redis' GET and SET of a first read (one product's API answer: with 10,000
    products nearly every read is a first one), still kept for the worker's next reads of it.
    """
    if not settings.PUBLIC_CACHE_ENABLED:
        return compute()
    generations = generations_current(scopes)
    if generations is None:
        return compute()
    here = (name, *sorted(generations.items()))
    now = time.monotonic()
    kept = _kept_here.get(here)
    if kept is not None and kept[0] > now:
        return pickle.loads(kept[1])[0]  # noqa: S301  # nosec B301 - pickled by this worker or another, below
    lifetime = _lifetime(timeout)
    if across_workers:
        key = _shared_key(scopes, name)
        found = _kept_in_redis(key)
        if found is not None and found[0] == here[1:]:  # computed under the current generations
            _kept_here.keep(here, (now + lifetime, found[1]))
            return pickle.loads(found[1])[0]  # noqa: S301  # nosec B301 - the shop's own Redis
    value = compute()
    # Pickled once, in a tuple so a computed None is kept too: this worker keeps the pickle and
    # Redis keeps it beside the generations it was computed under.
    pickled = pickle.dumps((value,), pickle.HIGHEST_PROTOCOL)
    if across_workers:
        set_without_reply(key, (here[1:], pickled), lifetime)
    _kept_here.keep(here, (now + lifetime, pickled))
    return value


def _shared_key(scopes: Sequence[str], name: str) -> str:
    """A kept value's Redis key: one per name and scopes, whatever their generations. The value
    carries the generations it was computed under (`shared_value` uses it only when they are the
    current ones), so the key is known before the generations are read and the request's first
    read can bring it (`shared_value_expect`); a new generation's value takes the old one's place."""
    return _VALUE_PREFIX + hashlib.sha256("\n".join([name, *sorted(scopes)]).encode()).hexdigest()


def _kept_in_redis(key: str) -> Any:
    """What Redis keeps under `key`: from the request's first generations read when it brought it
    (`shared_value_expect`), else one GET."""
    values = _request_values.get()
    found = values.pop(key, _EXPECTED) if values else _EXPECTED
    return cache.get(key) if found is _EXPECTED else found


def set_without_reply(key: str, value: Any, timeout: int) -> None:
    """`cache.set(key, value, timeout)` without waiting for Redis' answer: the SET goes after
    `CLIENT REPLY SKIP`, both in one send, and Redis answers neither. For what a page stores on its
    way out (a public answer, a kept value), whose "OK" nobody reads: waiting for it cost a third
    of an anonymous product page's Redis CPU and a context switch. A store that fails is lost, as
    with `IGNORE_EXCEPTIONS`; the next request computes again."""
    client = getattr(cache, "client", None)
    if getattr(client, "get_client", None) is None:  # another cache backend (no Redis)
        cache.set(key, value, timeout)
        return
    assert client is not None
    pool = client.get_client(write=True).connection_pool
    packed = [("CLIENT", "REPLY", "SKIP"), ("SET", client.make_key(key), client.encode(value), "EX", timeout)]
    try:
        connection = pool.get_connection()
    except RedisError:
        return
    try:
        connection.send_packed_command(connection.pack_commands(packed))
    except RedisError:
        connection.disconnect()  # half a command may have gone out: this connection starts afresh
    finally:
        pool.release(connection)


# The values `shared_value` kept in this worker's memory, by name and generations: when they stop
# being current, and the value pickled, so every read gets its own copy. A plain dict read by a
# tuple: Django's local-memory cache cost a hashed key, a memcached-style check of every character
# of it, a lock and its expiry bookkeeping on each of the five kept values a signed-in page reads.
# At most 2,000 (a product API answer is 2 KB, a listing page's cards 10-30 KB).
_kept_here: BoundedMemo[tuple[Any, ...], tuple[float, bytes]] = BoundedMemo(2000)


class WorkerMemory(LocMemCache):
    """The worker's own memory of public answers (`CACHES["public_local"]`): Django's local-memory
    cache, whose `clear()` also forgets the values `shared_value` keeps beside it (tests and the
    benchmark start a worker cold that way)."""

    def clear(self) -> None:
        super().clear()
        _kept_here.clear()


def shared_fragment(scopes: Sequence[str], name: str, render: Callable[[], str], *, engine: str) -> str:
    """HTML every shopper sees the same (`{% shared %}` in Django's templates, `shared()` in
    Jinja2's), rendered once per generation of `scopes` under `name` and the active language; an
    empty name renders every time. `engine` keeps the two engines' renders of one name apart."""
    if not name:
        return render()
    key = f"fragment:{engine}:{name}:{translation.get_language() or ''}"
    html: str = shared_value(scopes, key, render)
    return html


class UnpickledWhenUsed(Sequence[Any]):
    """Rows inside a kept value, unpickled only when something reads them.

    Every read of a kept value unpickles a copy (Redis and the worker's memory both keep pickles).
    A listing page keeps its rows beside the rendered cards (`{% shared %}`), and on a hit only
    the count and page number are used: 24 products with their categories and images unpickled
    for nothing were a tenth of the page. Wrapped in this, they stay bytes until iterated or
    indexed; their number is known without them.
    """

    def __init__(self, rows: Iterable[Any]) -> None:
        self._rows: list[Any] | None = list(rows)
        self._pickled = b""
        self._count = len(self._rows)

    def __getstate__(self) -> dict[str, Any]:
        # Pickled once: a computed value is kept twice (Redis and the worker's memory).
        if not self._pickled:
            self._pickled = pickle.dumps(self._rows, pickle.HIGHEST_PROTOCOL)
        return {"pickled": self._pickled, "count": self._count}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._rows, self._pickled, self._count = None, state["pickled"], state["count"]

    def _loaded(self) -> list[Any]:
        if self._rows is None:
            self._rows = pickle.loads(self._pickled)  # noqa: S301  # nosec B301 - the shop's own cache, as every kept value
        return self._rows

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        return self._loaded()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._loaded())


# --- one customer's own values ----------------------------------------------------------------------

_CUSTOMER_SCOPE = "customer:{}"


def customer_scope(user_id: int) -> str:
    """The generation of everything one customer's pages show of their own (cart count, coupons)."""
    return _CUSTOMER_SCOPE.format(user_id)


def customer_value(user_id: int, name: str, compute: Callable[[], Any], *, scopes: Sequence[str] = ()) -> Any:
    """What `compute()` returns for this customer, kept until `customer_bump(user_id)` (or one of
    `scopes`, for what others change: staff pausing a coupon) says it changed.

    For the small per-customer parts every page of theirs shows (the header's cart count, the
    order form's coupons): one Redis round trip instead of a query. The key holds the customer's
    id and their own generation, so two customers never share a value. Whatever writes what
    `compute` reads must call `customer_bump` in its transaction (the cart and coupon services).
    """
    return shared_value([customer_scope(user_id), *scopes], f"{name}\ncustomer={user_id}", compute)


def customer_bump(user_id: int) -> None:
    """This customer's own values changed: recompute them on their next request (after commit)."""
    generations_bump([customer_scope(user_id)])
