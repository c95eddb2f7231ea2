"""Django settings. Everything an operator changes comes from the environment (see README)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from dailypapers.core.data_folder import home_dir, secret_key


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Per-client limits (dailypapers.core.limits) are rates: "N/<window>", N events per window, the window
# s, m, h or d with an optional count before it ("300/m", "10/h", "5/15m", "5/900s"); empty: no limit.
# They are counted in the database, so they hold across every server process.
def env_rate(name: str, default: int, window: str) -> str:
    """A rate from a count in the environment and a window; a count of 0 turns the limit off."""
    count = int(os.environ.get(name, str(default)))
    return f"{count}/{window}" if count else ""


PACKAGE_DIR = Path(__file__).resolve().parent
HOME = home_dir()

SECRET_KEY = secret_key(HOME)
DEBUG = env_bool("DAILYPAPERS_DEBUG")
ALLOWED_HOSTS = env_list("DAILYPAPERS_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DAILYPAPERS_CSRF_TRUSTED_ORIGINS", "")

SITE_NAME = os.environ.get("DAILYPAPERS_SITE_NAME", "Daily Papers")
# The calendar day of the feed follows arXiv's announcement clock, as Hugging Face's does.
FEED_TIME_ZONE = os.environ.get("DAILYPAPERS_FEED_TIMEZONE", "America/New_York")
PAPERS_PER_PAGE = int(os.environ.get("DAILYPAPERS_PAPERS_PER_PAGE", "50"))
# The public address of the site, for links in e-mails and feeds and in our User-Agent.
SITE_URL = os.environ.get("DAILYPAPERS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Sources of papers (see dailypapers.sources). Base URLs are settings so tests can point them at
# local servers, and so can an operator behind a mirror.
ARXIV_CATEGORIES = os.environ.get("DAILYPAPERS_CATEGORIES", "cs.AI cs.CL cs.CV cs.LG cs.RO stat.ML").split()
ARXIV_OAI_URL = os.environ.get("DAILYPAPERS_ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai")
ARXIV_API_URL = os.environ.get("DAILYPAPERS_ARXIV_API_URL", "https://export.arxiv.org/api/query")
ARXIV_RSS_URL = os.environ.get("DAILYPAPERS_ARXIV_RSS_URL", "https://rss.arxiv.org/rss/")
# OAI-PMH: arXivRaw carries every version's date; "arXiv" is the other format arXiv serves.
ARXIV_OAI_METADATA_PREFIX = os.environ.get("DAILYPAPERS_ARXIV_OAI_FORMAT", "arXivRaw")
# How far back the very first harvest of a set reaches (load older papers from a snapshot instead).
ARXIV_OAI_FIRST_HARVEST_DAYS = int(os.environ.get("DAILYPAPERS_ARXIV_OAI_FIRST_DAYS", "2"))
ARXIV_CONTACT_EMAIL = os.environ.get("DAILYPAPERS_CONTACT_EMAIL", "admin@localhost")
# arXiv asks robots for no more than one request every 3 seconds.
ARXIV_DELAY_SECONDS = float(os.environ.get("DAILYPAPERS_ARXIV_DELAY", "3"))
SOURCE_RETRIES = int(os.environ.get("DAILYPAPERS_SOURCE_RETRIES", "5"))
SOURCE_BACKOFF_SECONDS = float(os.environ.get("DAILYPAPERS_SOURCE_BACKOFF", "10"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Bottom up: an app imports only the apps above it in this list (tests/test_layers.py).
    "dailypapers.core",
    "dailypapers.papers",
    "dailypapers.sources",
    "dailypapers.search",
    "dailypapers.community",
    "dailypapers.accounts",
    "dailypapers.digests",
    "dailypapers.api",
    "dailypapers.front",
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

ROOT_URLCONF = "dailypapers.urls"
WSGI_APPLICATION = "dailypapers.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dailypapers.front.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{HOME / 'dailypapers.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests that run our commands in subprocesses need a database file they can open too.
    DATABASES["default"]["TEST"] = {"NAME": str(HOME / "test-dailypapers.sqlite3")}
    # WAL lets readers (the web server) carry on while an import writes. 16 KiB pages (for a new
    # database; an existing one keeps its own) made the snapshot import about 15% faster.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; "
        "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = FEED_TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names in production; plain files while developing or testing.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or env_bool("DAILYPAPERS_PLAIN_STATIC")
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DAILYPAPERS_HTTPS"):
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind a reverse proxy: the request header naming the client, as Django spells it in META (e.g.
# HTTP_X_REAL_IP or HTTP_X_FORWARDED_FOR), so that every per-client limit counts clients, not the
# proxy (dailypapers.core.clients). Behind the TLS proxy of DAILYPAPERS_HTTPS: X-Forwarded-For.
# (DAILYPAPERS_API_CLIENT_IP_HEADER is its earlier name.)
CLIENT_IP_HEADER = (
    os.environ.get("DAILYPAPERS_CLIENT_IP_HEADER")
    or os.environ.get("DAILYPAPERS_API_CLIENT_IP_HEADER")
    or ("HTTP_X_FORWARDED_FOR" if env_bool("DAILYPAPERS_HTTPS") else "")
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "dailypapers": {"handlers": ["console"], "level": os.environ.get("DAILYPAPERS_LOG_LEVEL", "INFO")},
        # Server errors reach the operator's log with their traceback; readers see the 500 page.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# E-mail (sign-up, password reset, digests). With no SMTP host set, mail is written to the console log
# so a fresh install works offline; set DAILYPAPERS_EMAIL_HOST to deliver for real.
EMAIL_HOST = os.environ.get("DAILYPAPERS_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("DAILYPAPERS_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DAILYPAPERS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DAILYPAPERS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DAILYPAPERS_EMAIL_STARTTLS")
EMAIL_USE_SSL = env_bool("DAILYPAPERS_EMAIL_SSL")
EMAIL_TIMEOUT = int(os.environ.get("DAILYPAPERS_EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DAILYPAPERS_FROM_EMAIL", "Daily Papers <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# --- Search (dailypapers.search) ---
# Index files (derived from the database, rebuildable with `dailypapers index --rebuild`).
SEARCH_DIR = Path(os.environ.get("DAILYPAPERS_SEARCH_DIR") or HOME / "search")
# A folder with model.onnx + tokenizer.json (a sentence-transformers model exported to ONNX, see
# tools/export_model.py); empty: the bundled all-MiniLM-L6-v2 int8. Changing it re-embeds every paper.
SEARCH_MODEL_DIR = os.environ.get("DAILYPAPERS_SEARCH_MODEL_DIR", "")
# onnxruntime threads per query embedding; 1 keeps latency steady when server processes share cores.
SEARCH_MODEL_THREADS = int(os.environ.get("DAILYPAPERS_SEARCH_MODEL_THREADS", "1"))
# From this many vectors on, nearest neighbours come from an hnswlib graph instead of an exact scan.
# An exact scan of 100k vectors reads 150 MB per query (~80 ms on this shared 2-core machine); the
# graph answers in about a millisecond with recall ~0.98.
SEARCH_HNSW_THRESHOLD = int(os.environ.get("DAILYPAPERS_SEARCH_HNSW_THRESHOLD", "20000"))
# Share of the hybrid score that comes from BM25 (the rest from embedding cosine); see README.
SEARCH_LEXICAL_WEIGHT = float(os.environ.get("DAILYPAPERS_SEARCH_LEXICAL_WEIGHT", "0.4"))
# Set to 0 to search with BM25 only (no model loaded, nothing embedded).
SEARCH_SEMANTIC = os.environ.get("DAILYPAPERS_SEARCH_SEMANTIC", "1").lower() not in {"0", "false", "no", ""}

# --- Accounts and community (dailypapers.accounts, dailypapers.community) ---

# Argon2 first: new passwords and every sign-in upgrade to it; the others read older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "front:home"
LOGOUT_REDIRECT_URL = "front:home"
# How long a sign-up or new-address verification link, and a password reset link, stay valid.
ACCOUNTS_VERIFY_HOURS = int(os.environ.get("DAILYPAPERS_VERIFY_HOURS", "72"))
PASSWORD_RESET_TIMEOUT = int(os.environ.get("DAILYPAPERS_PASSWORD_RESET_HOURS", "24")) * 3600
# Failed sign-ins allowed per account name within the window (DAILYPAPERS_LOGIN_WINDOW, seconds),
# then refused until it passes: "5/900s" by default.
_LOGIN_WINDOW = f"{int(os.environ.get('DAILYPAPERS_LOGIN_WINDOW', '900'))}s"
ACCOUNTS_LOGIN_RATE = env_rate("DAILYPAPERS_LOGIN_ATTEMPTS", 5, _LOGIN_WINDOW)
# Per client address the allowance is larger: a lab behind one NAT address shares it.
ACCOUNTS_LOGIN_RATE_PER_ADDRESS = env_rate("DAILYPAPERS_LOGIN_ATTEMPTS_PER_ADDRESS", 20, _LOGIN_WINDOW)
# Sign-ups allowed per client address per hour (bots).
ACCOUNTS_SIGNUP_RATE = env_rate("DAILYPAPERS_SIGNUPS_PER_HOUR", 10, "h")

# Submissions: a paper older than this (days since its first arXiv version) is refused; 0 = no limit.
SUBMIT_MAX_AGE_DAYS = int(os.environ.get("DAILYPAPERS_SUBMIT_MAX_AGE_DAYS", "14"))
# Submissions one member may make per feed day.
SUBMIT_PER_DAY = int(os.environ.get("DAILYPAPERS_SUBMIT_PER_DAY", "5"))
# A paper already on the feed can be submitted again only after this many days; 0 = never again.
SUBMIT_RELIST_AFTER_DAYS = int(os.environ.get("DAILYPAPERS_SUBMIT_RELIST_AFTER_DAYS", "0"))
# Papers not yet in the catalogue are looked up on arXiv (off: only catalogued papers can be submitted).
SUBMIT_FETCH_FROM_ARXIV = env_bool("DAILYPAPERS_SUBMIT_FETCH_FROM_ARXIV", True)
# Comments: longest body in characters; how many one member may post per hour.
COMMENT_MAX_LENGTH = int(os.environ.get("DAILYPAPERS_COMMENT_MAX_LENGTH", "10000"))
COMMENTS_PER_HOUR = int(os.environ.get("DAILYPAPERS_COMMENTS_PER_HOUR", "30"))
# Trending (see dailypapers/papers/ranking.py and /about/ranking):
#   score = (votes + COMMENT_WEIGHT x comments) / (hours since listed + OFFSET) ^ GRAVITY
TRENDING_GRAVITY = float(os.environ.get("DAILYPAPERS_TRENDING_GRAVITY", "1.8"))
TRENDING_OFFSET_HOURS = float(os.environ.get("DAILYPAPERS_TRENDING_OFFSET_HOURS", "2"))
TRENDING_COMMENT_WEIGHT = float(os.environ.get("DAILYPAPERS_TRENDING_COMMENT_WEIGHT", "0.5"))
# /papers/trending considers papers listed within this many days.
TRENDING_DAYS = int(os.environ.get("DAILYPAPERS_TRENDING_DAYS", "7"))

# --- Digests (dailypapers.digests) ---
# Digests go out at this hour of the feed's clock: a day's digest the next morning, a week's on Monday.
DIGEST_SEND_HOUR = int(os.environ.get("DAILYPAPERS_DIGEST_SEND_HOUR", "6"))
DIGEST_FROM_EMAIL = os.environ.get("DAILYPAPERS_DIGEST_FROM_EMAIL", DEFAULT_FROM_EMAIL)
# Transient SMTP failures (4xx, server down) are retried after 1, 2, 4, ... times this many seconds.
DIGEST_RETRY_BACKOFF = float(os.environ.get("DAILYPAPERS_DIGEST_RETRY_BACKOFF", "60"))
DIGEST_MAX_ATTEMPTS = int(os.environ.get("DAILYPAPERS_DIGEST_MAX_ATTEMPTS", "8"))
# A digest claimed by a worker on another host that has not finished in this long is sent again.
DIGEST_CLAIM_TIMEOUT = float(os.environ.get("DAILYPAPERS_DIGEST_CLAIM_TIMEOUT", "600"))
# SMTP connections a sender uses at once (each in its own thread); most relays accept several.
DIGEST_SMTP_CONNECTIONS = int(os.environ.get("DAILYPAPERS_DIGEST_SMTP_CONNECTIONS", "4"))
# Seconds to wait before each message (per connection), for relays that limit how fast they accept mail.
DIGEST_THROTTLE = float(os.environ.get("DAILYPAPERS_DIGEST_THROTTLE", "0"))
# Subscribe requests per client address (a rate, see env_rate); empty turns the limit off.
DIGEST_SUBSCRIBE_RATE = os.environ.get("DAILYPAPERS_DIGEST_SUBSCRIBE_RATE", "10/h")
# A saved search's hit counts when the query's words are in the paper or its meaning is this close
# (cosine of the search engine's embeddings).
DIGEST_SEARCH_MIN_SIMILARITY = float(os.environ.get("DAILYPAPERS_DIGEST_SEARCH_MIN_SIMILARITY", "0.45"))
# The same address gets at most one confirmation e-mail in this many seconds.
DIGEST_CONFIRM_RESEND_SECONDS = int(os.environ.get("DAILYPAPERS_DIGEST_CONFIRM_RESEND", "120"))

# --- API and feeds (dailypapers.api) ---
# Requests per client (per token for writes, per IP address otherwise), as rates (see env_rate);
# empty turns a limit off.
API_RATE_LIMITS = {
    "read": os.environ.get("DAILYPAPERS_API_READ_RATE", "300/m"),
    "write": os.environ.get("DAILYPAPERS_API_WRITE_RATE", "30/m"),
}
API_DEFAULT_LIMIT = int(os.environ.get("DAILYPAPERS_API_DEFAULT_LIMIT", "50"))
API_MAX_LIMIT = 100  # Hugging Face's bound; clients rely on it
API_MAX_TOKENS = int(os.environ.get("DAILYPAPERS_API_MAX_TOKENS", "10"))  # live tokens per member
API_FEED_ITEMS = int(os.environ.get("DAILYPAPERS_FEED_ITEMS", "50"))
