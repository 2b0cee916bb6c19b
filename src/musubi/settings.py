"""The one settings module. Everything configurable is read through ``musubi.config``."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from musubi.config import ConfigurationError, choice, env

PACKAGE_DIR = Path(__file__).resolve().parent

DATA_DIR: Path = env(
    "MUSUBI_DATA_DIR",
    Path("var"),
    "Directory for the embedded database, uploaded files and the generated secret key.",
    kind="path",
).resolve()
DEBUG: bool = env("MUSUBI_DEBUG", False, "Django debug mode. Never on in production.", kind="bool")
ALLOWED_HOSTS: list[str] = env(
    "MUSUBI_ALLOWED_HOSTS",
    ["localhost", "127.0.0.1", "[::1]", "testserver"],
    "Comma-separated host names this instance answers to.",
    kind="list",
)
CSRF_TRUSTED_ORIGINS: list[str] = env(
    "MUSUBI_CSRF_TRUSTED_ORIGINS",
    [],
    "Comma-separated origins (scheme://host[:port]) trusted for unsafe requests behind a proxy.",
    kind="list",
)
_DATABASE_URL: str = env(
    "MUSUBI_DATABASE_URL",
    "",
    "Database URL (sqlite:///path or postgres://user:pass@host:port/name). "
    "Empty: SQLite file musubi.sqlite3 in MUSUBI_DATA_DIR.",
)
REDIS_URL: str = env(
    "MUSUBI_REDIS_URL",
    "",
    "Redis URL (redis://host:port/db). When set, the cache (login lockout counters, "
    "rate limits) is shared through Redis by every web process. Empty: per-process memory.",
)
_SECRET_KEY: str = env(
    "MUSUBI_SECRET_KEY",
    "",
    "Django secret key. Empty: a random key is generated once and kept in MUSUBI_DATA_DIR.",
)
TIME_ZONE: str = env("MUSUBI_TIME_ZONE", "Asia/Tokyo", "Time zone in which times are shown.")
CITY_FILE: Path = env(
    "MUSUBI_CITY_FILE",
    PACKAGE_DIR.joinpath("platform", "residents", "data", "komagane.json").relative_to(
        PACKAGE_DIR.parent
    ),
    "JSON file describing the municipality (code, name, 区, city hall). "
    "Relative paths are resolved against the musubi package's parent directory.",
    kind="path",
)
if not CITY_FILE.is_absolute():
    CITY_FILE = PACKAGE_DIR.parent / CITY_FILE
EMAIL_BACKEND_NAME: str = choice(
    "MUSUBI_EMAIL_BACKEND",
    "console",
    "Where outgoing mail goes.",
    ("console", "smtp", "memory"),
)
EMAIL_HOST: str = env("MUSUBI_EMAIL_HOST", "localhost", "SMTP server host.")
EMAIL_PORT: int = env("MUSUBI_EMAIL_PORT", 25, "SMTP server port.", kind="int")
EMAIL_HOST_USER: str = env("MUSUBI_EMAIL_USER", "", "SMTP user name (empty: no login).")
EMAIL_HOST_PASSWORD: str = env("MUSUBI_EMAIL_PASSWORD", "", "SMTP password.")
EMAIL_USE_TLS: bool = env("MUSUBI_EMAIL_STARTTLS", False, "Use STARTTLS for SMTP.", kind="bool")
DEFAULT_FROM_EMAIL: str = env(
    "MUSUBI_EMAIL_FROM", "noreply@musubi.localhost", "Sender address of outgoing mail."
)
SITE_URL: str = env(
    "MUSUBI_SITE_URL",
    "http://localhost:8000",
    "Public base URL of this instance, used in links sent by email and in the URL the SMS "
    "gateway posts delivery receipts to.",
)
WEBAUTHN_RP_ID: str = env(
    "MUSUBI_WEBAUTHN_RP_ID",
    "",
    "WebAuthn relying-party id for staff passkeys: the domain the passkeys are bound to "
    "(e.g. city.example.jp). Changing it makes registered passkeys unusable. "
    "Empty: the host of MUSUBI_SITE_URL.",
)
STAFF_IDLE_TIMEOUT_MINUTES: int = env(
    "MUSUBI_STAFF_IDLE_TIMEOUT_MINUTES",
    30,
    "Staff sessions end after this many minutes without a request.",
    kind="int",
)
LOGIN_LOCKOUT_THRESHOLD: int = env(
    "MUSUBI_LOGIN_LOCKOUT_THRESHOLD",
    5,
    "Failed logins in a row after which an account is locked.",
    kind="int",
)
LOGIN_LOCKOUT_MINUTES: int = env(
    "MUSUBI_LOGIN_LOCKOUT_MINUTES", 15, "How long a locked account stays locked.", kind="int"
)
EMAIL_VERIFICATION_HOURS: int = env(
    "MUSUBI_EMAIL_VERIFICATION_HOURS",
    72,
    "How long the link in a resident's email-verification message stays valid.",
    kind="int",
)
OIDC_ISSUER: str = env(
    "MUSUBI_OIDC_ISSUER",
    "",
    "Issuer URL of the residents' OpenID Connect provider (e.g. the デジタル認証アプリ). "
    "Empty: OIDC login is not offered.",
)
OIDC_CLIENT_ID: str = env(
    "MUSUBI_OIDC_CLIENT_ID", "", "OIDC client_id registered with the provider."
)
OIDC_CLIENT_SECRET: str = env(
    "MUSUBI_OIDC_CLIENT_SECRET",
    "",
    "OIDC client secret (client_secret_basic). Leave empty when using a private key.",
)
OIDC_PRIVATE_KEY_FILE: str = env(
    "MUSUBI_OIDC_PRIVATE_KEY_FILE",
    "",
    "PEM private key for private_key_jwt client authentication "
    "(preferred by the デジタル認証アプリ).",
)
OIDC_SCOPES: list[str] = env(
    "MUSUBI_OIDC_SCOPES",
    ["openid", "name", "address", "birthdate", "gender"],
    "Scopes requested from the OIDC provider.",
    kind="list",
)
RECEIPT_PREFIX: str = env(
    "MUSUBI_RECEIPT_PREFIX",
    "KMG",
    "Prefix of application receipt numbers (受付番号), e.g. KMG → KMG-2026-000123.",
)
FILES_UPLOAD_MAX_MB: int = env(
    "MUSUBI_UPLOAD_MAX_MB",
    10,
    "Largest accepted attachment, in MB (per file).",
    kind="int",
)
FILES_UPLOAD_MAX_TOTAL_MB: int = env(
    "MUSUBI_UPLOAD_MAX_TOTAL_MB",
    30,
    "Largest total size of the files sent in one upload request, in MB.",
    kind="int",
)
FILES_ACCEPTED_KINDS: list[str] = env(
    "MUSUBI_UPLOAD_ACCEPTED_KINDS",
    ["pdf", "jpeg", "png"],
    "Comma-separated attachment formats accepted (judged by content): any of pdf, jpeg, png.",
    kind="list",
)
if _unknown_kinds := set(FILES_ACCEPTED_KINDS) - {"pdf", "jpeg", "png"}:
    raise ConfigurationError(
        f"MUSUBI_UPLOAD_ACCEPTED_KINDS: unknown format(s) {', '.join(sorted(_unknown_kinds))}"
    )
SIGNATURE_TRUST_ANCHORS: str = env(
    "MUSUBI_SIGNATURE_TRUST_ANCHORS",
    "",
    "PEM file, or directory of PEM/DER certificates, of the root CAs trusted for electronic "
    "signatures on applications (e.g. the JPKI signing CA). Empty: no signature is trusted.",
)
SIGNATURE_CRLS: str = env(
    "MUSUBI_SIGNATURE_CRLS",
    "",
    "PEM/DER file, or directory of them, of certificate revocation lists used to check "
    "signing certificates (CRLs included in a signature are used too). Keep them fresh: "
    "a CRL past its nextUpdate makes verification indeterminate.",
)
MAP_TILE_URL: str = env(
    "MUSUBI_MAP_TILE_URL",
    "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png",
    "XYZ tile URL of the base map in the map viewer (default: 地理院タイル, standard map).",
)
MAP_TILE_ATTRIBUTION: str = env(
    "MUSUBI_MAP_TILE_ATTRIBUTION",
    '<a href="https://maps.gsi.go.jp/development/ichiran.html">国土地理院</a>',
    "Attribution HTML shown on the map for the base map tiles.",
)

PAYMENTS_PROVIDERS: list[str] = env(
    "MUSUBI_PAYMENTS_PROVIDERS",
    ["demo"],
    "Comma-separated payment providers residents may pay through. The demo provider takes "
    "no money (its payment page is labelled デモ): leave it out in production.",
    kind="list",
)
PAYMENTS_DEMO_SECRET: str = env(
    "MUSUBI_PAYMENTS_DEMO_SECRET",
    "",
    "Shared secret with which the demo payment provider signs its webhooks "
    "(HMAC-SHA256 over timestamp + body). Empty: derived from the Django secret key, "
    "which is enough for the demo because it signs and verifies in the same instance.",
)

LINE_API_URL: str = env(
    "MUSUBI_LINE_API_URL",
    "https://api.line.me",
    "Base URL of the LINE Messaging API (a local peer's URL in tests and benchmarks).",
)
LINE_CHANNEL_ACCESS_TOKEN: str = env(
    "MUSUBI_LINE_CHANNEL_ACCESS_TOKEN",
    "",
    "Channel access token of the city's LINE official account. Empty: the LINE channel "
    "answers every delivery as failed (temporary) until it is set.",
)
LINE_CHANNEL_SECRET: str = env(
    "MUSUBI_LINE_CHANNEL_SECRET",
    "",
    "Channel secret of the LINE official account; verifies the x-line-signature of webhook "
    "calls. Empty: every webhook call is refused.",
)
SMS_API_URL: str = env(
    "MUSUBI_SMS_API_URL",
    "https://api.twilio.com",
    "Base URL of the SMS provider's Messages API (Twilio-compatible).",
)
SMS_ACCOUNT_SID: str = env("MUSUBI_SMS_ACCOUNT_SID", "", "SMS provider account SID (user name).")
SMS_AUTH_TOKEN: str = env("MUSUBI_SMS_AUTH_TOKEN", "", "SMS provider auth token (password).")
SMS_FROM: str = env(
    "MUSUBI_SMS_FROM",
    "",
    "Sender of SMS: an E.164 number or an alphanumeric sender ID registered with the provider.",
)
VAPID_PRIVATE_KEY: str = env(
    "MUSUBI_VAPID_PRIVATE_KEY",
    "",
    "Web Push VAPID private key (PEM, or the raw P-256 key in base64url). Empty: a key pair "
    "is generated once and kept in MUSUBI_DATA_DIR (fine for the demo; set it in production, "
    "since browsers' subscriptions are bound to the public key).",
)
VAPID_PUBLIC_KEY: str = env(
    "MUSUBI_VAPID_PUBLIC_KEY",
    "",
    "Web Push VAPID public key (uncompressed P-256 point in base64url), given to browsers. "
    "Empty: derived from the private key.",
)
VAPID_SUBJECT: str = env(
    "MUSUBI_VAPID_SUBJECT",
    "",
    "Contact the push services may use (mailto: or https: URL). Empty: mailto:MUSUBI_EMAIL_FROM.",
)
NOTIFY_LEASE_SECONDS: int = env(
    "MUSUBI_NOTIFY_LEASE_SECONDS",
    120,
    "How long an outbox worker holds the deliveries it claimed; after a crash they are "
    "retried (with the same idempotency key) once this has passed.",
    kind="int",
)
NOTIFY_EMERGENCY_SENDERS: int = env(
    "MUSUBI_NOTIFY_EMERGENCY_SENDERS",
    4,
    "How many senders each outbox worker runs per channel in the emergency lane, each with its "
    "own SMTP connection (routine notices use one). They prepare messages side by side and "
    "hand them over one at a time, each after the last was recorded, so a worker killed "
    "mid-broadcast repeats no email whatever the number. Each channel's rate limit and a "
    "provider's 429 back-off apply to all of them together. Keep it within the connections "
    "your providers allow (at least 1).",
    kind="int",
)
NOTIFY_EMERGENCY_SECOND_APPROVER: bool = env(
    "MUSUBI_NOTIFY_EMERGENCY_SECOND_APPROVER",
    False,
    "Emergency notices need a second staff member's approval before they are sent, "
    "unless their template is pre-approved for emergencies.",
    kind="bool",
)

for _directory in (DATA_DIR, DATA_DIR / "static", DATA_DIR / "files"):
    _directory.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if _SECRET_KEY:
        return _SECRET_KEY
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()


def _database(url: str) -> dict:
    if not url:
        url = f"sqlite:///{DATA_DIR / 'musubi.sqlite3'}"
    try:
        config = dj_database_url.parse(url, conn_max_age=60)
    except ValueError as exc:
        raise ConfigurationError(f"MUSUBI_DATABASE_URL is not a usable URL: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASES = {"default": _database(_DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "musubi.platform.events",
    "musubi.platform.accounts",
    "musubi.platform.audit",
    "musubi.platform.residents",
    "musubi.platform.forms",
    "musubi.platform.files",
    "musubi.platform.signatures",
    "musubi.platform.payments",
    "musubi.platform.notify",
    "musubi.citizen.procedures",
    "musubi.citizen.bookings",
    "musubi.community.circulars",
    "leaflet",
    "musubi.data.maps",
    "musubi.data.opendata",
    "musubi.platform.api",
    "musubi.platform.ui",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "musubi.platform.audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "musubi.platform.accounts.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "musubi.urls"
WSGI_APPLICATION = "musubi.wsgi.application"

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
                "musubi.platform.ui.context.shell",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["musubi.platform.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "ui:home"
LOGOUT_REDIRECT_URL = "ui:home"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "files"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}[EMAIL_BACKEND_NAME]

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# notify-emergency first: a worker listening to several queues takes emergencies before routine
# mail; notify: the hub's routine lane.
TASK_QUEUES = ["notify-emergency", "notify", "default"]
# Background work waits in the database by default (nothing else to run); with Redis configured
# it goes through RQ, so workers can be added side by side on other machines.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_rq.RQBackend" if REDIS_URL else "django_tasks_db.DatabaseBackend",
        "QUEUES": TASK_QUEUES,
    }
}
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {name: {"URL": REDIS_URL} for name in TASK_QUEUES}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "musubi.platform.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "musubi.platform.api.pagination.Pagination",
    "EXCEPTION_HANDLER": "musubi.platform.api.problems.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Musubi API",
    "DESCRIPTION": "Public and staff API of a Musubi municipal platform instance.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "LICENSE": {"name": "AGPL-3.0-or-later"},
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "musubi.citizen.procedures.models.Status",
        "ResidentStatusEnum": "musubi.platform.residents.models.Status",
        "BookingStatusEnum": "musubi.citizen.bookings.models.Status",
        "BookingChannelEnum": "musubi.citizen.bookings.models.Channel",
        "ReviewStatusEnum": "musubi.citizen.bookings.models.ReviewStatus",
        "ApplicationChannelEnum": "musubi.citizen.procedures.models.Channel",
        "PaymentStateEnum": "musubi.platform.payments.models.State",
        "MessageStateEnum": "musubi.platform.notify.models.MessageState",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
