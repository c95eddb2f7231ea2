from __future__ import annotations

from django import forms
from django.core.validators import EmailValidator

from dailypapers.digests.models import Subscription, normalise_categories, split_lines


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        validators=[EmailValidator(message="Enter a valid e-mail address, like you@example.org.")],
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@example.org"}),
    )

    def clean_email(self) -> str:
        # EmailValidator refuses line breaks; strip() has already removed any at the ends.
        return self.cleaned_data["email"].strip()


class SettingsForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["frequency", "for_you", "max_papers", "categories", "keywords", "search_query", "authors"]
        widgets = {
            "frequency": forms.RadioSelect,
            "keywords": forms.Textarea(attrs={"rows": 3, "placeholder": "retrieval\nlarge language model"}),
            "authors": forms.Textarea(attrs={"rows": 3, "placeholder": "Yann LeCun"}),
            "categories": forms.TextInput(attrs={"placeholder": "cs.CL cs.LG"}),
        }
        help_texts = {
            "search_query": "A search run over each period's papers, as in the search box.",
        }

    def __init__(self, *args, search_available: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not search_available:
            del self.fields["search_query"]
        if self.instance.user_id is None:
            del self.fields["for_you"]  # no account, no taste to rank by

    def clean_categories(self) -> str:
        return normalise_categories(self.cleaned_data["categories"])

    def clean_keywords(self) -> str:
        words = split_lines(self.cleaned_data["keywords"])
        if len(words) > 30:
            raise forms.ValidationError("At most 30 keywords.")
        if any(len(w) > 100 for w in words):
            raise forms.ValidationError("A keyword may have at most 100 characters.")
        return "\n".join(words)

    def clean_authors(self) -> str:
        names = split_lines(self.cleaned_data["authors"])
        if len(names) > 50:
            raise forms.ValidationError("At most 50 authors.")
        return "\n".join(names)
