"""Settings for the whole platform, driven by the environment.

Every variable read here is listed in README.md ("Configuration"). Nothing secret lives in
this file: the secret key and the platform's signing keys come from the environment or from
files created at first set-up under ``var/keys/`` with owner-only permissions.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = env_bool("YINGSHANG_PRODUCTION")
DEBUG = env_bool("YINGSHANG_DEBUG", default=not PRODUCTION)
TESTING = env_bool("YINGSHANG_TESTING") or "pytest" in sys.modules

VAR_DIR = Path(os.environ.get("YINGSHANG_VAR_DIR", BASE_DIR / "var")).resolve()
KEYS_DIR = Path(os.environ.get("YINGSHANG_KEYS_DIR", VAR_DIR / "keys")).resolve()


def _secret_key() -> str:
    """The Django secret key: from the environment, else a file made once with mode 0600."""
    from_env = os.environ.get("YINGSHANG_SECRET_KEY")
    if from_env:
        return from_env
    path = KEYS_DIR / "django-secret-key"
    if not path.exists():
        KEYS_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [h for h in os.environ.get("YINGSHANG_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("YINGSHANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
if DEBUG or TESTING:
    ALLOWED_HOSTS += ["testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "template_partials",
    "csp",
    "yingshang.kernel",
    "yingshang.identity",
    "yingshang.ledger",
    "yingshang.files",
    "yingshang.notifications",
    "yingshang.ops",
    "yingshang.trading.projects",
    "yingshang.trading.documents",
    "yingshang.trading.bids",
    "yingshang.trading.opening",
    "yingshang.trading.experts",
    "yingshang.trading.evaluation",
    "yingshang.trading.award",
    "yingshang.draws",
    "yingshang.web",
    "yingshang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "yingshang.identity.middleware.SecondFactorMiddleware",
    "yingshang.web.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

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
                "csp.context_processors.nonce",
                "yingshang.web.context_processors.platform",
                "yingshang.notifications.context_processors.unread",
            ],
        },
    }
]

# Databases: DATABASE_URL selects the server; without it the embedded SQLite file is used.
DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'yingshang.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL") or DEFAULT_SQLITE
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0 if TESTING else 60, conn_health_checks=True)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
    # two processes never deadlock upgrading a read lock; the timeout waits instead of failing.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    _db["CONN_MAX_AGE"] = 0
    _db["CONN_HEALTH_CHECKS"] = False
    if TESTING:
        _db.setdefault("TEST", {})["NAME"] = str(VAR_DIR / f"test-{os.getpid()}.sqlite3")
else:
    # PostgreSQL: Django's own cursors bind on the client and never prepare; the few hot reads
    # that use a server-side-binding cursor (the ledger's proof fetch) may then keep a prepared
    # statement per connection. (Behind a transaction-pooling PgBouncer set this to None.)
    _db.setdefault("OPTIONS", {})["prepare_threshold"] = 5
    # A connection pool per process (psycopg_pool through Django): under the ASGI server each
    # request's synchronous code runs in a thread of its own, so persistent per-thread
    # connections would grow with the number of concurrent requests (a bid surge) past the
    # server's limit; the pool bounds them and requests wait for a free connection instead.
    if not TESTING:
        _db["CONN_MAX_AGE"] = 0
        _db["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("YINGSHANG_DB_POOL_SIZE", "16")),
            "timeout": float(os.environ.get("YINGSHANG_DB_POOL_TIMEOUT", "120")),
        }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = ["yingshang.identity.backends.PasswordBackend"]
LOGIN_URL = "identity:sign_in"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:home"
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if TESTING
    else [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Language and time: zh-hans first, English second; store UTC, show Asia/Shanghai.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "yingshang_language"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "build" / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Tests write documents to a folder of their own process, never to the dev database's.
        "OPTIONS": {"location": str(VAR_DIR / (f"test-media-{os.getpid()}" if TESTING else "media"))},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if os.environ.get("YINGSHANG_S3_BUCKET"):
    # S3-compatible object storage for documents and bids (MinIO, Ceph, a cloud bucket).
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["YINGSHANG_S3_BUCKET"],
            "endpoint_url": os.environ.get("YINGSHANG_S3_ENDPOINT_URL"),
            "access_key": os.environ.get("YINGSHANG_S3_ACCESS_KEY"),
            "secret_key": os.environ.get("YINGSHANG_S3_SECRET_KEY"),
            "region_name": os.environ.get("YINGSHANG_S3_REGION"),
            "file_overwrite": False,
            "default_acl": None,
        },
    }

# Background work: the tasks API with the database-backed worker (no broker needed).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# E-mail: console in development, SMTP when a host is configured.
EMAIL_HOST = os.environ.get("YINGSHANG_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("YINGSHANG_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("YINGSHANG_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("YINGSHANG_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("YINGSHANG_EMAIL_TLS")
EMAIL_BACKEND = (
    "django.core.mail.backends.locmem.EmailBackend"
    if TESTING
    else "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("YINGSHANG_FROM_EMAIL", "noreply@yingshang.invalid")

# Security headers. Content Security Policy: nothing inline without a nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("YINGSHANG_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("YINGSHANG_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Platform settings read by the contexts.
YINGSHANG = {
    "SITE_URL": os.environ.get("YINGSHANG_SITE_URL", "http://127.0.0.1:8000"),
    # Sign-in: lock an account after this many failures in the window.
    "LOCKOUT_FAILURES": int(os.environ.get("YINGSHANG_LOCKOUT_FAILURES", "5")),
    "LOCKOUT_MINUTES": int(os.environ.get("YINGSHANG_LOCKOUT_MINUTES", "15")),
    # Failures from one client address (any accounts) before that address is locked out too.
    "LOCKOUT_ADDRESS_FAILURES": int(
        os.environ.get(
            "YINGSHANG_LOCKOUT_ADDRESS_FAILURES", os.environ.get("YINGSHANG_LOCKOUT_FAILURES", "5")
        )
    ),
    # The longest lifetime of an API token.
    "API_TOKEN_MAX_DAYS": int(os.environ.get("YINGSHANG_API_TOKEN_MAX_DAYS", "366")),
    # Documents: the largest upload and the unpacked-size limits for archives.
    "MAX_UPLOAD_BYTES": int(os.environ.get("YINGSHANG_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024))),
    # Notifications: quiet hours (Asia/Shanghai) for messages that are not urgent.
    "QUIET_HOURS": os.environ.get("YINGSHANG_QUIET_HOURS", "22:00-07:00"),
    "SMS_OUTBOX_DIR": str(VAR_DIR / "sms"),
    # The SMS adapter (dotted path); the default writes JSON lines under SMS_OUTBOX_DIR.
    "SMS_GATEWAY": os.environ.get("YINGSHANG_SMS_GATEWAY", "yingshang.notifications.gateways.FileSmsGateway"),
    # Sealed bids: chunk size of resumable uploads, the largest bid, where chunks are staged
    # (one directory shared by every web process).
    "BID_CHUNK_BYTES": int(os.environ.get("YINGSHANG_BID_CHUNK_BYTES", str(1024 * 1024))),
    "BID_MAX_BYTES": int(os.environ.get("YINGSHANG_BID_MAX_BYTES", str(2 * 1024 * 1024 * 1024))),
    # The chunk endpoint (yingshang.trading.bids.asgi): threads that write chunks and talk to
    # the database, and how long a token's holder is remembered (a revoked token stops working
    # within this many seconds on that endpoint).
    "BID_CHUNK_THREADS": int(os.environ.get("YINGSHANG_BID_CHUNK_THREADS", "8")),
    # Certificate sign-in: new challenges one client address may ask for in a minute.
    "CERTIFICATE_CHALLENGES_PER_MINUTE": int(
        os.environ.get("YINGSHANG_CERTIFICATE_CHALLENGES_PER_MINUTE", "30")
    ),
    "BID_TOKEN_CACHE_SECONDS": int(os.environ.get("YINGSHANG_BID_TOKEN_CACHE_SECONDS", "10")),
    "STAGING_DIR": os.environ.get(
        "YINGSHANG_STAGING_DIR", str(VAR_DIR / (f"test-staging-{os.getpid()}" if TESTING else "staging"))
    ),
}
# OCDS: every tender's ocid starts with this prefix ("ocds-" + the publisher's 6 characters).
YINGSHANG["OCID_PREFIX"] = os.environ.get("YINGSHANG_OCID_PREFIX", "ocds-yshang")
# The evidence ledger's origin line (C2SP: a schema-less URL naming the log; it is also the
# checkpoint key's name). Default: the site's host and port followed by /yingshang/ledger.
YINGSHANG["LEDGER_ORIGIN"] = os.environ.get("YINGSHANG_LEDGER_ORIGIN") or (
    str(YINGSHANG["SITE_URL"]).split("://", 1)[-1].rstrip("/") + "/yingshang/ledger"
)
# Optional SM2 second signature on ledger checkpoints: the path of an SM2 private key file (64 hex
# digits, mode 0600, made by `yingshang ledger sm2-key --create PATH`); empty (the default): off.
YINGSHANG["LEDGER_SM2_KEY"] = os.environ.get("YINGSHANG_LEDGER_SM2_KEY", "")
# Live streams (server-sent events, docs/streams.md): how a commit wakes the streams of other
# processes: "memory" (within one process; the default), "postgresql" (LISTEN/NOTIFY) or a
# redis://... URL; and the seconds between a stream's re-checks of its events table, which carry
# events across processes when nothing else does (the embedded default).
YINGSHANG["BROADCAST"] = os.environ.get("YINGSHANG_BROADCAST", "memory")
YINGSHANG["BROADCAST_RECHECK"] = float(os.environ.get("YINGSHANG_BROADCAST_RECHECK", "1"))
# Experts and evaluation (docs/contexts/experts.md, docs/contexts/evaluation.md): the days within
# which an expert drawn for a tenderer is not drawn for the same tenderer again; the minutes a drawn
# expert has to accept before a replacement is drawn; the committee-mean deviation (percent) that
# needs a written explanation; the unit-price deviation from the control bill of quantities
# (percent) that bid clearing flags; the credit scores file (the file-based stand-in for the
# city's credit platform; a missing file: no scores).
EXPERT_REPEAT_WINDOW_DAYS = int(os.environ.get("YINGSHANG_EXPERT_REPEAT_WINDOW_DAYS", "90"))
EXPERT_RESPONSE_MINUTES = int(os.environ.get("YINGSHANG_EXPERT_RESPONSE_MINUTES", "30"))
YINGSHANG["EVALUATION_ANOMALY_PERCENT"] = int(os.environ.get("YINGSHANG_EVALUATION_ANOMALY_PERCENT", "30"))
YINGSHANG["EVALUATION_BOQ_DEVIATION_PERCENT"] = int(
    os.environ.get("YINGSHANG_EVALUATION_BOQ_DEVIATION_PERCENT", "20")
)
# (Tests name their own credit files: none by default, so no test sees another's scores.)
YINGSHANG["CREDIT_SCORES_FILE"] = os.environ.get(
    "YINGSHANG_CREDIT_SCORES_FILE", "" if TESTING else str(VAR_DIR / "credit-scores.json")
)
# Seconds between passes of `yingshang ledger sequence --loop` (what `make run` starts).
LEDGER_SEQUENCER_INTERVAL_SECONDS = float(os.environ.get("YINGSHANG_LEDGER_SEQUENCER_INTERVAL", "1"))
# The domain clock's sandbox (accelerated time for rehearsals) is refused in production unless allowed.
YINGSHANG_ALLOW_SANDBOX = env_bool("YINGSHANG_ALLOW_SANDBOX")
# Background processes: the chronograph calls each job every tick with the domain time.
CHRONOGRAPH_INTERVAL_SECONDS = float(os.environ.get("YINGSHANG_CHRONOGRAPH_INTERVAL", "5"))
CHRONOGRAPH_JOBS: list[str] = [
    "yingshang.notifications.tasks.release_due",
    "yingshang.trading.projects.tasks.apply_due",
    "yingshang.trading.opening.tasks.open_due",
    "yingshang.identity.tasks.remind_expiring_certificates",
    "yingshang.draws.tasks.perform_due",
    "yingshang.trading.experts.tasks.complete_due",
    "yingshang.trading.award.tasks.due",
]
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
