"""Settings, all from environment variables (see README's configuration table).

Unset DATABASE_URL / REDIS_URL means the embedded default: SQLite, a filesystem broker and local
media under var/, so `make run` needs no server. Production (DJANGO_DEBUG off) has no default for
secrets and is clean under `manage.py check --deploy`.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-local-development-key" if DEBUG else None)
PORT = env_int("PORT", 8000, minimum=1)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", f"http://localhost:{PORT}" if DEBUG else None).rstrip(
    "/"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "fittingroom.accounts",
    "fittingroom.images",
    "fittingroom.generations",
    "fittingroom.products",
    "shopify_integration",
    # Does try-on sell? (issue 15): funnel events, share links, email capture.
    "fittingroom.analytics",
    "fittingroom.sharing",
    "shopify_integration.customers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
# Seconds a Celery worker process keeps its connection (config/celery.py): it runs its tasks one
# after another in one thread.
WORKER_CONN_MAX_AGE = env_int("WORKER_CONN_MAX_AGE", 300, minimum=0)
# The web serves plain requests on WEB_THREADS threads per process (config/serving.py), each
# keeping its connection for WEB_CONN_MAX_AGE seconds (set by the router as it starts, as
# config/celery.py does for workers): PostgreSQL sees at most WEB_THREADS x web processes +
# worker processes connections, whatever the burst (a request queues for a thread). Every other
# process (tests, commands, beat) keeps none unless DATABASE_CONN_MAX_AGE says so.
WEB_THREADS = env_int("WEB_THREADS", 8, minimum=1)
WEB_CONN_MAX_AGE = env_int("WEB_CONN_MAX_AGE", 300, minimum=0)
DATABASE_CONN_MAX_AGE = env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
# The hot paths' statements are prepared once per PostgreSQL connection (fittingroom/core/db.py):
# only those ask for it, Django's own cursors never prepare. Turn off behind a transaction-mode
# PgBouncer older than 1.21, which cannot keep prepared statements.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DATABASE_CONN_MAX_AGE)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASE_PREPARED_STATEMENTS:
        # Never by count of executions: only the statements that ask (prepare=True) are prepared.
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded database lives there
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # IMMEDIATE takes the write lock when a transaction starts, which serialises the
            # limit and quota checks the way row locks do on PostgreSQL.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "fittingroom.core.redis_cache.KeptClientRedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }
# Processes that share cached rows must share the prefix (the test suite gives its own).
CACHES["default"]["KEY_PREFIX"] = env_str("CACHE_KEY_PREFIX", "")

BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": 3600}
    if REDIS_URL
    else {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # The filesystem transport polls its folder; the default second between polls
        # would cap the embedded worker at about one task a second.
        "polling_interval": 0.05,
    }
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "billing-sync": {
        "task": "shopify_integration.billing.tasks.billing_sync_all",
        "schedule": timedelta(hours=6),
        "options": {"expires": 3600},
    },
    "billing-usage-charges": {
        "task": "shopify_integration.billing.tasks.usage_charges_send",
        "schedule": timedelta(seconds=60),
        "options": {"expires": 55},
    },
    "reap-stuck-generations": {
        "task": "fittingroom.generations.tasks.generations_reap_task",
        "schedule": timedelta(seconds=60),
    },
    "expire-old-photos": {
        "task": "fittingroom.images.tasks.files_expire",
        "schedule": timedelta(minutes=15),
    },
    "expire-products": {
        "task": "fittingroom.products.tasks.products_expire_task",
        "schedule": timedelta(hours=1),
    },
    "expire-old-results": {
        "task": "fittingroom.generations.tasks.generations_expire_task",
        "schedule": timedelta(minutes=15),
    },
}
CELERY_BEAT_SCHEDULE |= {
    "expire-tracking-events": {
        "task": "fittingroom.analytics.tasks.events_expire_task",
        "schedule": timedelta(hours=1),
    },
    "expire-share-links": {
        "task": "fittingroom.sharing.tasks.share_links_expire_task",
        "schedule": timedelta(hours=1),
    },
}

# --- Storage --------------------------------------------------------------------------------
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
SIGNED_URL_MAX_AGE = env_int("SIGNED_URL_MAX_AGE", 3600, minimum=60)
# S3-compatible object storage for photos and results when a bucket is named; files are then
# handed out as presigned URLs that expire like our own signed ones.
S3_BUCKET = env_str("S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("S3_REGION", "") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY", "") or None,
            "querystring_auth": True,
            "querystring_expire": SIGNED_URL_MAX_AGE,
            "file_overwrite": False,
            "default_acl": None,
        },
    }

# --- Uploads --------------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 50_000_000, minimum=10_000)
UPLOAD_MAX_SIDE = env_int("UPLOAD_MAX_SIDE", 1536, minimum=256)
UPLOAD_RATE_LIMIT = env_str("UPLOAD_RATE_LIMIT", "60/h")
# Requests above this are spooled to a temp file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
IMAGE_RETENTION_DAYS = env_int("IMAGE_RETENTION_DAYS", 7, minimum=1)
# Direct upload (prepare-upload → PUT → upload-complete): the PUT's byte cap (our own route
# refuses more; with S3 upload-complete refuses a bigger object) and how long a key lives.
DIRECT_UPLOAD_MAX_BYTES = env_int("DIRECT_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
DIRECT_UPLOAD_TTL_SECONDS = env_int("DIRECT_UPLOAD_TTL_SECONDS", 600, minimum=60)
# POST /v1/try-on/sync answers 202 (poll the status) when the try-on takes longer than this.
TRYON_SYNC_WAIT_SECONDS = env_int("TRYON_SYNC_WAIT_SECONDS", 90, minimum=1)

# --- Try-on ---------------------------------------------------------------------------------
TRYON_ENGINE = env_str("TRYON_ENGINE", "local")
GENERATION_DEADLINE_SECONDS = env_int("GENERATION_DEADLINE_SECONDS", 180, minimum=10)
GENERATION_REDRIVE_AFTER_SECONDS = env_int("GENERATION_REDRIVE_AFTER_SECONDS", 120, minimum=5)
# A synchronous render not finished within this lease is taken over (its worker died).
GENERATION_RENDER_LEASE_SECONDS = env_int("GENERATION_RENDER_LEASE_SECONDS", 90, minimum=5)
GENERATION_MAX_ATTEMPTS = env_int("GENERATION_MAX_ATTEMPTS", 5, minimum=1)
ENGINE_MAX_POLL_INTERVAL = env_int("ENGINE_MAX_POLL_INTERVAL", 5, minimum=1)
SHOPPER_WEEKLY_LIMIT = env_int("SHOPPER_WEEKLY_LIMIT", 10, minimum=1)
IP_WEEKLY_LIMIT = env_int("IP_WEEKLY_LIMIT", 30, minimum=1)
FETCH_ALLOW_PRIVATE_ADDRESSES = env_bool("FETCH_ALLOW_PRIVATE_ADDRESSES", default=False)
GARMENT_IMAGE_HOSTS = env_list("GARMENT_IMAGE_HOSTS", ["cdn.shopify.com"])
FASHN_API_KEY = env_str("FASHN_API_KEY", "")
FASHN_API_URL = env_str("FASHN_API_URL", "https://api.fashn.ai")
FASHN_MODEL_NAME = env_str("FASHN_MODEL_NAME", "tryon-v1.6")
FASHN_MODE = env_str("FASHN_MODE", "balanced")
FASHN_TIMEOUT = env_int("FASHN_TIMEOUT", 30, minimum=1)
# FASHN documents 50 /v1/run calls per minute; a bucket shared by all workers keeps to it.
FASHN_REQUESTS_PER_MINUTE = env_int("FASHN_REQUESTS_PER_MINUTE", 50, minimum=1)
# FASHN does not sign webhooks: their URL carries an HMAC token of ours (SECRET_KEY if unset).
FASHN_WEBHOOK_SECRET = env_str("FASHN_WEBHOOK_SECRET", "")
VERTEX_PROJECT = env_str("VERTEX_PROJECT", "")
# VERTEX_LOCATION=global is served by aiplatform.googleapis.com, a region by {location}-….
VERTEX_LOCATION = env_str("VERTEX_LOCATION", "us-central1")
VERTEX_MODEL = env_str("VERTEX_MODEL", "virtual-try-on-001")
VERTEX_API_URL = env_str("VERTEX_API_URL", "")
VERTEX_CREDENTIALS_FILE = env_str("VERTEX_CREDENTIALS_FILE", "")
VERTEX_TIMEOUT = env_int("VERTEX_TIMEOUT", 60, minimum=1)
# Google's default quota for Virtual Try-On: 50 requests a minute per model and region.
VERTEX_REQUESTS_PER_MINUTE = env_int("VERTEX_REQUESTS_PER_MINUTE", 50, minimum=1)

# --- Hosted engines: limits and failover (README "Engines and failover") --------------------
# Engines in order of preference: a new try-on goes to the first whose circuit is closed.
# Unset: TRYON_ENGINE alone, as before.
TRYON_ENGINES = env_list("TRYON_ENGINES", [TRYON_ENGINE])
# An engine that fails this many times (outages: network, 5xx, timeouts, refused key) within
# the window is opened for ENGINE_BREAKER_OPEN_SECONDS, then one probe decides.
ENGINE_BREAKER_FAILURES = env_int("ENGINE_BREAKER_FAILURES", 5, minimum=1)
ENGINE_BREAKER_WINDOW_SECONDS = env_int("ENGINE_BREAKER_WINDOW_SECONDS", 60, minimum=1)
ENGINE_BREAKER_OPEN_SECONDS = env_int("ENGINE_BREAKER_OPEN_SECONDS", 30, minimum=1)
# Providers call back URLs that carry an HMAC token of ours (SECRET_KEY if unset).
ENGINE_WEBHOOK_SECRET = env_str("ENGINE_WEBHOOK_SECRET", FASHN_WEBHOOK_SECRET)
# FASHN: predictions at once per key (a plan's figure; 429 ConcurrencyLimitExceeded above),
# status calls per 10 s per key (FASHN documents 50), and the documented request options.
# 0 lifts either limit (a provider account, or an emulator, that has none).
FASHN_MAX_CONCURRENT = env_int("FASHN_MAX_CONCURRENT", 6, minimum=0)
FASHN_STATUS_REQUESTS_PER_10S = env_int("FASHN_STATUS_REQUESTS_PER_10S", 50, minimum=0)
FASHN_MODERATION_LEVEL = env_str("FASHN_MODERATION_LEVEL", "permissive")
FASHN_GARMENT_PHOTO_TYPE = env_str("FASHN_GARMENT_PHOTO_TYPE", "auto")
# fal.ai's queue: the key, the model (Kling Kolors is licensed for commercial use), and an
# optional cap of our own (fal queues what is over an account's concurrency, never refuses).
FAL_KEY = env_str("FAL_KEY", "")
FAL_QUEUE_URL = env_str("FAL_QUEUE_URL", "https://queue.fal.run")
FAL_MODEL = env_str("FAL_MODEL", "fal-ai/kling/v1-5/kolors-virtual-try-on")
FAL_TIMEOUT = env_int("FAL_TIMEOUT", 30, minimum=1)
FAL_MAX_CONCURRENT = env_int("FAL_MAX_CONCURRENT", 0, minimum=0)

# --- Shopify --------------------------------------------------------------------------------
SHOPIFY_API_KEY = env_str("SHOPIFY_API_KEY", "fittingroom-dev-client-id" if DEBUG else None)
SHOPIFY_API_SECRET = env_str(
    "SHOPIFY_API_SECRET", "fittingroom-dev-client-secret" if DEBUG else None
)
SHOPIFY_API_SECRET_PREVIOUS = env_str("SHOPIFY_API_SECRET_PREVIOUS", "")
SHOPIFY_PROXY_MAX_CLOCK_SKEW = env_int("SHOPIFY_PROXY_MAX_CLOCK_SKEW", 90, minimum=1)
# Admin GraphQL endpoint template ({shop}, {version}); tests point it at a loopback emulator.
SHOPIFY_ADMIN_API_URL = env_str(
    "SHOPIFY_ADMIN_API_URL", "https://{shop}/admin/api/{version}/graphql.json"
)
SHOPIFY_API_VERSION = env_str("SHOPIFY_API_VERSION", "2026-10")
SHOPIFY_ADMIN_API_TIMEOUT = env_int("SHOPIFY_ADMIN_API_TIMEOUT", 10, minimum=1)
SHOPIFY_ADMIN_API_MAX_RETRIES = env_int("SHOPIFY_ADMIN_API_MAX_RETRIES", 4)
# Kept in step with shopify.app.toml: products for garment images, the app proxy, orders for
# try-on attribution, customers for the widget's e-mail capture.
SHOPIFY_SCOPES = env_str(
    "SHOPIFY_SCOPES", "read_products,write_app_proxy,read_orders,write_customers"
)
# Shopify's OAuth endpoints ({shop}); tests point them at a loopback emulator.
SHOPIFY_AUTHORIZE_URL = env_str("SHOPIFY_AUTHORIZE_URL", "https://{shop}/admin/oauth/authorize")
SHOPIFY_TOKEN_URL = env_str("SHOPIFY_TOKEN_URL", "https://{shop}/admin/oauth/access_token")
# Refresh an expiring offline token this long before it expires.
SHOPIFY_TOKEN_REFRESH_MARGIN = env_int("SHOPIFY_TOKEN_REFRESH_MARGIN", 300)
# Fernet key material for tokens at rest; any string (a key is derived from it).
TOKEN_ENCRYPTION_KEY = env_str(
    "TOKEN_ENCRYPTION_KEY", "insecure-local-token-key" if DEBUG else None
)
# Test charges: on for local runs; production counts only real subscriptions.
SHOPIFY_BILLING_TEST = env_bool("SHOPIFY_BILLING_TEST", default=DEBUG)
FREE_MONTHLY_ALLOWANCE = env_int("FREE_MONTHLY_ALLOWANCE", 25)
DEMO_SHOP_DOMAIN = "demo-fittingroom.myshopify.com"
# Development-only routes (the proxy stand-in, the demo storefront): decided once, from DEBUG.
DEV_ROUTES = DEBUG
DEV_PROXY_PATH_PREFIX = "/apps/fitting-room"

# --- Request body caps, checked before Django reads a byte (config/bodylimit.py) -------------
# Rows of (path prefix, bytes, error code), the longest matching prefix winning; a route that
# takes larger bodies adds its row. Every other path (pages, the admin's login) gets
# REQUEST_BODY_MAX_BYTES.
MULTIPART_OVERHEAD_BYTES = 64 * 1024  # multipart framing and the other fields around a file
UPLOAD_BODY_MAX_BYTES = UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
JSON_BODY_MAX_BYTES = env_int("JSON_BODY_MAX_BYTES", 1024 * 1024, minimum=1024)
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 256 * 1024, minimum=1024)
REQUEST_BODY_LIMITS = [
    ("/v1/", JSON_BODY_MAX_BYTES, "PAYLOAD_TOO_LARGE"),
    ("/proxy/public/", JSON_BODY_MAX_BYTES, "PAYLOAD_TOO_LARGE"),
    ("/shopify/", JSON_BODY_MAX_BYTES, "PAYLOAD_TOO_LARGE"),
    ("/engines/", JSON_BODY_MAX_BYTES, "PAYLOAD_TOO_LARGE"),
    ("/v1/images/upload", UPLOAD_BODY_MAX_BYTES, "FILE_TOO_LARGE"),
    ("/v1/try-on", UPLOAD_BODY_MAX_BYTES, "FILE_TOO_LARGE"),
    ("/proxy/public/upload-image", UPLOAD_BODY_MAX_BYTES, "FILE_TOO_LARGE"),
    ("/v1/products", UPLOAD_BODY_MAX_BYTES, "FILE_TOO_LARGE"),  # multipart product images
    ("/uploads/", DIRECT_UPLOAD_MAX_BYTES, "FILE_TOO_LARGE"),  # the direct upload's signed PUT
    # The watermark logo: 2 MB (shopify_integration.install.services.LOGO_MAX_BYTES).
    ("/shopify/api/watermark", 2 * 1024 * 1024 + MULTIPART_OVERHEAD_BYTES, "FILE_TOO_LARGE"),
    ("/admin/", UPLOAD_BODY_MAX_BYTES, "PAYLOAD_TOO_LARGE"),  # operators upload logos
    # The local stand-in for Shopify's proxy forwards uploads (development only).
    (f"{DEV_PROXY_PATH_PREFIX}/", UPLOAD_BODY_MAX_BYTES, "FILE_TOO_LARGE"),
]
# --- Funnel events, share links, email capture ---------------------------------------------
# Raw tracking events are deleted after this many days; the daily counters stay.
EVENT_RETENTION_DAYS = env_int("EVENT_RETENTION_DAYS", 90, minimum=1)
# Tracking batches per shop and client address (django-ratelimit rate).
TRACKING_RATE_LIMIT = env_str("TRACKING_RATE_LIMIT", "120/m")
SHARE_LINK_DAYS = env_int("SHARE_LINK_DAYS", 30, minimum=1)
SHARE_RATE_LIMIT = env_str("SHARE_RATE_LIMIT", "20/m")
EMAIL_CAPTURE_RATE_LIMIT = env_str("EMAIL_CAPTURE_RATE_LIMIT", "10/h")

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "fittingroom.core.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "fittingroom.api.schema.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}

# OpenAPI for the public surfaces, served at /api/schema/ (docs at /api/docs/).
SPECTACULAR_SETTINGS = {
    "TITLE": "fittingroom API",
    "DESCRIPTION": "Virtual try-on: the public Try-On API (`/v1/`, authenticated with an "
    "`x-api-key` header) and the storefront widget's API behind Shopify's app proxy "
    "(`/proxy/public/`, authenticated by the proxy's signed query string). Every error is "
    "`{code, message, status, details}`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["fittingroom.api.schema.public_endpoints"],
    # Swagger UI served from our own static files: no CDN, and a CSP-friendly docs page.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
# Abuse protection of the public API: requests per account and minute, on every /v1 endpoint.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 100, minimum=1)

RATELIMIT_VIEW = "fittingroom.core.errors.ratelimited_view"
# A filesystem cache is shared by all local processes, which is what the limiter needs here;
# with REDIS_URL it is Redis.
SILENCED_SYSTEM_CHECKS = [] if REDIS_URL else ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Internationalisation and auth ----------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Dates as 2026-12-07 13:00 rather than "Dec. 7, 2026, 1 p.m.": shorter, so the admin's lists
# keep their columns on one 1280 px screen, and unambiguous for operators.
FORMAT_MODULE_PATH = ["config.formats"]
# /admin/login/ lockout (fittingroom/core/admin_login.py): failed logins per username and per
# client address within the window, counted in the cache.
ADMIN_LOGIN_MAX_FAILURES = env_int("ADMIN_LOGIN_MAX_FAILURES", 5, minimum=1)
ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int(
    "ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1
)
ADMIN_LOGIN_LOCKOUT_SECONDS = env_int("ADMIN_LOGIN_LOCKOUT_SECONDS", 900, minimum=60)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Production hardening -------------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# The demo catalog's garment images double as static files (demo storefront, admin thumbnails).
# The widget's JS and CSS are the theme app extension's assets, served as-is to the demo storefront.
STATICFILES_DIRS = [
    ("demo", BASE_DIR / "fittingroom" / "demo"),
    ("widget", BASE_DIR / "extensions" / "fitting-room" / "assets"),
]
