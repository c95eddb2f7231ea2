"""The OpenAPI document and a readable page made from it (no JavaScript, nothing from a CDN)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from dailypapers.api import openapi
from dailypapers.papers.models import Listing, Paper
from dailypapers.papers.periods import Period, feed_day

METHOD_ORDER = ("get", "post", "put", "patch", "delete")


def openapi_json(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(openapi.schema(request.build_absolute_uri("/").rstrip("/")))
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _schema_name(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {_schema_name(schema.get('items', {}))}"
    kind = schema.get("type", "")
    return " or ".join(kind) if isinstance(kind, list) else kind


def docs_page(request: HttpRequest) -> HttpResponse:
    spec = openapi.schema(request.build_absolute_uri("/").rstrip("/"))
    operations = []
    for path, item in spec["paths"].items():
        for method in METHOD_ORDER:
            if method not in item:
                continue
            op = item[method]
            body = None
            if "requestBody" in op:
                content = op["requestBody"]["content"]
                body_schema = next(iter(content.values()))["schema"]
                body = [
                    {
                        "name": name,
                        "type": _schema_name(prop),
                        "description": prop.get("description", ""),
                        "required": name in body_schema.get("required", []),
                    }
                    for name, prop in body_schema.get("properties", {}).items()
                ]
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "anchor": op["operationId"],
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "auth": bool(op.get("security")),
                    "parameters": [
                        {
                            "name": p["name"],
                            "where": p["in"],
                            "type": _schema_name(p["schema"]),
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": body,
                    "responses": [
                        {
                            "status": status,
                            "description": r["description"],
                            # The first (only) media type: JSON, or Markdown and text for /papers/{id}.md.
                            "type": _schema_name(next(iter(r["content"].values()))["schema"])
                            if "content" in r
                            else "",
                        }
                        for status, r in op["responses"].items()
                    ],
                }
            )
    schemas = [
        {
            "name": name,
            "description": s.get("description", ""),
            "fields": [
                {
                    "name": field,
                    "type": _schema_name(prop) or "object",
                    "description": prop.get("description", ""),
                }
                for field, prop in s.get("properties", {}).items()
            ],
        }
        for name, s in spec["components"]["schemas"].items()
    ]
    base = spec["servers"][0]["url"]
    example = quick_start_example()
    return render(
        request,
        "api/docs.html",
        {
            "spec": spec,
            "operations": operations,
            "schemas": schemas,
            "base": base,
            "example": example,
            "example_body": json.dumps({"id": example.paper_id, "note": "Worth a read"}),
        },
    )


@dataclass(frozen=True)
class QuickStartExample:
    paper_id: str
    day: str  # a feed day, YYYY-MM-DD
    week: str  # its ISO week, YYYY-Www


def quick_start_example() -> QuickStartExample:
    """Values for the quick start that answer on this site: its latest feed day, that day's most
    upvoted paper and its week. With nothing on the feed yet: today, and the latest paper to arrive
    (or, in an empty catalogue, a well-known paper's id)."""
    listing = Listing.objects.visible().ranked("votes").order_by("-day", "-votes", "paper__arxiv_id").first()
    paper = listing.paper if listing else Paper.objects.visible().order_by("-added_at", "-id").first()
    day = listing.day if listing else feed_day()
    return QuickStartExample(
        paper_id=paper.arxiv_id if paper else "2406.01574",
        day=day.isoformat(),
        week=Period.week_of(day).slug,
    )
