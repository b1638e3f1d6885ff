"""Settings shared by every environment; each value comes from the environment (`.env.example`).

With no DATABASE_URL the shop runs on the embedded default: SQLite and in-process Celery tasks,
so `make run` shows the whole shop with one command. Tests and production use PostgreSQL and Redis.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdef")
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    # third party
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "csp",
    "axes",
    "django_countries",
    # ours, in dependency order (an app imports only from apps above it)
    "common",
    "accounts",
    "catalog",
    "inventory",
    "promotions",
    "carts",
    "payments",
    "orders",
    "backoffice",
]

MIDDLEWARE = [
    # Outermost: decides whether a public answer may be kept on the final response, after every
    # middleware below has set its cookies and Vary (common/public_cache.py).
    "common.public_cache.PublicCacheMiddleware",
    # Compresses the HTML and JSON answers, cache hits included, for clients that accept gzip.
    # The public cache stores the view's own uncompressed answer, so one entry serves every
    # client and its key needs no Accept-Encoding. Static files are WhiteNoise's, pre-compressed
    # (common/compression.py).
    "common.compression.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # private / no-store on personal answers; after WhiteNoise, so static files stay public.
    "common.middleware.CacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserFirstMiddleware",
    "accounts.middleware.UserSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "carts.context_processors.cart",
                "common.context_processors.notifications",
            ],
        },
    },
    {
        # The page frame, the busiest pages (the catalogue's), and the hot loops of others (a row
        # per order, per cart line) included in a Django template with {% jinja %}
        # (common/jinja_env.py, README "How pages are written fast").
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja_templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "config.jinja.environment",
            # What the Django engine's give the frame; the backend adds `request`.
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carts.context_processors.cart",
                "common.context_processors.notifications",
                "common.context_processors.csrf_once",
            ],
        },
    },
]


# --- Database -------------------------------------------------------------------------------
def database_from_url() -> dict[str, Any]:
    """The database DATABASE_URL names, with the shop's connection settings (production requires it)."""
    database: dict[str, Any] = env.db("DATABASE_URL")
    database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    # A restarted PostgreSQL costs errors only while it is down, not stale broken connections.
    database["CONN_HEALTH_CHECKS"] = True
    # Django's backend with a health check that asks the socket, not the server (common/postgresql).
    if database["ENGINE"] == "django.db.backends.postgresql":
        database["ENGINE"] = "common.postgresql"
    # The reads compiled once per worker (common/prepared.py) run as prepared statements, so
    # PostgreSQL plans each once per connection instead of on every page: planning was five
    # sixths of the product page's statement. Only those bind on the server; Django's own queries
    # bind on the client and are never prepared. Turn it off (DATABASE_PREPARED_STATEMENTS=false)
    # behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode < 1.21).
    if database["ENGINE"].endswith("postgresql") and env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        database.setdefault("OPTIONS", {})["prepare_threshold"] = 0
    # No JIT compilation: it pays off for long analytical queries, and the shop's are short. A
    # listing sorted by price crossed its cost threshold and spent 35 ms compiling a 45 ms query.
    if database["ENGINE"].endswith("postgresql") and not env.bool("DATABASE_JIT", default=False):
        database.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    return database


if env("DATABASE_URL", default=""):
    DATABASES = {"default": database_from_url()}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of
            # failing with "database is locked" halfway through a transaction.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
USES_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -----------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Redis answers in well under a millisecond; a call still unanswered after this is a Redis in
# trouble, and the request falls back as if Redis were down instead of waiting longer.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
# After one timeout, each process stops waiting on that Redis for this long (common/redis_breaker.py):
# cache reads and throttles fail open and task publishes fail at once, then one call probes.
REDIS_BREAKER_SECONDS = env.float("REDIS_BREAKER_SECONDS", default=30)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="shop"),
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                # The cache fails open: pages render from the database when Redis is away.
                "IGNORE_EXCEPTIONS": True,
                # Every connection goes by the process' circuit breaker for its server.
                "CONNECTION_POOL_CLASS": "common.redis_breaker.BreakerConnectionPool",
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    # Sessions are read from Redis on every signed-in request (the database only on a miss) and
    # written to both; ending a sign-in deletes both (accounts.services.sessions). Django's
    # cached_db, reading the session in the same round trip as its user's generation.
    SESSION_ENGINE = "accounts.sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Whole public answers (catalogue pages and API for anonymous readers), kept per worker in memory
