"""The rule every member's action starts with, in one place."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied


def require_member(user: Any, doing: str) -> None:
    """PermissionDenied, with a message for the reader, unless `user` is a signed-in, active member;
    `doing` completes "Sign in to ..." ("vote", "watch papers")."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(f"Sign in to {doing}.")
    if not user.is_active:
        raise PermissionDenied(f"This account is deactivated and cannot {doing}.")
