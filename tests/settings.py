"""Settings of the test run (pyproject's DJANGO_SETTINGS_MODULE): the site's own, with what only makes
the tests faster or independent of a build step. Only the pytest process uses them; the commands and
servers the tests start run dailypapers.settings (tests/conftest.py)."""

from dailypapers.settings import *  # noqa: F403
from dailypapers.settings import PASSWORD_HASHERS as SITE_PASSWORD_HASHERS
from dailypapers.settings import STORAGES as SITE_STORAGES

# Argon2 is slow on purpose: hashing every test member's password with it took most of the time of the
# modules that make members. MD5 hashes new passwords here; the site's hashers still check theirs, and
# the tests about how passwords are stored use the site's list (the site_password_hashers fixture).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *SITE_PASSWORD_HASHERS]

# Hashed static names need collectstatic; the served-site tests (their own settings) cover that path.
STORAGES = {
    **SITE_STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Test transactions are rolled back, never committed, so the content stamp (moved on commit) never
# moves inside this process: pages here are rendered afresh. The served-site tests (tests/front/
# test_page_cache.py) run the cache as a site does.
PAGE_CACHE_SECONDS = 0
