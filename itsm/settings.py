"""Settings, read from ITSM_* environment variables (listed in docs/configuration.md)."""

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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
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
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "itsm.core.middleware.RequestContextMiddleware",
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
# "database is locked" (see architecture.md).
DATABASE_URL = env("DATABASE_URL", "sqlite:///" + str(VAR_DIR / "itsm.sqlite3"))
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000;"
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
# Django's ModelBackend, loading the signed-in user with his department (one query less
# per page: the navbar names it).
AUTHENTICATION_BACKENDS = ["itsm.accounts.backends.UserBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
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
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

TASKS = {
    "default": {
        "BACKEND": env("TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
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
    },
}
ITSM_BIND = env("BIND", "127.0.0.1:8000")
ITSM_WEB_WORKERS = int(env("WEB_WORKERS", str(2 * (os.cpu_count() or 1))))
ITSM_PERIODIC_JOBS = [
    ("itsm.incidents.services.escalate_incidents", 60),
    ("itsm.incidents.services.close_resolved_incidents", 600),
    ("itsm.problems.services.detect_trends", 3600),
]
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
# Sessions end after this many idle minutes; API tokens expire after this many days.
ITSM_SESSION_IDLE_MINUTES = int(env("SESSION_IDLE_MINUTES", "30"))
ITSM_API_TOKEN_DAYS = int(env("API_TOKEN_DAYS", "90"))
# Administrators must sign in with a second factor (TOTP) once they have enrolled one;
# with MFA_REQUIRED, administrators without one are sent to enrol.
ITSM_MFA_REQUIRED = env_bool("MFA_REQUIRED", False)
# Accounts unused for this many days are disabled.
ITSM_DORMANT_DAYS = int(env("DORMANT_DAYS", "90"))
# Audit entries are kept in the database this many days, then archived to files here.
ITSM_AUDIT_RETENTION_DAYS = int(env("AUDIT_RETENTION_DAYS", "180"))
ITSM_AUDIT_ARCHIVE_DIR = Path(env("AUDIT_ARCHIVE_DIR", str(VAR_DIR / "audit-archive")))
# Backups (`itsm backup`) are written here.
ITSM_BACKUP_DIR = Path(env("BACKUP_DIR", str(VAR_DIR / "backups")))
# Attachments: the largest file accepted, and the types accepted (by their content).
ITSM_UPLOAD_MAX_BYTES = int(env("UPLOAD_MAX_MB", "20")) * 1024 * 1024
