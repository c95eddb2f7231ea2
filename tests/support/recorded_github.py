"""GitHub's REST API as recorded: the answers of GET /repos/{owner}/{repo} (200 with its ETag and
rate-limit headers, 304, 404, the 403 of a spent rate limit, the 301 of a renamed repository), shaped
as api.github.com sends them, for the loopback server of tests/support/replay.py."""

from __future__ import annotations

import json
import time

from tests.support.replay import Reply, Request

JSON = "application/json; charset=utf-8"


def limit_headers(remaining: int = 59, reset: int | None = None, limit: int = 60) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset if reset is not None else int(time.time()) + 3600),
        "X-RateLimit-Used": str(limit - remaining),
        "X-RateLimit-Resource": "core",
        "X-GitHub-Media-Type": "github.v3; format=json",
    }


def repository(owner: str, name: str, stars: int, repo_id: int = 1296269) -> dict:
    """The fields of a repository answer (the rest of GitHub's ~80 keys left out)."""
    return {
        "id": repo_id,
        "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        "name": name,
        "full_name": f"{owner}/{name}",
        "private": False,
        "owner": {"login": owner, "id": 1, "type": "User", "html_url": f"https://github.com/{owner}"},
        "html_url": f"https://github.com/{owner}/{name}",
        "description": "Code of the paper",
        "fork": False,
        "url": f"https://api.github.com/repos/{owner}/{name}",
        "created_at": "2026-08-01T12:00:00Z",
        "updated_at": "2026-08-20T08:30:00Z",
        "pushed_at": "2026-08-20T08:29:41Z",
        "stargazers_count": stars,
        "watchers_count": stars,
        "forks_count": 12,
        "open_issues_count": 3,
        "default_branch": "main",
        "subscribers_count": 9,
    }


def ok(owner: str, name: str, stars: int, etag: str, remaining: int = 59, repo_id: int = 1296269) -> Reply:
    return Reply(
        json.dumps(repository(owner, name, stars, repo_id)),
        200,
        {"Content-Type": JSON, "ETag": etag, "Cache-Control": "public, max-age=60, s-maxage=60",
         **limit_headers(remaining)},
    )  # fmt: skip


def not_modified(etag: str) -> Reply:
    # A 304 does not count against the limit: the remaining figure stays where it was.
    return Reply(b"", 304, {"ETag": etag, **limit_headers(59)})


def not_found() -> Reply:
    body = {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository",
        "status": "404",
    }
    return Reply(json.dumps(body), 404, {"Content-Type": JSON, **limit_headers(58)})


def rate_limited(reset: int) -> Reply:
    body = {
        "message": "API rate limit exceeded for 203.0.113.7. (But here's the good news: Authenticated "
        "requests get a higher rate limit. Check out the documentation for more details.)",
        "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
    }
    return Reply(json.dumps(body), 403, {"Content-Type": JSON, **limit_headers(0, reset)})


def too_many(retry_after: int) -> Reply:
    body = {
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    }
    return Reply(
        json.dumps(body), 429, {"Content-Type": JSON, "Retry-After": str(retry_after), **limit_headers(40)}
    )


def moved(server_url: str, repo_id: int) -> Reply:
    body = {
        "message": "Moved Permanently",
        "url": f"https://api.github.com/repositories/{repo_id}",
        "documentation_url": "https://docs.github.com/v3/#http-redirects",
    }
    headers = {"Content-Type": JSON, "Location": f"{server_url}/repositories/{repo_id}", **limit_headers(57)}
    return Reply(json.dumps(body), 301, headers)


def conditional(etag: str, fresh: Reply) -> callable:
    """A route that answers 304 when the client sends the ETag it was given, else `fresh`."""

    def answer(request: Request) -> Reply:
        return not_modified(etag) if request.headers.get("if-none-match") == etag else fresh

    return answer
