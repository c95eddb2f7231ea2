"""Django settings. Everything an operator changes comes from the environment: each setting below that
is read with `env.*` is named as its variable without the DAILYPAPERS_ prefix (DAILYPAPERS_SITE_URL sets
SITE_URL), except where Django names the setting itself (noted beside it). The README's configuration
table is generated from these lines (`python tools/settings_table.py`) and a test keeps the two equal.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dailypapers.core import env
from dailypapers.core.data_folder import home_dir, secret_key

PACKAGE_DIR = Path(__file__).resolve().parent

# --- The site ---
HOME = home_dir()
SECRET_KEY = secret_key(HOME)
DEBUG = env.flag("DEBUG", False, "Django's debug pages; never in production")
ALLOWED_HOSTS = env.items(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"], "comma-separated host names the site answers to"
)
CSRF_TRUSTED_ORIGINS = env.items(
    "CSRF_TRUSTED_ORIGINS",
    [],
    "comma-separated origins, e.g. `https://papers.example.org` behind a TLS proxy",
)
HTTPS = env.flag("HTTPS", False, "behind a TLS proxy: secure cookies, trusts `X-Forwarded-Proto`")
SECURE_SSL_REDIRECT = env.flag(
    "SSL_REDIRECT",
    HTTPS,
    "redirect a request the proxy passed on as plain HTTP to HTTPS (Django's SECURE_SSL_REDIRECT)",
    shown="on with `DAILYPAPERS_HTTPS`",
)
# HSTS is off by default: once a browser has seen it, the site cannot go back to plain HTTP for that
# long, so only the operator can decide it (README, "Security headers"). Browsers ignore it over HTTP.
SECURE_HSTS_SECONDS = env.integer(
    "HSTS_SECONDS",
    0,
    "Strict-Transport-Security max-age over HTTPS (Django's SECURE_HSTS_SECONDS); 0: no header",
)
if SECURE_HSTS_SECONDS < 0:
    raise ImproperlyConfigured(f"DAILYPAPERS_HSTS_SECONDS must be 0 or more, not {SECURE_HSTS_SECONDS}.")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.flag(
    "HSTS_INCLUDE_SUBDOMAINS",
    False,
    "HSTS covers every subdomain too (Django's SECURE_HSTS_INCLUDE_SUBDOMAINS)",
)
SECURE_HSTS_PRELOAD = env.flag(
    "HSTS_PRELOAD", False, "HSTS asks to be on browsers' preload list (Django's SECURE_HSTS_PRELOAD)"
)
CLIENT_IP_HEADER = env.text(
    "CLIENT_IP_HEADER",
    "HTTP_X_FORWARDED_FOR" if HTTPS else "",
    "behind a reverse proxy, the header naming the client, as Django's `META` key (`HTTP_X_REAL_IP`, "
    "`HTTP_X_FORWARDED_FOR`: its last entry, the one your proxy added). Every per-client limit counts by it; "
    "without it they count the proxy's address",
    shown="empty (`HTTP_X_FORWARDED_FOR` with `DAILYPAPERS_HTTPS`)",
    earlier="API_CLIENT_IP_HEADER",
)
SITE_NAME = env.text("SITE_NAME", "Daily Papers", "shown in the header and titles")
# The calendar day of the feed follows arXiv's announcement clock, as Hugging Face's does.
FEED_TIMEZONE = env.text(
    "FEED_TIMEZONE", "America/New_York", "the time zone of the feed day (arXiv's and Hugging Face's)"
)
PAPERS_PER_PAGE = env.integer("PAPERS_PER_PAGE", 50, "papers per feed page")
SITE_URL = env.text(
    "SITE_URL",
    "http://127.0.0.1:8000",
    "the public address, for links in e-mails and feeds and the User-Agent; unset, `serve` uses its own "
    "`--host`/`--port`",
).rstrip("/")
LOG_LEVEL = env.text("LOG_LEVEL", "INFO", "log level of the `dailypapers` loggers")
PLAIN_STATIC = env.flag("PLAIN_STATIC", False, "serve static files under their plain names (development)")

# --- Sources of papers (dailypapers.sources) ---
# Base URLs are settings so tests can point them at local servers, and so can an operator behind a mirror.
CATEGORIES = env.items(
    "CATEGORIES",
    ["cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.RO", "stat.ML"],
    "arXiv categories `sync` follows, separated by spaces (an archive such as `cs` covers all of it)",
    separator=None,
)
CONTACT_EMAIL = env.text(
    "CONTACT_EMAIL", "admin@localhost", "your address in the User-Agent, as arXiv asks of harvesters"
)
# arXiv asks robots for no more than one request every 3 seconds.
ARXIV_DELAY = env.number("ARXIV_DELAY", 3, "seconds between requests to arXiv")
SOURCE_RETRIES = env.integer(
    "SOURCE_RETRIES", 5, "retries of a transient failure (429, 5xx, timeout) before a source fails"
)
SOURCE_BACKOFF = env.number(
    "SOURCE_BACKOFF",
    10,
    "first retry wait in seconds, doubling each time (unless `Retry-After` says otherwise)",
)
ARXIV_RSS_URL = env.text("ARXIV_RSS_URL", "https://rss.arxiv.org/rss/", "RSS listing base URL")
ARXIV_OAI_URL = env.text("ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai", "OAI-PMH base URL")
# arXivRaw carries every version's date; "arXiv" is the other format arXiv serves.
ARXIV_OAI_FORMAT = env.text("ARXIV_OAI_FORMAT", "arXivRaw", "OAI metadata format: `arXivRaw` or `arXiv`")
ARXIV_OAI_FIRST_DAYS = env.integer(
    "ARXIV_OAI_FIRST_DAYS", 2, "how far back the first harvest of a set reaches (older papers: a snapshot)"
)
ARXIV_API_URL = env.text("ARXIV_API_URL", "https://export.arxiv.org/api/query", "arXiv API URL")
# GitHub stars (`dailypapers stars`, dailypapers/sources/github_stars.py)
GITHUB_API_URL = env.text("GITHUB_API_URL", "https://api.github.com", "GitHub REST API base URL (stars)")
GITHUB_TOKEN = env.text(
    "GITHUB_TOKEN",
    "",
    "GitHub token for `dailypapers stars` (5,000 requests an hour instead of 60); no scope needed",
)
STARS_WORKER = env.flag(
    "STARS_WORKER", True, "`serve --sync` also runs the `stars --loop` worker (GitHub stars of papers' code)"
)
STARS_INTERVAL = env.number(
    "STARS_INTERVAL", 60, "seconds between the stars worker's passes (also --loop's default)"
)
STARS_RECHECK_HOURS = env.number(
    "STARS_RECHECK_HOURS", 12, "hours between two checks of one repository's stars"
)
STARS_PER_PASS = env.integer(
    "STARS_PER_PASS", 500, "repositories the stars worker checks at most in one pass"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Bottom up: an app imports only the apps above it in this list (tests/core/test_layers.py).
    "dailypapers.core",
    "dailypapers.papers",
    "dailypapers.sources",
    "dailypapers.search",
    "dailypapers.community",
    "dailypapers.accounts",
    "dailypapers.collections",
    "dailypapers.recommend",
    "dailypapers.digests",
    "dailypapers.api",
    "dailypapers.front",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First after Django's own headers, so that static files and error pages carry the policy too.
    "dailypapers.front.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: a NUL, a lone surrogate or bytes that are not UTF-8 are a 400.
    "dailypapers.core.user_text.RefuseBadInput",
    # 503 + Retry-After while the database is away (a restart), in place of a 500.
    "dailypapers.core.db_unavailable.DatabaseUnavailableMiddleware",
    # Anonymous readers' shared pages, before sessions and the view (dailypapers.core.pagecache).
    "dailypapers.core.pagecache.SharedPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dailypapers.urls"
CSRF_FAILURE_VIEW = "dailypapers.front.views.csrf_failure"  # JSON under /api/, like every API error
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
                "dailypapers.community.context_processors.notifications",
                # After Django's own csrf processor: a page rendered to be shared gets a placeholder.
                "dailypapers.core.pagecache.csrf_placeholder",
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
    # Kept open like PostgreSQL's (a minute, per server thread): opening a SQLite connection (its
    # pragmas, Django's functions) cost more than serving a cached page (core.pagecache) does.
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

# Rendered pages shared by many readers (dailypapers.core.pagecache). Local memory in each server
# process: nothing to set up, and correct across processes and nodes because every key holds the
# content stamp read from the database.
PAGE_CACHE_SECONDS = env.integer(
    "PAGE_CACHE_SECONDS",
    60,
    "longest a rendered feed, paper page, API or RSS answer is reused (any vote, comment or listing "
    "renews it at once; this bounds what changes with the clock alone); 0: no page cache",
)
if PAGE_CACHE_SECONDS < 0:
    raise ImproperlyConfigured(f"DAILYPAPERS_PAGE_CACHE_SECONDS must be 0 or more, not {PAGE_CACHE_SECONDS}.")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = FEED_TIMEZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names in production; plain files while developing or testing.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or PLAIN_STATIC
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# --- Cache and sessions (several web nodes: README, "Running several nodes") ---
# Without a URL each process keeps its own small in-memory cache: nothing to set up. With Redis the
# nodes share one, and the limits count there; an unreachable Redis is a cache that misses
# (core/cache.py), never a 500, and the limits count as they do without it (core/limits.py).
CACHE_URL = env.text(
    "CACHE_URL",
    "",
    "`redis://host:6379/0`: the site's cache and the per-client limits' counts in Redis, shared by every "
    "process and node; empty: each process caches in its own memory",
)
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"DAILYPAPERS_CACHE_URL must be a redis://, rediss:// or unix:// URL, not {CACHE_URL[:80]!r}."
    )
CACHES = {
    "default": {"BACKEND": "dailypapers.core.cache.TolerantRedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "dailypapers",
        "OPTIONS": {"MAX_ENTRIES": 1000},
    }
}
SESSIONS_IN_CACHE = env.flag(
    "SESSIONS_IN_CACHE",
    False,
    "sessions read from the cache (Redis) and written through to the database, which stays their "
    "truth (Django's `cached_db`); only with `DAILYPAPERS_CACHE_URL`",
)
if SESSIONS_IN_CACHE and not CACHE_URL:
    raise ImproperlyConfigured("DAILYPAPERS_SESSIONS_IN_CACHE needs DAILYPAPERS_CACHE_URL (a Redis).")
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if SESSIONS_IN_CACHE
    else "dailypapers.accounts.sessions"  # Django's database sessions, read in one plain statement
)
# Django's ModelBackend, the signed-in member read in one plain statement on each request.
AUTHENTICATION_BACKENDS = ["dailypapers.accounts.backends.MemberBackend"]

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A load balancer's health check may ask over plain HTTP on the private side of the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "dailypapers": {"handlers": ["console"], "level": LOG_LEVEL},
        # Server errors reach the operator's log with their traceback; readers see the 500 page.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# --- E-mail (sign-up, password reset, digests) ---
# With no SMTP host, mail is written to the console log, so a fresh install works offline.
EMAIL_HOST = env.text("EMAIL_HOST", "", "SMTP server; empty: mail is written to the log instead")
EMAIL_PORT = env.integer("EMAIL_PORT", 25, "SMTP port")
EMAIL_HOST_USER = env.text("EMAIL_USER", "", "SMTP user name (Django's EMAIL_HOST_USER)")
EMAIL_HOST_PASSWORD = env.text("EMAIL_PASSWORD", "", "SMTP password (Django's EMAIL_HOST_PASSWORD)")
EMAIL_USE_TLS = env.flag("EMAIL_STARTTLS", False, "STARTTLS on the SMTP connection (Django's EMAIL_USE_TLS)")
EMAIL_USE_SSL = env.flag("EMAIL_SSL", False, "SMTP over TLS from the start (Django's EMAIL_USE_SSL)")
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 30, "seconds before an SMTP connection gives up")
DEFAULT_FROM_EMAIL = env.text(
    "FROM_EMAIL", "Daily Papers <noreply@localhost>", "sender of every e-mail (Django's DEFAULT_FROM_EMAIL)"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# --- Search (dailypapers.search) ---
SEARCH_DIR = Path(
    env.text(
        "SEARCH_DIR",
        str(HOME / "search"),
        "search index files (derived from the database; `dailypapers index --rebuild` remakes them)",
        shown="`$DAILYPAPERS_HOME/search`",
    )
)
SEARCH_MODEL_DIR = env.text(
    "SEARCH_MODEL_DIR",
    "",
    "a folder with `model.onnx` + `tokenizer.json` (see `tools/export_model.py`); empty: the bundled "
    "all-MiniLM-L6-v2 int8. Changing it re-embeds every paper",
)
# 1 keeps latency steady when server processes share cores.
SEARCH_MODEL_THREADS = env.integer("SEARCH_MODEL_THREADS", 1, "onnxruntime threads per query embedding")
# An exact scan of 100k vectors reads 150 MB per query (~80 ms on a shared 2-core machine); the graph
# answers in about a millisecond with recall ~0.98.
SEARCH_HNSW_THRESHOLD = env.integer(
    "SEARCH_HNSW_THRESHOLD", 20000, "from this many papers on, nearest neighbours come from a usearch graph"
)
SEARCH_LEXICAL_WEIGHT = env.number(
    "SEARCH_LEXICAL_WEIGHT", 0.4, "share of the hybrid score from BM25 (the rest from embedding cosine)"
)
SEARCH_SEMANTIC = env.flag("SEARCH_SEMANTIC", True, "off: BM25 only, no model loaded, nothing embedded")
# Each node keeps its own index files; with several nodes on one PostgreSQL each must follow what the
# others change (search/follow.py). One node alone needs no follower, hence the default.
SEARCH_FOLLOW = env.flag(
    "SEARCH_FOLLOW",
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql",
    "`serve` starts `dailypapers index --follow` beside the server: this node's search index follows "
    "papers changed through any node sharing the database",
    shown="on with PostgreSQL",
)
# Searches past these wait briefly, then get 503 + Retry-After (search/admission.py). One at a time
# per process: rendering a result page holds the GIL, so a second one only slows the first, and the
# process's other threads stay free to answer cached pages and 503s at once.
SEARCH_CONCURRENCY = env.integer(
    "SEARCH_CONCURRENCY", 1, "searches one server process runs at once; more wait, then get 503 + Retry-After"
)
SEARCH_QUEUE_WAIT = env.number(
    "SEARCH_QUEUE_WAIT", 0.1, "seconds a search waits for a free slot before the 503 (busy) answer"
)
# A query's ranking (per process) and its result pages for visitors without a session (in the site's
# cache) are reused for this long, and never past a change to the index: the same search repeated, or
# its next page, skips the embedding and both indexes. Vote counts on cached pages may lag this much.
SEARCH_CACHE_SECONDS = env.integer(
    "SEARCH_CACHE_SECONDS", 30, "how long a search's ranking and anonymous result pages are reused (0: never)"
)

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
VERIFY_HOURS = env.integer("VERIFY_HOURS", 72, "hours a sign-up or new-address verification link stays valid")
PASSWORD_RESET_HOURS = env.integer("PASSWORD_RESET_HOURS", 24, "hours a password reset link stays valid")
PASSWORD_RESET_TIMEOUT = PASSWORD_RESET_HOURS * 3600  # Django's name, in seconds
# Per-client limits (dailypapers.core.limits) are rates, "N/<window>": "300/m", "10/h", "5/15m";
# empty: no limit. Every server process sees the same counts: in Redis with CACHE_URL, else in the
# database (PostgreSQL) or in the node's counter file (SQLite).
LOGIN_RATE = env.rate(
    "LOGIN_RATE",
    "5/15m",
    "failed sign-ins allowed per account name, then refused until the window passes",
    earlier=("LOGIN_ATTEMPTS", "LOGIN_WINDOW"),
)
# Per client address the allowance is larger: a lab behind one NAT address shares it.
LOGIN_RATE_PER_ADDRESS = env.rate(
    "LOGIN_RATE_PER_ADDRESS",
    "20/15m",
    "failed sign-ins allowed per client address",
    earlier=("LOGIN_ATTEMPTS_PER_ADDRESS", "LOGIN_WINDOW"),
)
SIGNUP_RATE = env.rate("SIGNUP_RATE", "10/h", "sign-ups per client address", earlier=("SIGNUPS_PER_HOUR", ""))
SUBMIT_MAX_AGE_DAYS = env.integer(
    "SUBMIT_MAX_AGE_DAYS",
    14,
    "papers older than this (days since the first arXiv version) are refused; 0: any age",
)
SUBMIT_PER_DAY = env.integer("SUBMIT_PER_DAY", 5, "submissions one member may make per feed day")
SUBMIT_RELIST_AFTER_DAYS = env.integer(
    "SUBMIT_RELIST_AFTER_DAYS",
    0,
    "a paper already on the feed may be submitted again after this many days; 0: never",
)
SUBMIT_FETCH_FROM_ARXIV = env.flag(
    "SUBMIT_FETCH_FROM_ARXIV", True, "look up submitted papers not yet in the catalogue on arXiv"
)
SUBMIT_REQUIRES_CLAIM = env.flag(
    "SUBMIT_REQUIRES_CLAIM",
    False,
    "only members with an approved claim to be one of a paper's authors (and moderators) may submit it",
)
COMMENT_MAX_LENGTH = env.integer("COMMENT_MAX_LENGTH", 10000, "longest comment, in characters")
COMMENTS_PER_HOUR = env.integer("COMMENTS_PER_HOUR", 30, "comments one member may post per hour")
# Trending (dailypapers/papers/ranking.py, /about/ranking):
#   score = (votes + COMMENT_WEIGHT x comments) / (hours since listed + OFFSET) ^ GRAVITY
TRENDING_GRAVITY = env.number("TRENDING_GRAVITY", 1.8, "trending: how fast a paper's score falls with age")
TRENDING_OFFSET_HOURS = env.number("TRENDING_OFFSET_HOURS", 2, "trending: hours added to every paper's age")
TRENDING_COMMENT_WEIGHT = env.number(
    "TRENDING_COMMENT_WEIGHT", 0.5, "trending: what one comment weighs against a vote"
)
TRENDING_DAYS = env.integer(
    "TRENDING_DAYS",
    7,
    "`/papers/trending` ranks papers listed within this many days up to the latest feed day",
)
TRENDING_STAR_DAYS = env.integer(
    "TRENDING_STAR_DAYS", 7, "trending by stars: star growth over this many days"
)

# --- Thumbnails (dailypapers.sources.thumbnails, `dailypapers thumbnails`) ---
THUMBNAIL_WORKER = env.flag(
    "THUMBNAIL_WORKER",
    True,
    "`serve --sync` also runs the `thumbnails --loop` worker (first pages of feed papers from arXiv)",
)
THUMBNAIL_DIR = env.text(
    "THUMBNAIL_DIR",
    str(HOME / "thumbnails"),
    "where rendered thumbnails are kept",
    shown="`$DAILYPAPERS_HOME/thumbnails`",
)
THUMBNAIL_PDF_URL = env.text(
    "THUMBNAIL_PDF_URL", "https://arxiv.org/pdf", "base URL of the PDFs thumbnails are drawn from"
)
THUMBNAIL_MAX_PDF_BYTES = env.integer(
    "THUMBNAIL_MAX_PDF_BYTES",
    50_000_000,
    "a PDF larger than this is not downloaded (the paper keeps its cover)",
)
THUMBNAIL_DAYS = env.integer(
    "THUMBNAIL_DAYS", 30, "papers listed on the feed within this many days get a rendered thumbnail"
)
THUMBNAIL_INTERVAL = env.number("THUMBNAIL_INTERVAL", 60, "seconds between the thumbnail worker's passes")
THUMBNAIL_RETRY_BACKOFF = env.number(
    "THUMBNAIL_RETRY_BACKOFF",
    3600,
    "a failed thumbnail is tried again after 1, 2, 4, ... times this many seconds (a week at most)",
)
THUMBNAIL_CLAIM_TIMEOUT = env.number(
    "THUMBNAIL_CLAIM_TIMEOUT",
    300,
    "seconds after which a paper held by a vanished thumbnail worker is rendered again",
)

# --- "For you" (dailypapers.recommend.ranking, `dailypapers recommend`) ---
RECOMMEND_WORKER = env.flag(
    "RECOMMEND_WORKER", True, "`serve` runs the `recommend --loop` worker (members' models) beside the server"
)
RECOMMEND_INTERVAL = env.number(
    "RECOMMEND_INTERVAL", 10, "seconds between the recommend worker's passes (also --loop's default)"
)
RECOMMEND_CLAIM_TIMEOUT = env.number(
    "RECOMMEND_CLAIM_TIMEOUT", 60, "seconds after which a member held by a vanished trainer is trained again"
)

# --- Digests (dailypapers.digests) ---
DIGEST_SEND_HOUR = env.integer(
    "DIGEST_SEND_HOUR",
    6,
    "hour of the feed's clock digests go out (a day's the next morning, a week's on Monday)",
)
DIGEST_FROM_EMAIL = env.text(
    "DIGEST_FROM_EMAIL", DEFAULT_FROM_EMAIL, "sender of digests", shown="`DAILYPAPERS_FROM_EMAIL`'s value"
)
DIGEST_RETRY_BACKOFF = env.number(
    "DIGEST_RETRY_BACKOFF",
    60,
    "transient SMTP failures are retried after 1, 2, 4, ... times this many seconds",
)
DIGEST_MAX_ATTEMPTS = env.integer("DIGEST_MAX_ATTEMPTS", 8, "attempts before a digest is given up")
DIGEST_CLAIM_TIMEOUT = env.number(
    "DIGEST_CLAIM_TIMEOUT", 600, "seconds after which a digest claimed by a vanished worker is sent again"
)
DIGEST_SMTP_CONNECTIONS = env.integer("DIGEST_SMTP_CONNECTIONS", 4, "SMTP connections a sender uses at once")
DIGEST_THROTTLE = env.number(
    "DIGEST_THROTTLE", 0, "seconds to wait before each message, per connection (for relays that limit speed)"
)
DIGEST_SUBSCRIBE_RATE = env.rate("DIGEST_SUBSCRIBE_RATE", "10/h", "subscribe requests per client address")
DIGEST_SEARCH_MIN_SIMILARITY = env.number(
    "DIGEST_SEARCH_MIN_SIMILARITY",
    0.45,
    "a saved search's hit counts when its words are in the paper or its meaning is this close (cosine)",
)
DIGEST_CONFIRM_RESEND = env.integer(
    "DIGEST_CONFIRM_RESEND", 120, "seconds before the same address gets another confirmation e-mail"
)

# --- API and feeds (dailypapers.api) ---
# Per token for writes, per client address otherwise.
API_READ_RATE = env.rate("API_READ_RATE", "300/m", "API reads per client")
API_WRITE_RATE = env.rate("API_WRITE_RATE", "30/m", "API writes per token")
API_DEFAULT_LIMIT = env.integer(
    "API_DEFAULT_LIMIT", 50, "API results per page when a client asks for none (1 to 100)"
)
# Hugging Face's bounds on `limit`, which clients rely on, as its own papers skill documents them
# (github.com/huggingface/skills, skills/huggingface-papers/SKILL.md): /api/daily_papers and
# /api/papers "between 1 and 100", /api/papers/search "between 1 and 120" (and `q` "max length 250",
# where ours reads 1,000). Nothing there says a limit out of range is clamped, so it is refused
# with a 400 that names the range, as for any bad parameter.
API_MAX_LIMIT = 100
API_SEARCH_MAX_LIMIT = 120
API_MAX_TOKENS = env.integer("API_MAX_TOKENS", 10, "live API tokens per member")
FEED_ITEMS = env.integer("FEED_ITEMS", 50, "entries in each RSS and Atom feed")

# --- Health (/healthz, dailypapers.front.health) ---
HEALTH_INDEX_LAG = env.number(
    "HEALTH_INDEX_LAG",
    600,
    "/healthz fails when the newest paper has waited this many seconds for the search index",
)
HEALTH_HEARTBEAT_GRACE = env.number(
    "HEALTH_HEARTBEAT_GRACE",
    900,
    "/healthz fails when a `--loop` worker on this node is this many seconds late for its next heartbeat",
)
