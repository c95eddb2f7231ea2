"""A paper page as Markdown, for `/papers/{id}.md` (read by huggingface_hub's `read_paper`)."""

from __future__ import annotations

import re

from django.http import HttpRequest

from dailypapers.papers.models import Paper, one_line

# Brackets, backticks and angle brackets: enough that no link, code or HTML comes from metadata, while
# LaTeX (x_1, \alpha) in abstracts stays readable.
_SPECIAL = re.compile(r"([`\[\]<>])")


def escape(text: str) -> str:
    """Text that Markdown shows as written (no links, emphasis or HTML sneaking in from metadata)."""
    return _SPECIAL.sub(r"\\\1", one_line(text))


def as_markdown(paper: Paper, request: HttpRequest) -> str:
    lines = [f"# {escape(paper.title_line)}", ""]
    authors = [a.name for a in paper.authorships.all()]
    if authors:
        lines += ["Authors: " + ", ".join(escape(a) for a in authors), ""]
    facts = [f"- arXiv: [{paper.arxiv_id}]({paper.abs_url}) ([PDF]({paper.pdf_url}))"]
    if paper.published_at:
        facts.append(f"- Published: {paper.published_at:%Y-%m-%d}")
    categories = [c.code for c in paper.categories.all()]
    if categories:
        facts.append("- Categories: " + ", ".join(categories))
    facts.append(f"- Upvotes: {paper.total_votes}")
    if paper.github_repo:
        stars = f" ({paper.github_stars} stars)" if paper.github_stars is not None else ""
        facts.append(f"- Code: <{paper.github_repo}>{stars}")
    if paper.project_page:
        facts.append(f"- Project page: <{paper.project_page}>")
    if paper.doi:
        facts.append(f"- DOI: [{escape(paper.doi)}]({paper.doi_url})")
    facts.append(f"- Page: <{request.build_absolute_uri(paper.get_absolute_url())}>")
    lines += facts + [""]
    if paper.withdrawn:
        lines += ["**This paper has been withdrawn by its authors.**", ""]
    if paper.ai_summary:
        lines += ["## AI summary", "", escape(paper.ai_summary), ""]
    if paper.ai_keywords:
        lines += ["Keywords: " + ", ".join(escape(k) for k in paper.ai_keywords), ""]
    lines += ["## Abstract", "", escape(paper.abstract) if paper.abstract else "(no abstract)", ""]
    if paper.arxiv_comments:
        lines += ["## Comments", "", escape(paper.arxiv_comments), ""]
    return "\n".join(lines)
