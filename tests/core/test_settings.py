"""Settings come from the environment through one family of helpers (dailypapers.core.env), are named
as their variables, and the README's table is the one the settings generate."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dailypapers.core import env
from tests.support.shared import REPO

README = REPO / "README.md"
# Variables read outside the settings, or the earlier names of settings, that the README may mention.
NOT_SETTINGS = {
    "SHARED",  # where the tests find ../shared
    "TEST_POSTGRES",  # the database scripts/test uses
    "API_CLIENT_IP_HEADER",  # earlier name of CLIENT_IP_HEADER
    "LOGIN_ATTEMPTS",  # earlier form of LOGIN_RATE, with LOGIN_WINDOW
    "LOGIN_WINDOW",
    "LOGIN_ATTEMPTS_PER_ADDRESS",
    "SIGNUPS_PER_HOUR",  # earlier form of SIGNUP_RATE
}
# Where Django names the setting itself.
DJANGO_NAMES = {
    "EMAIL_USER": "EMAIL_HOST_USER",
    "EMAIL_PASSWORD": "EMAIL_HOST_PASSWORD",
    "EMAIL_STARTTLS": "EMAIL_USE_TLS",
    "EMAIL_SSL": "EMAIL_USE_SSL",
    "FROM_EMAIL": "DEFAULT_FROM_EMAIL",
    "SSL_REDIRECT": "SECURE_SSL_REDIRECT",
    "HSTS_SECONDS": "SECURE_HSTS_SECONDS",
    "HSTS_INCLUDE_SUBDOMAINS": "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "HSTS_PRELOAD": "SECURE_HSTS_PRELOAD",
}


def test_the_readme_table_is_the_generated_one():
    text = README.read_text()
    table = text[text.index(env.BEGIN_TABLE) + len(env.BEGIN_TABLE) : text.index(env.END_TABLE)]
    assert table.strip() == env.markdown_table(), "run: python tools/settings_table.py --write"


def test_every_variable_the_readme_names_is_read_by_the_settings():
    named = set(re.findall(r"DAILYPAPERS_([A-Z_]+[A-Z])", README.read_text()))
    unknown = named - set(env.VARIABLES) - NOT_SETTINGS
    assert not unknown, f"the README names variables nothing reads: {sorted(unknown)}"


def test_each_setting_is_named_as_its_variable():
    for name in env.VARIABLES:
        assert hasattr(settings, DJANGO_NAMES.get(name, name)), name


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False), ("", True)]
)
def test_flags_read_one_way(monkeypatch, raw, value):
    monkeypatch.setenv("DAILYPAPERS_TEST_FLAG", raw)
    assert env.flag("TEST_FLAG", True) is value


@pytest.mark.parametrize(
    ("reader", "raw"), [(env.integer, "ten"), (env.number, "1,5"), (env.flag, "maybe"), (env.rate, "5 per m")]
)
def test_a_value_that_cannot_be_read_names_its_variable(monkeypatch, reader, raw):
    monkeypatch.setenv("DAILYPAPERS_TEST_VALUE", raw)
    with pytest.raises(ImproperlyConfigured, match="DAILYPAPERS_TEST_VALUE must be"):
        reader("TEST_VALUE", "1/m" if reader is env.rate else 1)


def test_rates_honour_their_earlier_variables(monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_TEST_ATTEMPTS", "3")
    assert env.rate("TEST_RATE", "5/15m", earlier=("TEST_ATTEMPTS", "TEST_WINDOW")) == "3/900s"
    monkeypatch.setenv("DAILYPAPERS_TEST_WINDOW", "60")
    assert env.rate("TEST_RATE", "5/15m", earlier=("TEST_ATTEMPTS", "TEST_WINDOW")) == "3/60s"
    monkeypatch.setenv("DAILYPAPERS_TEST_RATE", "7/h")
    assert env.rate("TEST_RATE", "5/15m", earlier=("TEST_ATTEMPTS", "TEST_WINDOW")) == "7/h"
    monkeypatch.setenv("DAILYPAPERS_TEST_RATE", "0/h")
    assert env.rate("TEST_RATE", "5/15m") == ""


def test_a_bad_value_stops_the_command_with_one_sentence(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dailypapers", "check"],
        env={**_plain_env(), "DAILYPAPERS_HOME": str(tmp_path), "DAILYPAPERS_PAPERS_PER_PAGE": "many"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith(
        "dailypapers: error: DAILYPAPERS_PAPERS_PER_PAGE must be a whole number, not 'many'."
    )
    assert "Traceback" not in result.stderr


def _plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
