from __future__ import annotations

from django import forms

from dailypapers.papers.models import Category

from .query import MAX_OFFSET, MAX_QUERY_CHARS

PER_PAGE = 20
MAX_PAGE = MAX_OFFSET // PER_PAGE


class SearchForm(forms.Form):
    """The search page's query string. Every field is optional; bad values become messages."""

    q = forms.CharField(required=False, strip=True)
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    category = forms.CharField(required=False, label="Category")
    code = forms.ChoiceField(
        required=False,
        label="Code",
        choices=[("", "Any"), ("yes", "With code"), ("no", "Without code")],
    )
    page = forms.IntegerField(required=False, min_value=1)
    similar_to = forms.CharField(required=False, strip=True)

    def clean_q(self) -> str:
        return self.cleaned_data["q"]

    def clean_category(self) -> list[str]:
        raw = self.cleaned_data["category"]
        codes = [c for c in raw.replace(",", " ").split() if c]
        known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise forms.ValidationError(f"Unknown category: {', '.join(unknown[:5])}.")
        return codes

    def clean_page(self) -> int:
        page = self.cleaned_data["page"] or 1
        if page > MAX_PAGE:
            raise forms.ValidationError(f"Results stop at page {MAX_PAGE}; narrow the search instead.")
        return page

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data

    @property
    def too_long(self) -> bool:
        return len(self.data.get("q", "")) > MAX_QUERY_CHARS

    def has_code(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("code") or "")