# in front of Redis; see common/public_cache.py. Bounded by entries: an answer is 4-20 KB, so
# 5,000 (every product page of a mid-sized catalogue) take 20-100 MB per worker.
CACHES["public_local"] = {
    "BACKEND": "common.public_cache.WorkerMemory",  # Django's locmem; clearing it also clears kept values
    "LOCATION": "public-answers",
    "OPTIONS": {"MAX_ENTRIES": env.int("PUBLIC_CACHE_LOCAL_ENTRIES", default=5000)},
}
PUBLIC_CACHE_ENABLED = env.bool("PUBLIC_CACHE_ENABLED", default=True)
# The longest a public answer is kept; writes make it stale at once (generations), this only
# bounds a page whose bump was lost while Redis was away.
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=300)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL or "memory://"
# Without a broker (the embedded default) tasks run in-process, right after commit.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A worker killed mid-task must not lose it: acknowledge after the task ran, and give the task
# back to the broker when the worker process dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the longest task (the daily rollup), shorter than anyone would wait.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # A frozen Redis must not hang every request that enqueues.
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
}
# No publish retries: with a frozen Redis each retry waits out the socket timeout again (two
# retries made an order take 12.6 s), and nothing is lost without them: what must happen after
# commit is an outbox row that `common.tasks.notifications_resend_task` sends once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "daily-sales-rollup": {
        "task": "orders.tasks.sales_rollup_task",
        "schedule": crontab(hour=0, minute=5),
    },
    # Every notification the shop owes (the name is older than the shared outbox; kept, so the
    # database scheduler updates its row instead of keeping a second one).
    "resend-pending-order-notifications": {
        "task": "common.tasks.notifications_resend_task",
        "schedule": 60.0,
    },
    # Fulfilment: flag shipments past their estimated delivery (also `manage.py mark_overdue_shipments`).
    "mark-overdue-shipments": {
        "task": "orders.tasks.shipments_mark_overdue_task",
        "schedule": crontab(minute=15),
    },
    # Card orders: give back the stock of orders whose payment did not come in time.
    "release-expired-reservations": {
        "task": "orders.tasks.order_reservations_expire_task",
        "schedule": 60.0,
    },
    # Payments: ask the card processor again about calls that timed out (payments.services.card).
    "payments-retry-due": {
        "task": "payments.tasks.payments_retry_due_task",
        "schedule": 60.0,
    },
    # Refunds to a card whose task was lost (a broker down at commit) or gave up after timeouts.
    "resume-refunds": {
        "task": "payments.tasks.refunds_resume_task",
        "schedule": 300.0,
    },
    # Carts idle past CART_ABANDONED_AFTER_MINUTES: recorded, recovery e-mails queued (carts.abandonment).
    "detect-abandoned-carts": {
        "task": "carts.tasks.carts_abandoned_detect_task",
        "schedule": crontab(minute="*/15"),
    },
    # Saved carts past their expiry are removed (carts.saved).
    "expire-saved-carts": {
        "task": "carts.tasks.saved_carts_expire_task",
        "schedule": crontab(hour=3, minute=30),
    },
}
CELERY_TIMEZONE = "UTC"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend with the shop's one "can this user sign in" rule.
    "accounts.authentication.SignInBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:overview"
LOGOUT_REDIRECT_URL = "home"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# Who the client is: `common.http.client_address` (django-ipware) reads it, and the sign-in
# lockout, the API throttles and every recorded sign-in use that one helper. By default the peer
# address (REMOTE_ADDR): no client-supplied header is trusted. Behind a proxy, name the header it
# sets and how many proxies append to it (see the README, "Behind a proxy").
CLIENT_IP_HEADERS = env.list("CLIENT_IP_HEADERS", default=["REMOTE_ADDR"])
CLIENT_IP_PROXY_COUNT = env.int("NUM_PROXIES", default=0)

