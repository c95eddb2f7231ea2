"""Members' Markdown in templates, through the one sanitising renderer (community.comment_html)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from dailypapers.community.comment_html import render, render_inline

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Block Markdown (paragraphs, lists, quotes) as sanitised HTML."""
    return mark_safe(render(text))  # sanitised by nh3 in render()


@register.filter
def markdown_inline(text: str) -> SafeString:
    """One line of Markdown (`code`, *emphasis*, links) as sanitised HTML, with no paragraph around it."""
    return mark_safe(render_inline(text))  # sanitised by nh3 in render_inline()
