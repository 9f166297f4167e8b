"""Settings, read from ITSM_* environment variables (listed in docs/configuration.md)."""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get("ITSM_" + name, default)


def env_bool(name: str, default: bool) -> bool:
    return env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


VAR_DIR = Path(env("VAR_DIR", str(PROJECT_DIR / "var")))
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY") or (
    "insecure-development-key-set-ITSM_SECRET_KEY-in-production" if DEBUG else ""
)
if not SECRET_KEY:
    # A per-installation key kept under var/, so a fresh machine runs without set-up and
    # sessions survive restarts; production sets ITSM_SECRET_KEY.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "axes",
    "itsm.core",
    "itsm.accounts",
    "itsm.cmdb",
    "itsm.sla",
    "itsm.knowledge",
    "itsm.incidents",
    "itsm.problems",
    "itsm.changes",
    "itsm.releases",
    "itsm.portal",
    "itsm.reports",
    "itsm.integrations",
    "itsm.api",
    "itsm.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "itsm.core.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the first to read a body (CSRF): an oversized upload is refused unread.
    "itsm.core.middleware.BodySizeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "itsm.core.middleware.RequestContextMiddleware",
    # After the request context (their sign-outs are audited with the source address).
    "itsm.accounts.sessions.IdleTimeoutMiddleware",
    "itsm.accounts.mfa.MfaMiddleware",
    # After the second factor: a user who must change his password is sent to do so.
    "itsm.accounts.middleware.PasswordPolicyMiddleware",
    # Last, as django-axes asks: turns a locked sign-in into its answer (accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "itsm.urls"
WSGI_APPLICATION = "itsm.wsgi.application"

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
                "django.template.context_processors.i18n",
                "itsm.core.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite in WAL mode under var/ by default; ITSM_DATABASE_URL=postgres://… for
# PostgreSQL. IMMEDIATE transactions keep concurrent SQLite writers from failing with
# "database is locked" (see architecture.md). Connections persist across requests on both
# (a new SQLite connection parses the schema again and starts with an empty page cache),
# and SQLite reads through a memory map: another connection's commit then costs this one
# no re-reading of its cache (docs/performance.md, "Load").
DATABASE_URL = env("DATABASE_URL", "sqlite:///" + str(VAR_DIR / "itsm.sqlite3"))
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;"
        ),
    }
