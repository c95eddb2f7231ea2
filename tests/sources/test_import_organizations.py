"""The Hugging Face import makes and links organisations from the items' `organization`, and the
API gives the object back in Hugging Face's shape from the linked organisation."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from dailypapers.papers.models import Listing, Organization

pytestmark = pytest.mark.django_db
DAY = "2026-08-20"


def run_import(*paths: Path) -> None:
    call_command("import", "hf-daily", *map(str, paths), "--no-progress", "--no-index", stdout=StringIO())


def test_real_items_with_organisations_make_and_link_them(hf_dir, client):
    items = json.loads((hf_dir / f"{DAY}.json").read_text())
    with_org = {item["paper"]["id"]: item["organization"] for item in items if "organization" in item}
    assert with_org and len(with_org) < len(items)  # some items have one, some none
    run_import(hf_dir / f"{DAY}.json")
    assert Organization.objects.count() == len({org["name"] for org in with_org.values()})
    for arxiv_id, org in with_org.items():
        linked = Listing.objects.select_related("organization").get(paper__arxiv_id=arxiv_id).organization
        assert (linked.name, linked.fullname, linked.hf_id) == (org["name"], org["fullname"], org["_id"])
        assert linked.avatar_url == org.get("avatar", "")
        assert linked.as_hf() == org  # Hugging Face's shape, key for key
    without = [item["paper"]["id"] for item in items if "organization" not in item]
    assert not Listing.objects.filter(paper__arxiv_id__in=without, organization__isnull=False).exists()
    # The API's items and papers carry it; the organisation's page lists its papers.
    served = {item["paper"]["id"]: item for item in client.get(f"/api/daily_papers?date={DAY}").json()}
    for arxiv_id, org in with_org.items():
        assert served[arxiv_id]["organization"] == org
        assert served[arxiv_id]["paper"]["organization"] == org
    arxiv_id, org = next(iter(with_org.items()))
    page = client.get(f"/orgs/{org['name']}").content.decode()
    assert f'href="/papers/{arxiv_id}"' in page and org["fullname"] in page
    # Importing again changes nothing.
    before = list(Organization.objects.values_list("pk", "name", "fullname", "avatar_url", "hf_id"))
    run_import(hf_dir / f"{DAY}.json")
    assert list(Organization.objects.values_list("pk", "name", "fullname", "avatar_url", "hf_id")) == before


def test_a_newer_item_refreshes_the_organisation_and_an_imported_day_keeps_its_own_object(
    hf_dir, tmp_path, client
):
    items = json.loads((hf_dir / f"{DAY}.json").read_text())
    item = next(i for i in items if "organization" in i)
    org = item["organization"]
    run_import(hf_dir / f"{DAY}.json")
    later = json.loads(json.dumps(item))
    later["paper"]["id"] = "2608.99999"
    later["paper"].pop("submittedOnDailyAt", None)
    later["organization"] = {**org, "fullname": "Renamed Lab", "avatar": "https://example.org/new.png"}
    (tmp_path / "2026-08-24.json").write_text(json.dumps([later]))
    run_import(tmp_path / "2026-08-24.json")
    row = Organization.objects.get(name=org["name"])
    assert (row.fullname, row.avatar_url) == ("Renamed Lab", "https://example.org/new.png")
    # The earlier day's item still says what Hugging Face said that day.
    served = {i["paper"]["id"]: i for i in client.get(f"/api/daily_papers?date={DAY}").json()}
    assert served[item["paper"]["id"]]["organization"] == org


def test_names_no_page_can_hold_link_nothing(hf_dir, tmp_path):
    item = json.loads((hf_dir / f"{DAY}.json").read_text())[0]
    item["organization"] = {"_id": "x", "name": "a/b", "fullname": "Slash"}
    (tmp_path / f"{DAY}.json").write_text(json.dumps([item]))
    run_import(tmp_path / f"{DAY}.json")
    assert not Organization.objects.exists()
    assert Listing.objects.get().organization is None
