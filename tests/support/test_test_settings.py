"""The test run's own settings (tests/settings.py): what they change, and that only this process uses them."""

import os

from django.conf import settings
from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password


def test_passwords_hash_fast_here_and_the_sites_hashes_still_check():
    assert get_hasher().algorithm == "md5"
    from tests.settings import SITE_PASSWORD_HASHERS

    assert set(SITE_PASSWORD_HASHERS) < set(settings.PASSWORD_HASHERS)


def test_the_site_password_hashers_fixture_puts_argon2_back(site_password_hashers):
    assert identify_hasher(make_password("a long passphrase")).algorithm == "argon2"


def test_commands_the_tests_start_run_the_site_settings():
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "dailypapers.settings"
