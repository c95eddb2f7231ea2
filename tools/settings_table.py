"""Print the README's configuration table from the settings, or rewrite it in place with --write."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    django.setup()
    from dailypapers.core import env

    table = env.markdown_table()
    if "--write" not in sys.argv:
        print(table)
        return
    text = README.read_text()
    start = text.index(env.BEGIN_TABLE) + len(env.BEGIN_TABLE)
    end = text.index(env.END_TABLE)
    README.write_text(text[:start] + "\n" + table + "\n" + text[end:])
    print(f"rewrote the table in {README}")


if __name__ == "__main__":
    main()
