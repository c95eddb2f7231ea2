"""The API's part of a member's data: their tokens (never the secret itself)."""

from __future__ import annotations

from typing import Any

from dailypapers.api.models import ApiToken
from dailypapers.core.timestamps import iso


def export(user: Any) -> dict[str, Any]:
    return {
        "apiTokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "createdAt": iso(t.created_at),
                "lastUsedAt": iso(t.last_used_at),
                "revokedAt": iso(t.revoked_at),
            }
            for t in ApiToken.objects.filter(user=user)
        ]
    }


# No erase: tokens are deleted with the account (ApiToken.user is on_delete=CASCADE).
