"""Recommendations' part of a member's data: every signal they gave and what was learned from it."""

from __future__ import annotations

import base64
from typing import Any

from dailypapers.core.timestamps import iso
from dailypapers.recommend.models import Dismissal, Follow, Mute, Rating, Save, Taste


def export(user: Any) -> dict[str, Any]:
    saves = Save.objects.filter(user=user).select_related("paper").order_by("saved_at", "id")
    dismissals = Dismissal.objects.filter(user=user).select_related("paper").order_by("at", "id")
    ratings = Rating.objects.filter(user=user).select_related("paper").order_by("at", "id")
    taste = Taste.objects.filter(user=user).first()
    return {
        "savedPapers": [
            {
                "paper": s.paper.arxiv_id,
                "title": s.paper.title,
                "tags": s.tags,
                "note": s.note,
                "savedAt": iso(s.saved_at),
            }
            for s in saves
        ],
        "notInterested": [
            {"paper": d.paper.arxiv_id, "title": d.paper.title, "at": iso(d.at)} for d in dismissals
        ],
        "follows": [
            {"kind": f.kind, "target": f.target, "at": iso(f.at)}
            for f in Follow.objects.filter(user=user).order_by("at", "id")
        ],
        "mutes": [
            {"kind": m.kind, "value": m.value, "at": iso(m.at)}
            for m in Mute.objects.filter(user=user).order_by("at", "id")
        ],
        "ratings": [
            {"paper": r.paper.arxiv_id, "title": r.paper.title, "value": r.value, "at": iso(r.at)}
            for r in ratings
        ],
        # The private feed's key is a secret (a download can be left lying about): not written out.
        "taste": None
        if taste is None
        else {
            "mix": taste.mix,
            "modelKind": taste.model_kind,
            "modelBase64": base64.b64encode(bytes(taste.model)).decode() if taste.model else None,
            "trainedAt": iso(taste.trained_at),
            "signalsChangedAt": iso(taste.signals_changed_at),
            "hasPrivateFeed": bool(taste.feed_key),
        },
    }


def erase(user: Any) -> None:
    """The member's own signals and taste go with the account (on_delete=CASCADE); the follows other
    members gave them go too, since the username they name may be taken again."""
    Follow.objects.filter(kind=Follow.Kind.MEMBER, target__iexact=user.get_username()).delete()
