"""Settings for JHOP, read from the environment (django-environ).

With no environment at all the site runs on embedded defaults: SQLite, local
media, console email, a local-memory cache and an in-database task queue.
DJANGO_ENV=production switches to production mode, where SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL, CACHE_URL (shared: Redis), SITE_URL (https),
SUBSCRIPTIONS_SUPPRESSION_KEY, DEFAULT_FROM_EMAIL and SERVER_EMAIL (not on an example
domain) are required and HTTPS is enforced.
Every variable is listed, with a comment, in .env.example.
"""

import re
from email.utils import parseaddr
from pathlib import Path

import environ
from csp.constants import NONCE, SELF

from jhop.cache import resilient

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise environ.ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"

# Core ---------------------------------------------------------------------
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise environ.ImproperlyConfigured("Set the ALLOWED_HOSTS environment variable")
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-do-not-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
    DATABASES = {
        "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    }

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_PREPARE_THRESHOLD = env.int("DATABASE_PREPARE_THRESHOLD", default=2)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the task worker and the web server share the file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # Values sent apart from the SQL, so the reader pages can use prepared statements
    # (articles/reader/prepared.py); DATABASE_PREPARE_THRESHOLD=0 turns those off (e.g. PgBouncer).
    options.setdefault(
        "server_side_binding", env.bool("DATABASE_SERVER_SIDE_BINDING", default=True)
    )
    # No JIT compilation: the site's queries read a few thousand rows at most, and JIT
    # (past jit_above_cost, which a bounded search's estimate can pass) spends tens of ms
    # compiling what runs in a few.
    options.setdefault("options", "-c jit=off")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "jhop.views.csrf_failure"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "django.contrib.redirects",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "csp",
    "reversion",
    "django_countries",
    "django_prose_editor",
    "django_tasks",
    "django_tasks_db",
    "django_ratelimit",
    "anymail",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "jhop.apps.JhopConfig",
    "articles",
    "subscriptions",
    # Last, as django-axes asks: it records every failed staff sign-in (jhop/logins.py).
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jhop.middleware.RejectControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Answers cached public pages before sessions, CSRF and auth run (docs/page-cache.md).
    "articles.derived.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "jhop.sessions.StaffSessionMiddleware",
    "jhop.twofactor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.redirects.middleware.RedirectFallbackMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Staff sign-in is throttled by django-axes before any password is checked (jhop/logins.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "jhop.urls"
WSGI_APPLICATION = "jhop.wsgi.application"
SITE_ID = 1

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
                "articles.reader.context_processors.site",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

# Files ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {
        "BACKEND": env.str("MEDIA_STORAGE", default="django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage":
    # S3-compatible object storage; credentials come from the AWS_* variables boto3 reads.
    AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default=None)
    AWS_QUERYSTRING_AUTH = False
# Outside production WhiteNoise serves straight from the source folders.
WHITENOISE_AUTOREFRESH = not PRODUCTION
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The article and issue forms keep an editor's unsaved changes this often (articles.Autosave).
AUTOSAVE_SECONDS = 30
AUTOSAVE_MAX_BYTES = 512 * 1024

# Cache, email, tasks --------------------------------------------------------
# Rate limits count in the cache: every app server and worker must share it, so production
# needs one (Redis); a per-process cache fails `check` (django_ratelimit.E003, jhop.E001).
if PRODUCTION:
    CACHES = {"default": env.cache_url("CACHE_URL")}
else:
    CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://jhop")}
# A Redis outage costs no page and no signup (jhop/cache.py): its errors are misses, and
# the rate limits (and the signup form's single-use stamps) count per process meanwhile.
CACHES["ratelimit"] = resilient(CACHES["default"], fallback_to_process_memory=True)
CACHES["default"] = resilient(CACHES["default"])
# Public pages (docs/page-cache.md): how long the site's own page cache keeps them...
CACHE_MIDDLEWARE_SECONDS = env.int("CACHE_SECONDS", default=300)
# ...how long browsers (max-age) and shared caches such as a CDN (s-maxage) may (never
# longer than the page has left in the site's own cache, nor past the next go-live)...
PAGE_CACHE_BROWSER_SECONDS = env.int("PAGE_CACHE_BROWSER_SECONDS", default=60)
PAGE_CACHE_SHARED_SECONDS = env.int("PAGE_CACHE_SHARED_SECONDS", default=300)
# ...and how long the site's own nginx may answer without revalidating (0: revalidate each
# request with a conditional GET, so a publish shows through it at once).
PAGE_CACHE_PROXY_SECONDS = env.int("PAGE_CACHE_PROXY_SECONDS", default=0)
# Called (POST, JSON body) after every change of public content, to purge a CDN; with
# PAGE_CACHE_PURGE_TOKEN sent as "Authorization: Bearer <token>". Empty: no call. It names
# the changed pages' cache tags ({"tags": [...]}, and a Surrogate-Key header), at most
# PAGE_CACHE_PURGE_BATCH a call, unless PAGE_CACHE_PURGE_EVERYTHING (a CDN that cannot
# purge by tag): then {"purge_everything": true}.
PAGE_CACHE_PURGE_URL = env.str("PAGE_CACHE_PURGE_URL", default="")
PAGE_CACHE_PURGE_TOKEN = env.str("PAGE_CACHE_PURGE_TOKEN", default="")
PAGE_CACHE_PURGE_EVERYTHING = env.bool("PAGE_CACHE_PURGE_EVERYTHING", default=False)
PAGE_CACHE_PURGE_BATCH = env.int("PAGE_CACHE_PURGE_BATCH", default=30)
# False: every change makes every cached page stale (one global version, as before cache
# tags; bench/web.py --tag-invalidation compares the two).
PAGE_CACHE_TAGS = env.bool("PAGE_CACHE_TAGS", default=True)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    EMAIL_BACKEND = "jhop.mail.ConsoleEmailBackend"  # the text part, readable
# An email service through django-anymail instead of SMTP: ANYMAIL_ESP names it (amazon_ses,
# postmark, mailgun, sendgrid, ...) and that service's own settings come from variables named
# after it (POSTMARK_SERVER_TOKEN, MAILGUN_API_KEY, AMAZON_SES_CONFIGURATION_SET_NAME, ...;
# Amazon SES reads its credentials from the AWS_* variables, as boto3 does).
ANYMAIL_ESP = env.str("ANYMAIL_ESP", default="")
ANYMAIL = {
    name: value
    for name, value in env.ENVIRON.items()
    if ANYMAIL_ESP and name.startswith(f"{ANYMAIL_ESP.upper()}_")
}
if ANYMAIL_ESP:
    if not ANYMAIL_ESP.isidentifier():
        raise environ.ImproperlyConfigured(f"ANYMAIL_ESP is not a service name: {ANYMAIL_ESP!r}")
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
# "user:password" the service sends to the tracking webhooks under /anymail/ (bounces,
# complaints); the webhooks are mounted only when it is set.
ANYMAIL_WEBHOOK_SECRET = env.str("ANYMAIL_WEBHOOK_SECRET", default="")
if ANYMAIL_WEBHOOK_SECRET:
    if ":" not in ANYMAIL_WEBHOOK_SECRET:
        raise environ.ImproperlyConfigured("ANYMAIL_WEBHOOK_SECRET must be user:password")
    ANYMAIL["WEBHOOK_SECRET"] = ANYMAIL_WEBHOOK_SECRET
# The webhooks answer for every service, whichever backend sends: the services' signing
# keys are read even when ANYMAIL_ESP names another (or SMTP sends through the service).
# Amazon SES's SNS signatures need no key (subscriptions/sns.py); Postmark signs nothing.
WEBHOOK_SIGNING_VARIABLES = (
    "MAILGUN_WEBHOOK_SIGNING_KEY",
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY",
    "POSTAL_WEBHOOK_KEY",
)
ANYMAIL.update({name: env.str(name) for name in WEBHOOK_SIGNING_VARIABLES if env.str(name, "")})
# Amazon SES: the SNS topics whose messages the webhooks accept (comma-separated ARNs; empty:
# any topic, the basic-auth secret then being what keeps out another account's topic).
SNS_TOPIC_ARNS = env.list("SNS_TOPIC_ARNS", default=[])
mailgun_hooks = PRODUCTION and ANYMAIL_ESP == "mailgun" and ANYMAIL_WEBHOOK_SECRET
if mailgun_hooks and "MAILGUN_WEBHOOK_SIGNING_KEY" not in ANYMAIL:
    raise environ.ImproperlyConfigured(
        "Set MAILGUN_WEBHOOK_SIGNING_KEY (Mailgun's webhook signing key) for the webhooks"
    )
# Seconds to wait for the mail server before giving up (then the email is retried).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Emails per second each task worker sends at most (the email service's quota divided by
# the number of worker processes); 0 means no limit.
EMAIL_RATE = env.float("EMAIL_RATE", default=0)
if PRODUCTION:
    DEFAULT_FROM_EMAIL, SERVER_EMAIL = env.str("DEFAULT_FROM_EMAIL"), env.str("SERVER_EMAIL")
    # Mail from a documentation domain (example.org, .example, ...) is refused or filed as
    # spam: production names its own.
    documentation = re.compile(r"(^|\.)(example(\.(com|net|org))?|invalid|test)$")
    senders = {"DEFAULT_FROM_EMAIL": DEFAULT_FROM_EMAIL, "SERVER_EMAIL": SERVER_EMAIL}
    for name, address in senders.items():
        _, at, domain = parseaddr(address)[1].lower().rstrip(".").rpartition("@")
        if not (at and domain) or documentation.search(domain):
            raise environ.ImproperlyConfigured(
                f"{name} must be an address on the site's own mail domain, not {address!r}"
            )
else:
    DEFAULT_FROM_EMAIL = env.str(
        "DEFAULT_FROM_EMAIL", default="JHOP <newsletter@jhoponline.example>"
    )
    SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
ADMINS = [("Admin", a) for a in env.list("ADMIN_EMAILS", default=[])]

TASKS = {
    "default": {
        "BACKEND": env.str("TASK_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

# Site ---------------------------------------------------------------------
# The public base URL, used in emails and feeds that leave the request cycle.
if PRODUCTION:
    SITE_URL = env.str("SITE_URL").rstrip("/")
    if not SITE_URL.startswith("https://") or len(SITE_URL) <= len("https://"):
        raise environ.ImproperlyConfigured(
            f"SITE_URL must be the public https:// address of the site, not {SITE_URL!r}"
        )
else:
    # `make run` serves on PORT: links printed and emailed must point there.
    SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")
    SITE_URL = SITE_URL.rstrip("/")
# Shown until a primary Journal exists in the database.
SITE_NAME = env.str("SITE_NAME", default="Journal of Hematology Oncology Pharmacy")
SITE_SHORT_NAME = env.str("SITE_SHORT_NAME", default="JHOP")
# Articles go through review (submitted by an editor, approved by a managing editor)
# before they are published. Off: any editor publishes (a small team, the demo).
EDITORIAL_REVIEW = env.bool("EDITORIAL_REVIEW", default=False)

# Scholarly interoperability ------------------------------------------------
# Crossref DOI registration: the deposit endpoint (Crossref's test system by default;
# production: https://doi.crossref.org/servlet/deposit) and the account's credentials.
CROSSREF_DEPOSIT_URL = env.str(
    "CROSSREF_DEPOSIT_URL", default="https://test.crossref.org/servlet/deposit"
)
CROSSREF_USERNAME = env.str("CROSSREF_USERNAME", default="")
CROSSREF_PASSWORD = env.str("CROSSREF_PASSWORD", default="")
# Who Crossref writes to about deposits (default: the name and address of DEFAULT_FROM_EMAIL).
CROSSREF_DEPOSITOR_NAME = env.str("CROSSREF_DEPOSITOR_NAME", default="")
CROSSREF_DEPOSITOR_EMAIL = env.str("CROSSREF_DEPOSITOR_EMAIL", default="")
# Seconds to wait for one answer (a deposit Crossref does not answer is sent again later:
# articles/scholarly/registration.py holds the schedule).
CROSSREF_TIMEOUT = env.float("CROSSREF_TIMEOUT", default=60)
# Where the official XML schemas are (default: the copies vendored in the articles app).
SCHOLARLY_SCHEMA_DIR = env.str("SCHOLARLY_SCHEMA_DIR", default="")
# Reference look-up in the article form (off when empty): Crossref's REST API base for
# DOIs, NCBI E-utilities' base for PMIDs.
REFERENCE_LOOKUP_CROSSREF_URL = env.str("REFERENCE_LOOKUP_CROSSREF_URL", default="")
REFERENCE_LOOKUP_PUBMED_URL = env.str("REFERENCE_LOOKUP_PUBMED_URL", default="")

# Subscriptions --------------------------------------------------------------
# Key of the keyed hash (HMAC-SHA256) under which erased addresses are remembered so an
# import cannot subscribe them again. Separate from SECRET_KEY so that rotating SECRET_KEY
# keeps the suppression list working; changing it forgets every suppression.
if PRODUCTION:
    SUBSCRIPTIONS_SUPPRESSION_KEY = env.str("SUBSCRIPTIONS_SUPPRESSION_KEY")
else:
    SUBSCRIPTIONS_SUPPRESSION_KEY = env.str(
        "SUBSCRIPTIONS_SUPPRESSION_KEY", default="insecure-development-suppression-key"
    )
# Printed in every email when the primary journal has no postal address in the admin.
SUBSCRIPTIONS_POSTAL_ADDRESS = env.str("SUBSCRIPTIONS_POSTAL_ADDRESS", default="")
# Mailbox named in every bulk email's List-Unsubscribe mailto (default: DEFAULT_FROM_EMAIL's
# address); whoever reads it unsubscribes the writer in the admin.
SUBSCRIPTIONS_UNSUBSCRIBE_MAILTO = env.str("SUBSCRIPTIONS_UNSUBSCRIBE_MAILTO", default="")
# Where replies to newsletters and alerts go unless a list names its own (blank: the sender).
SUBSCRIPTIONS_REPLY_TO = env.str("SUBSCRIPTIONS_REPLY_TO", default="")
# Soft bounces (mailbox full, server busy) suspend an address after this many within this many
# days; a hard bounce, a complaint or a rejection stops mail to it at once.
SUBSCRIPTIONS_SOFT_BOUNCE_LIMIT = env.int("SUBSCRIPTIONS_SOFT_BOUNCE_LIMIT", default=3)
SUBSCRIPTIONS_SOFT_BOUNCE_DAYS = env.int("SUBSCRIPTIONS_SOFT_BOUNCE_DAYS", default=30)
# Signup rate limits (django-ratelimit syntax) per client IP and per email address.
SUBSCRIPTIONS_RATE_PER_IP = env.str("SUBSCRIPTIONS_RATE_PER_IP", default="20/h")
SUBSCRIPTIONS_RATE_PER_EMAIL = env.str("SUBSCRIPTIONS_RATE_PER_EMAIL", default="5/h")
SUBSCRIPTIONS_RATE_PER_EMAIL_DAY = env.str("SUBSCRIPTIONS_RATE_PER_EMAIL_DAY", default="10/d")
# A form sent back faster than this was filled in by a bot: it is thanked, and dropped.
SUBSCRIPTIONS_MIN_FORM_SECONDS = env.float("SUBSCRIPTIONS_MIN_FORM_SECONDS", default=3)
# A form stamp older than this (seconds) is not accepted: the person is asked to send again.
SUBSCRIPTIONS_FORM_MAX_AGE = env.float("SUBSCRIPTIONS_FORM_MAX_AGE", default=2 * 24 * 3600)

# Security -----------------------------------------------------------------
# Staff sign-in (django-axes, counters in the database so that every app server sees them
# and a cache outage cannot open the door): after LOGIN_FAILURE_LIMIT failures for one
# username, or from one client address, both are refused for LOGIN_COOLOFF_MINUTES, doubled
# for each further lockout within a day (at most a day), even with the right password.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = "jhop.logins.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "subscriptions.http.client_ip"
AXES_LOCKOUT_CALLABLE = "jhop.logins.locked_out"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_ON_SUCCESS = True
# A refused attempt during a lockout neither extends it nor counts as a new lockout, so the
# lockouts recorded in the failure log are the episodes that the cool-off doubles on.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = False
AXES_VERBOSE = False
# The staff audit trail (exports, downloads, imports, erasures, sends, permission changes,
# lockouts) is kept this many days; `manage.py purge_audit_log` deletes older entries.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=730)
# Staff (admin) sessions end after this long without a request, and after this long in all
# (jhop/sessions.py); "Sign out everywhere" in the admin ends them all at once.
STAFF_SESSION_IDLE_MINUTES = env.int("STAFF_SESSION_IDLE_MINUTES", default=120)
STAFF_SESSION_MAX_HOURS = env.int("STAFF_SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = STAFF_SESSION_MAX_HOURS * 3600
# Second factor for staff (jhop/twofactor.py): "optional", "required" (superusers and whoever
# can view subscribers) or "everyone"; and how long a check lasts before exports, erasures,
# imports and sends ask for it again.
STAFF_2FA = env.str("STAFF_2FA", default="required" if PRODUCTION else "optional")
if STAFF_2FA not in {"optional", "required", "everyone"}:
    raise environ.ImproperlyConfigured("STAFF_2FA must be optional, required or everyone.")
SUDO_MINUTES = env.int("SUDO_MINUTES", default=10)
OTP_TOTP_ISSUER = "JHOP admin"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
else:
    # A shared cache is not needed to rate-limit a single development process.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *env.list("CSP_IMG_SRC", default=[])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# The site needs no powerful browser features; deny them to any embedded content too.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

RATELIMIT_USE_CACHE = "ratelimit"
# Number of proxies (load balancer, CDN) in front of the app that append X-Forwarded-For;
# 0 means clients connect directly and REMOTE_ADDR is their address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "subscriptions.http.client_ip"
RATELIMIT_VIEW = "subscriptions.views.ratelimited"

# Every record is printed once, by the root logger. Django's default "django" logger has a
# console handler of its own and also propagates to the root: each line came out twice in
# development. Here it keeps only the error emails to ADMIN_EMAILS (production).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # runserver's request lines, formatted as Django does by default.
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        # A stranger's bad input (wrong Host, too many fields, a forged webhook, ...) is a
        # 400 and a line in the log, not an error emailed to the admins.
        "django.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}
