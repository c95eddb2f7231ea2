"""`{% author_link paper authorship %}`: an author's name linked to their page, or, where a member's
claim to be them is approved, to that member's profile (as cards and paper pages link them)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dailypapers.community.models import claim_at
from dailypapers.papers.models import Authorship, Paper

register = template.Library()


@register.simple_tag
def author_link(paper: Paper, authorship: Authorship) -> SafeString:
    claim = claim_at(paper, authorship.position, authorship.author.key)
    if claim is None:
        return format_html(
            '<a href="{}">{}</a>', reverse("front:author", args=[authorship.author.key]), authorship.name
        )
    username = claim.user.get_username()
    return format_html(
        '<a class="claimed" href="{}" title="{} here">{}</a>',
        reverse("front:profile", args=[username]),
        username,
        authorship.name,
    )
