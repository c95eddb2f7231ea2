"""Organisations: their page (papers submitted for them, newest first with votes; their members), and
members submitting on behalf of one of theirs."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.community.submissions import SubmissionRefused, submit_paper
from dailypapers.papers.models import Listing, Membership, Organization
from tests.support.factories import add_paper, add_user, recent_paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab() -> Organization:
    return Organization.objects.create(
        name="analytical-lab", fullname="The Analytical Lab", description="Engines & <b>more</b>"
    )


def test_the_page_lists_its_papers_newest_first_with_votes_and_its_members(client, lab):
    add_paper("2608.00001", "Older work", dt.date(2026, 8, 3), votes=7)
    add_paper("2608.00002", "Newer work", dt.date(2026, 8, 20), votes=42)
    add_paper("2608.00003", "Someone else's", dt.date(2026, 8, 21), votes=99)
    Listing.objects.filter(paper__arxiv_id__in=["2608.00001", "2608.00002"]).update(organization=lab)
    Membership.objects.create(user=add_user("zed"), organization=lab)
    Membership.objects.create(user=add_user("ada"), organization=lab, role="admin")
    page = client.get("/orgs/analytical-lab").content.decode()
    assert page.index("Newer work") < page.index("Older work") and "Someone else" not in page
    assert '<strong data-testid="vote-count">42</strong>' in page
    assert "2 papers submitted" in page and "Engines &amp; &lt;b&gt;more&lt;/b&gt;" in page
    members = page.split('data-testid="org-members"')[1].split("</ul>")[0]
    assert members.index("/u/ada") < members.index("/u/zed") and "· admin" in members
    assert client.get("/orgs/Analytical-Lab")["Location"] == "/orgs/analytical-lab"
    assert client.get("/orgs/nobody").status_code == 404


def test_the_paper_page_names_the_organisation_it_was_submitted_for(client, lab):
    add_paper("2608.00004", "For the lab", dt.date(2026, 8, 20))
    Listing.objects.update(organization=lab)
    assert (
        'for <a href="/orgs/analytical-lab">The Analytical Lab</a>'
        in client.get("/papers/2608.00004").content.decode()
    )


def test_a_member_submits_for_one_of_their_organisations_only(client, lab):
    recent_paper("2611.00801")
    recent_paper("2611.00802")
    ada, bob = add_user("ada"), add_user("bob")
    Membership.objects.create(user=ada, organization=lab)
    client.force_login(bob)
    assert 'name="organization"' not in client.get("/papers/submit").content.decode()  # no orgs: no field
    with pytest.raises(SubmissionRefused, match="not a member of The Analytical Lab"):
        submit_paper(bob, "2611.00801", organization=lab)
    client.force_login(ada)
    form = client.get("/papers/submit").content.decode()
    assert '<option value="analytical-lab">The Analytical Lab</option>' in form
    client.post("/papers/submit", {"paper": "2611.00801", "organization": "analytical-lab"})
    assert Listing.objects.get(paper__arxiv_id="2611.00801").organization == lab
    answer = client.post("/papers/submit", {"paper": "2611.00802", "organization": "another-lab"})
    assert answer.status_code == 200 and not Listing.objects.filter(paper__arxiv_id="2611.00802").exists()
    item = client.get("/api/papers/2611.00801").json()
    assert item["organization"] == {
        "_id": "analytical-lab",
        "name": "analytical-lab",
        "fullname": "The Analytical Lab",
    }
    assert "2611.00801" in client.get("/orgs/analytical-lab").content.decode()


def test_the_page_loads_no_image_from_another_site(client, lab):
    # The Content-Security-Policy (default-src 'self') blocks it: a broken image on every page.
    lab.avatar_url = "https://cdn-avatars.huggingface.co/v1/production/uploads/lab.png"
    lab.save()
    page = client.get("/orgs/analytical-lab").content.decode()
    assert "cdn-avatars.huggingface.co" not in page and "The Analytical Lab" in page
