"""{% paper_card paper listing %}: a paper card, written by dailypapers.front.cards."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from dailypapers.front.cards import render_card
from dailypapers.papers.models import Listing, Paper

register = template.Library()


@register.simple_tag(takes_context=True)
def paper_card(context: template.Context, paper: Paper, listing: Listing | None = None) -> SafeString:
    return render_card(context, paper, listing or None)