# Sign-in lockout (django-axes): failures are counted per email and, separately, per client
# address, so guessing one account's password and spraying one password over many accounts
# are both stopped; each count has its own limit (SIGNIN_FAILURE_LIMIT is the default of both).
# A successful sign-in or a password reset clears only that account's own failures
# (accounts.throttling.SignInLockoutHandler): never those an address made against other accounts.
SIGNIN_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=10)
SIGNIN_FAILURE_LIMIT_PER_ACCOUNT = env.int("SIGNIN_FAILURE_LIMIT_PER_ACCOUNT", default=SIGNIN_FAILURE_LIMIT)
SIGNIN_FAILURE_LIMIT_PER_ADDRESS = env.int("SIGNIN_FAILURE_LIMIT_PER_ADDRESS", default=SIGNIN_FAILURE_LIMIT)
AXES_HANDLER = "accounts.throttling.SignInLockoutHandler"
# Axes compares its failure figure with this; the handler scales the per-address count onto it.
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMIT_PER_ACCOUNT
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "accounts.throttling.signin_username"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "common.http.client_address"
# Off: axes' reset clears every failure of the address, other accounts' too (issue 10 #1).
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.SignInJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "common.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "common.api.schema.AutoSchema",
    # The API speaks JSON. A form body makes every value a string, so "0" would pass for a
    # number or a yes/no; a view that also takes forms says so itself (the wallet top-up).
    # Strict JSON (common.api.parsers): no NaN, no lone surrogates, nested at most 32 levels.
    "DEFAULT_PARSER_CLASSES": ["common.api.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "common.api.exceptions.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_THROTTLE_RATES": {
        "signin": env("SIGNIN_RATE", default="20/min"),
        "register": env("REGISTER_RATE", default="10/min"),
    },
    # DRF's own reading of the client address; the shop's throttles use common.http instead.
    "NUM_PROXIES": CLIENT_IP_PROXY_COUNT,
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # Access tokens carry a digest of the password hash and stop working when the password
    # changes (or is reset), so "the other sign-ins end" holds for apps too, not only after
    # their refresh token is refused up to ACCESS_TOKEN_LIFETIME later.
    "CHECK_REVOKE_TOKEN": True,
    # Each token names its sign-in (`UserSession`), so ending the sign-in ends its access tokens
    # at once; see accounts.authentication.
    "USER_AUTHENTICATION_RULE": "accounts.authentication.user_can_sign_in",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shop API",
    "DESCRIPTION": (
        'The shop\'s REST API for mobile and other clients. Money is a decimal string ("25.00"). '
        "Every refusal is JSON in the one `ApiError` shape: a stable `code` and a `message` to show (a 400 "
        "also has `fields`). Two refusals come before an operation is chosen and so are not listed on "
        "each: a request body over 2.5 MB is a 413 `request_too_large` (an `ApiError`), and a path and "
        "query over about 4 KB a 414 from the web server (not JSON); a request the schema allows gets "
        "neither."
    ),
    "LICENSE": {"name": "Proprietary: for the shop's own apps and partners it admits"},
    # Relative: the API is served by the same host as this schema (set the base URL in a client).
    "SERVERS": [{"url": "/", "description": "The server that serves this schema"}],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.OrderState",
        # Two choice sets are called `reason`: a return's and a cancellation's.
        "ReturnReasonEnum": "orders.models.ReturnReason",
        "CancellationReasonEnum": "orders.models.CancellationReason",
        # A refund's status, and its calls' to the processor (refunds/).
        "RefundStatusEnum": "payments.models.RefundStatus",
        "TransactionStatusEnum": "payments.models.TransactionStatus",
    },
    # Swagger UI served from our own static files: no CDN, and the CSP stays strict.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # 401 / 404 / 400 on every operation of a kind, in one place (common.api.schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.api.schema.document_common_errors",
    ],
}

# --- Pages, i18n, static --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", _("English"))]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed names (css/shop.4f1c….css) that WhiteNoise serves with a year of immutable caching, and
# .gz/.br copies made once by `collectstatic` (which `make run` and a deployment run). With DEBUG
# on, `{% static %}` gives plain names and WhiteNoise serves straight from the source folders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Source maps (5/6 of the bytes: the API docs' bundles) are only fetched by developer tools, so
# `collectstatic` does not spend minutes compressing them.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# Content-Security-Policy: scripts only from our own origin (no inline scripts), no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Shop <shop@example.com>")