# PostgreSQL keeps Django's client-side parameter binding, without server-side prepared
# statements (psycopg's prepare_threshold): a prepared statement is soon run with a generic
# plan, blind to the values of its parameters, and the queue's capped count then scans the
# whole table (20 ms → 770 ms at 1M incidents; docs/performance.md, round 4). Also what
# pgbouncer in transaction mode needs.
DATABASES["default"]["TEST"] = {"CHARSET": "UTF8"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes' gate first (refuses a locked user name or address before any password is
# checked), then Django's ModelBackend, loading the signed-in user with his department (one
# query less per page: the navbar names it).
AUTHENTICATION_BACKENDS = [
    "itsm.accounts.lockout.LockoutBackend",
    "itsm.accounts.backends.UserBackend",
]
# The password policy (accounts/passwords.py; length and classes: ITSM_PASSWORD_*).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "itsm.accounts.passwords.ComplexityValidator"},
    {"NAME": "itsm.accounts.passwords.UserNameValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "first_name", "last_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Argon2 first (new and changed passwords); the others still check older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env("LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it before collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_AGE = int(env("SESSION_AGE_SECONDS", str(8 * 3600)))
SESSION_COOKIE_HTTPONLY = True

# Web security (docs/configuration.md, "Web security"; production values in
# docs/deployment.md). Cookies only over HTTPS once the site is served over HTTPS; Lax keeps
# the session off cross-site POSTs while links from e-mails still arrive signed in.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
# The CSRF token stays readable by our own script (htmx sends it in X-CSRFToken from the
# page; nothing reads the cookie), so CSRF_COOKIE_HTTPONLY changes nothing and stays off.
# HSTS: browsers refuse plain HTTP for this many seconds once they have seen HTTPS (0: off;
# turn on only when every host name of the site has a valid certificate). Subdomains are
# those *below* the site's own name (x.itsm.hospital.cn), not its siblings: turn it off
# only when the site is served at the hospital's bare domain.
SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
# W021 (HSTS preload off) does not apply: the browsers' preload list takes only public
# registrable domains submitted by their owner, not a hospital's intranet service host;
# ITSM_HSTS_PRELOAD=1 is there for the hospital that does submit its domain.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Redirect plain HTTP to HTTPS here (off when the proxy in front already does).
SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", False)
# Behind a reverse proxy that terminates TLS: trust its X-Forwarded-Proto (only then: a
# client could otherwise claim HTTPS itself).
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts and styles only from our own static files,
# no inline script, no eval (htmx's allowEval is off too), no framing, forms post only
# here. Style *attributes* are allowed (style-src-attr): templates set computed widths
# (progress bars, the change calendar) and ECharts writes its tooltips as HTML with style
# attributes; an attribute cannot run script, and <style> elements stay forbidden.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Uploads: requests bodies beyond a form's worth of fields are refused (the attachment size
# limit, ITSM_UPLOAD_MAX_BYTES, is checked per file by core.attachments, and a body declared
# larger than it and a form is refused unread by core.middleware.BodySizeMiddleware); files
# above 2.5 MB go to a temporary file instead of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2621440
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

TASKS = {
    "default": {
        "BACKEND": env("TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "itsm.accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["itsm.core.api.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "itsm.core.api.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "itsm.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hospital ITSM API",
    "DESCRIPTION": "ITIL service management for hospital IT departments.",
    "VERSION": "0.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    # After the enum names are settled: what the generator cannot see (itsm/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "itsm.api.schema.postprocess",
    ],
    # One name per choice set where fields of the same name carry different choices (or
    # different fields the same choices); without them the generator warns and guesses.
    "ENUM_NAME_OVERRIDES": {
        "ImpactUrgencyEnum": "itsm.core.choices.TicketImpact",
        "IncidentKindEnum": "itsm.incidents.choices.IncidentKind",
        "IncidentStatusEnum": "itsm.incidents.choices.IncidentStatus",
        "DepartmentKindEnum": "itsm.accounts.choices.DepartmentKind",
        "ServiceStatusEnum": "itsm.cmdb.choices.ServiceStatus",
        "ConfigurationItemStatusEnum": "itsm.cmdb.choices.ConfigurationItemStatus",
        "RelationshipTypeEnum": "itsm.cmdb.choices.RelationshipType",
        "AttributeTypeEnum": "itsm.cmdb.choices.AttributeType",
        "AgreementKindEnum": "itsm.sla.choices.AgreementKind",
        "CalendarDayKindEnum": "itsm.sla.choices.CalendarDayKind",
        "PendingReasonEnum": "itsm.core.choices.TicketPendingReason",
        "CmdbUpdateKindEnum": "itsm.changes.choices.CmdbUpdateKind",
    },
}

# E-mail: printed to the log until a relay is configured; with ITSM_EMAIL_HOST set, sent by
# SMTP through it (unless ITSM_EMAIL_BACKEND says otherwise).
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "30"))
EMAIL_BACKEND = env("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if env("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("EMAIL_FROM", "itsm@hospital.local")

# Product settings
ITSM_AUTO_CLOSE_DAYS = int(env("AUTO_CLOSE_DAYS", "3"))
ITSM_DEMO_PASSWORD = env("DEMO_PASSWORD", "Demo@2026")
# The address users reach the site at: links in e-mails and chat-robot posts start with it.
ITSM_BASE_URL = env("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Notifications leaving the product (docs/notifications.md): a failed send is retried after
# BACKOFF, 2×, 4×, … seconds until MAX_ATTEMPTS sends have failed.
ITSM_NOTIFICATION_MAX_ATTEMPTS = int(env("NOTIFICATION_MAX_ATTEMPTS", "5"))
ITSM_NOTIFICATION_BACKOFF_SECONDS = int(env("NOTIFICATION_BACKOFF_SECONDS", "60"))
ITSM_ROBOT_TIMEOUT_SECONDS = float(env("ROBOT_TIMEOUT_SECONDS", "10"))
# Channel → sender (a function taking the Delivery). Core names the senders here instead
# of importing them, so imports keep running downwards (integrations → core).
ITSM_NOTIFICATION_SENDERS = {
    "email": "itsm.integrations.mail.send_email",
    "wecom": "itsm.integrations.robots.send_wecom",
    "dingtalk": "itsm.integrations.robots.send_dingtalk",
    "feishu": "itsm.integrations.robots.send_feishu",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # httpx logs every request's full URL at INFO; a chat robot's URL carries its key.
        "httpx": {"level": "WARNING"},
        # django-axes logs every sign-in at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}
ITSM_BIND = env("BIND", "127.0.0.1:8000")
ITSM_WEB_WORKERS = int(env("WEB_WORKERS", str(2 * (os.cpu_count() or 1))))
# Seconds an idle kept-alive connection stays open: longer than the clients' and proxies'
# own (nginx keeps upstream connections 60 s), so that the server never closes a
# connection at the moment a client sends on it (a reset the client sees as an error).
ITSM_WEB_KEEPALIVE = int(env("WEB_KEEPALIVE", "75"))
ITSM_PERIODIC_JOBS = [
    ("itsm.incidents.services.escalate_incidents", 60),
    ("itsm.incidents.services.close_resolved_incidents", 600),
    ("itsm.problems.services.detect_trends", 3600),
    ("itsm.accounts.services.disable_dormant_accounts", 3600),
    ("itsm.core.idempotency.purge_idempotency_keys", 3600),
    # The audit chain: a safety net for entries whose on-commit seal did not run, and the
    # daily move of entries past the retention period to archive files.
    ("itsm.core.audit_chain.seal_audit", 60),
    ("itsm.core.audit_chain.archive_audit", 86400),
]
# An API client's Idempotency-Key is remembered this many hours (docs/api.md).
ITSM_IDEMPOTENCY_HOURS = int(env("IDEMPOTENCY_HOURS", "24"))
# Trend detection proposes a problem for COUNT or more incidents on one CI or service
# within DAYS days that no problem covers.
ITSM_PROBLEM_TREND_COUNT = int(env("PROBLEM_TREND_COUNT", "3"))
ITSM_PROBLEM_TREND_DAYS = int(env("PROBLEM_TREND_DAYS", "7"))

# Change risk: the questionnaire's score from MEDIUM up is a medium risk, from HIGH up a
# high one (below MEDIUM: low). Medium and high risk changes go to the CAB.
ITSM_CHANGE_RISK_MEDIUM = int(env("CHANGE_RISK_MEDIUM", "8"))
ITSM_CHANGE_RISK_HIGH = int(env("CHANGE_RISK_HIGH", "15"))

# Security (docs/security.md, docs/configuration.md). Passwords: length, character classes
# (of lower case, upper case, digits, others), days until a password expires (0: never),
# how many earlier passwords may not be used again.
ITSM_PASSWORD_MIN_LENGTH = int(env("PASSWORD_MIN_LENGTH", "8"))
ITSM_PASSWORD_MIN_CLASSES = int(env("PASSWORD_MIN_CLASSES", "3"))
ITSM_PASSWORD_MAX_AGE_DAYS = int(env("PASSWORD_MAX_AGE_DAYS", "0"))
ITSM_PASSWORD_HISTORY = int(env("PASSWORD_HISTORY", "5"))
# Sign-in failures: FAILURES failures within WINDOW minutes lock the account (and the
# source address) for LOCKOUT minutes.
ITSM_LOCKOUT_FAILURES = int(env("LOCKOUT_FAILURES", "5"))
ITSM_LOCKOUT_WINDOW_MINUTES = int(env("LOCKOUT_WINDOW_MINUTES", "15"))
ITSM_LOCKOUT_MINUTES = int(env("LOCKOUT_MINUTES", "15"))
# An address is locked (for every user name) only after this many failures within the
# window (0: never): the PCs of a ward share one NAT address, and five typos by five nurses
# must not lock the ward out; only someone trying name after name gets this far.
ITSM_LOCKOUT_ADDRESS_FAILURES = int(env("LOCKOUT_ADDRESS_FAILURES", "50"))
# django-axes (accounts/lockout.py) counts failures per user name. It has one period for
# both: a failure counts while it comes within that period of the one before, and the lock
# lasts that period after the last failure; the longer of WINDOW and LOCKOUT is used.
# Attempts on a locked name are refused without being counted (the lock ends on time).
AXES_FAILURE_LIMIT = ITSM_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=max(ITSM_LOCKOUT_WINDOW_MINUTES, ITSM_LOCKOUT_MINUTES)
)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "itsm.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "itsm.accounts.lockout.lockout_response"
# Sign-ins are in the audit log; axes' own access log would be a second copy.
AXES_DISABLE_ACCESS_LOG = True
# W006 warns that rotating user agents escapes a lock by name and agent; ours counts the
# name across all agents and addresses, and addresses by their own rule (above).
SILENCED_SYSTEM_CHECKS.append("axes.W006")
# Sessions end after this many idle minutes; API tokens expire after this many days.
ITSM_SESSION_IDLE_MINUTES = int(env("SESSION_IDLE_MINUTES", "30"))
ITSM_API_TOKEN_DAYS = int(env("API_TOKEN_DAYS", "90"))
# Administrators must sign in with a second factor (TOTP) once they have enrolled one;
# with MFA_REQUIRED, administrators without one are sent to enrol.
ITSM_MFA_REQUIRED = env_bool("MFA_REQUIRED", False)
# The name authenticator apps show next to the account.
OTP_TOTP_ISSUER = env("MFA_ISSUER", "Hospital ITSM")
# The admin never shows a device's secret key after it was made.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Accounts unused for this many days are disabled.
ITSM_DORMANT_DAYS = int(env("DORMANT_DAYS", "90"))
# Audit entries are kept in the database this many days, then archived to files here.
ITSM_AUDIT_RETENTION_DAYS = int(env("AUDIT_RETENTION_DAYS", "180"))
ITSM_AUDIT_ARCHIVE_DIR = Path(env("AUDIT_ARCHIVE_DIR", str(VAR_DIR / "audit-archive")))
# Backups (`itsm backup`) are written here.
ITSM_BACKUP_DIR = Path(env("BACKUP_DIR", str(VAR_DIR / "backups")))
# Attachments: the largest file accepted, and the types accepted (by their content).
ITSM_UPLOAD_MAX_BYTES = int(env("UPLOAD_MAX_MB", "20")) * 1024 * 1024
