"""Fixtures of the digests' tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _digest_settings(settings):
    settings.DIGEST_SUBSCRIBE_RATE = ""  # the file cache outlives a test run; one test turns it on
    settings.DIGEST_CONFIRM_RESEND = 0
    settings.DIGEST_RETRY_BACKOFF = 0
    # In-process tests run inside a test transaction, which sender threads could not see; the
    # threaded sender is exercised by the subprocess tests (test_workers).
    settings.DIGEST_SMTP_CONNECTIONS = 1
    settings.SITE_URL = "https://papers.example.org"