# --- Shop rules -----------------------------------------------------------------------------
SHOP_CURRENCY = env("SHOP_CURRENCY", default="USD")
WALLET_MAX_CHARGE = Decimal(env("WALLET_MAX_CHARGE", default="10000.00"))
ORDER_MAX_LINES = env.int("ORDER_MAX_LINES", default=50)
ORDER_MAX_LINE_QUANTITY = env.int("ORDER_MAX_LINE_QUANTITY", default=99)
# Days after delivery during which a customer can ask to return a line.
ORDER_RETURN_WINDOW_DAYS = env.int("ORDER_RETURN_WINDOW_DAYS", default=30)
POPULAR_PRODUCTS_CACHE_SECONDS = env.int("POPULAR_PRODUCTS_CACHE_SECONDS", default=60)

# --- Payments (README "Payments") ------------------------------------------------------------
# The gateways the shop can use: code -> class. Adding a real processor is one class here.
PAYMENT_GATEWAYS = {
    "wallet": "payments.gateways.wallet.WalletGateway",
    "sandbox": "payments.gateways.sandbox.SandboxGateway",
}
# The gateway that takes cards at checkout and for top-ups.
PAYMENT_CARD_GATEWAY = env("PAYMENT_CARD_GATEWAY", default="sandbox")
# The Fernet key that encrypts gateway keys in the database (`payments.secrets`). Generate one with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
# Without it (development only) a key is derived from SECRET_KEY; production requires it.
PAYMENT_SECRETS_KEY = env("PAYMENT_SECRETS_KEY", default="")
# The sandbox processor's webhook signing secret (a real gateway's comes from its dashboard).
SANDBOX_WEBHOOK_SECRET = env("SANDBOX_WEBHOOK_SECRET", default="whsec_sandbox_development_only")
# Where the sandbox posts its webhooks; empty: straight to the webhook service, in the worker.
SANDBOX_WEBHOOK_URL = env("SANDBOX_WEBHOOK_URL", default="")
# Webhooks older than this are refused (replays of captured traffic).
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = env.int("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", default=300)
# A card order holds its stock this long for its payment; then the release task gives it back.
STOCK_RESERVATION_MINUTES = env.int("STOCK_RESERVATION_MINUTES", default=15)

# --- Carts (carts/CARTS.md) -------------------------------------------------------------------
# A non-empty cart untouched this long is abandoned (the beat task runs every 15 minutes).
CART_ABANDONED_AFTER_MINUTES = env.int("CART_ABANDONED_AFTER_MINUTES", default=60)
# Recovery e-mails: at most this many per abandoned cart, at least this many hours apart (the
# first goes with the detection), none after an order, an emptied cart or an opt-out.
CART_RECOVERY_EMAILS_MAX = env.int("CART_RECOVERY_EMAILS_MAX", default=3)
CART_RECOVERY_EMAIL_SPACING_HOURS = env.int("CART_RECOVERY_EMAIL_SPACING_HOURS", default=24)
# How long the signed restore link in a recovery e-mail works.
CART_RECOVERY_LINK_DAYS = env.int("CART_RECOVERY_LINK_DAYS", default=7)
# The shop's public address, for links in e-mails written by a worker (no request to ask).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# How long a saved cart is kept (a beat task removes expired ones).
SAVED_CART_DAYS = env.int("SAVED_CART_DAYS", default=90)
# At most this many saved carts and wishlists per customer.
SAVED_CARTS_MAX = env.int("SAVED_CARTS_MAX", default=20)
WISHLISTS_MAX = env.int("WISHLISTS_MAX", default=20)
# Free wallet top-ups (no payment): the seed-000 contract and the demo data. Off in production
# (the production settings refuse to start with it on); staff can still credit a wallet in admin.
WALLET_FREE_TOPUP = env.bool("WALLET_FREE_TOPUP", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A 4xx (sold out, not yours, bad input) is the shop answering as it should, and costs a
        # log line per refusal in a rush; server errors (5xx) are still logged with their traceback.
        "django.request": {"level": env("REQUEST_LOG_LEVEL", default="ERROR")},
    },
}
