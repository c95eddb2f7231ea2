"""Fixtures of the accounts' tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def site_password_hashers(settings):
    """The site's own password hashers (Argon2 first) in place of the test settings' fast one."""
    from tests.settings import SITE_PASSWORD_HASHERS

    settings.PASSWORD_HASHERS = SITE_PASSWORD_HASHERS
