"""leadflow settings: every knob comes from the environment with a safe default.

The embedded default (SQLite under ./var/, one worker) needs no variable at all; see
.env.example for the full list.
"""

import os
from pathlib import Path

import dj_database_url

from leadflow.core.installation import installed_key

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def sqlite_database(path: str) -> dict:
    """The embedded database: one SQLite file, writers queued (leadflow.core.sqlite)."""
    return {
        "ENGINE": "leadflow.core.sqlite",  # django.db.backends.sqlite3, writers queued
        "NAME": path,
        "OPTIONS": {
            # IMMEDIATE: a writer takes the lock at BEGIN, so two writers queue on the
            # busy timeout instead of one failing on lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
                # 64 MB page cache and 256 MB memory map per connection: index pages
                # of a million leads stay in memory during imports and sweeps.
                "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
            ),
        },
        # Kept open between requests: opening one costs more than a capture, and its
        # page cache is what keeps index pages of a million leads at hand.
        "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", "600"),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH", str(VAR_DIR / "test.sqlite3"))},
    }


def database_from_url(url: str) -> dict:
    """DATABASE_URL as every Django project reads it (dj-database-url): postgres://… for
    scale-out, sqlite:///path for a file of one's choosing. leadflow runs on these two."""
    config = dj_database_url.parse(
        url, conn_max_age=envint("DB_CONN_MAX_AGE", "60"), conn_health_checks=True
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return sqlite_database(config["NAME"])
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ValueError(
            f"DATABASE_URL: leadflow runs on PostgreSQL or SQLite, not {config['ENGINE']}"
        )
    return {**config, "ATOMIC_REQUESTS": False}


VAR_DIR = Path(os.environ.get("LEADFLOW_VAR_DIR", BASE_DIR / "var"))

DEBUG = envbool("DEBUG", "false")
# Embedded mode keeps per-installation keys beside the database, made by the first
# `leadflow migrate` (leadflow.core.installation); importing settings only reads them.
SECRET_KEY = installed_key(VAR_DIR, "SECRET_KEY")
# Customer contact data encrypted at rest (SEC-2): the current key first; older keys after
# it (comma-separated in LEADFLOW_DATA_KEYS_OLD) still decrypt while rows are re-encrypted.
DATA_KEYS = [installed_key(VAR_DIR, "DATA_KEY"), *envlist("LEADFLOW_DATA_KEYS_OLD", "")]
# Keyed hashes that let the encrypted phones and emails be looked up and deduplicated.
LOOKUP_KEY = installed_key(VAR_DIR, "LOOKUP_KEY")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "leadflow.core",
    "leadflow.accounts",
    "leadflow.notify",
    "leadflow.approvals",
    "leadflow.customers",
    "leadflow.sales",
    "leadflow.marketing",
    "leadflow.leads",
    "leadflow.journeys",
    "leadflow.mailing",
    "leadflow.service",
    "leadflow.analytics",
    "leadflow.web",
]

MIDDLEWARE = [
    "leadflow.core.middleware.HealthCheckMiddleware",  # first: load balancers poll it
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "leadflow.accounts.middleware.RequestContextMiddleware",
    "leadflow.accounts.middleware.ConfidentialityAgreementMiddleware",
    "leadflow.core.middleware.UnstorableQueryMiddleware",
    "leadflow.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "leadflow.urls"
WSGI_APPLICATION = "leadflow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leadflow.web.context.shell",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": sqlite_database(os.environ.get("SQLITE_PATH", str(VAR_DIR / "leadflow.sqlite3")))
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_COOKIE_AGE = envint("SESSION_HOURS", "12") * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "leadflow" / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"  # made by `leadflow migrate` with the var folder
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "leadflow.core.tasks.TaskBackend"),
        "QUEUES": ["default"],
    }
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "false")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "false")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "10")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "leadflow <noreply@localhost>")
# Processes that read and clean an import's file while it writes (leads.bulk.importer):
# -1, one per CPU the import may run on (up to 4), none on a single CPU; 0, none (the
# importing process cleans too); N, that many.
LEADFLOW_CLEANING_PROCESSES = envint("CLEANING_PROCESSES", "-1")
# Seconds each process keeps settings, channels and rules it read (core.config_cache).
LEADFLOW_CONFIG_CACHE_SECONDS = float(os.environ.get("LEADFLOW_CONFIG_CACHE_SECONDS", "2"))
# Email is delivered only when an SMTP host is configured (or in tests); the in-app bell
# always works.
LEADFLOW_EMAIL_ENABLED = envbool("EMAIL_ENABLED", "true" if "EMAIL_HOST" in os.environ else "false")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# How many reverse proxies in front of leadflow append to X-Forwarded-For (0: none, so
# the header is ignored and REMOTE_ADDR is the client).
TRUSTED_PROXY_HOPS = envint("TRUSTED_PROXY_HOPS", "0")
