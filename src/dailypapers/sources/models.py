"""Where each remote harvest stands, so a harvest interrupted at any moment resumes without a gap."""

from __future__ import annotations

from django.db import models


class HarvestState(models.Model):
    """The checkpoint of one harvest: one row per source and scope, e.g. ("oai", "cs").

    It is saved in the same transaction as the records of each page, so what it says was harvested
    is exactly what the catalogue holds.
    """

    source = models.CharField(max_length=40)
    scope = models.CharField(max_length=100, help_text="What is harvested, e.g. the OAI set “cs”.")
    completed_until = models.DateField(
        null=True,
        blank=True,
        help_text="Every record with an earlier datestamp is in the catalogue: the `from` of the next list.",
    )
    # The list in progress (or the last one, once completed).
    list_from = models.DateField(null=True, blank=True)
    list_started_at = models.DateTimeField(
        null=True, blank=True, help_text="The source's clock (responseDate) on the list's first page."
    )
    list_max_datestamp = models.DateField(null=True, blank=True)
    next_token = models.TextField(
        blank=True, help_text="The resumptionToken of the next page; empty when no list is in progress."
    )
    list_size = models.PositiveIntegerField(null=True, blank=True)  # completeListSize, when given
    list_cursor = models.PositiveIntegerField(null=True, blank=True)
    list_pages = models.PositiveIntegerField(default=0)
    list_records = models.PositiveIntegerField(default=0)  # records read in this list, kept or not
    # Since the row was created.
    lists_completed = models.PositiveIntegerField(default=0)
    records_kept = models.PositiveIntegerField(default=0)
    records_skipped = models.PositiveIntegerField(default=0)  # unreadable records, reported by name
    last_completed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source", "scope"]
        constraints = [models.UniqueConstraint(fields=["source", "scope"], name="one_state_per_harvest")]

    def __str__(self) -> str:
        return f"{self.source} {self.scope}"


class Thumbnail(models.Model):
    """Where the render of one paper's first page stands (sources.thumbnails): due, held by a worker,
    done, or failed and due again later. The image itself is a file in the data folder, named by
    the hash that Paper.thumbnail_key holds."""

    paper = models.OneToOneField(
        "papers.Paper", on_delete=models.CASCADE, primary_key=True, related_name="thumbnail_render"
    )
    due_at = models.DateTimeField(null=True, blank=True)  # None: rendered, nothing to do
    claimed_until = models.DateTimeField(null=True, blank=True)  # a worker holds it until then
    rendered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # failures since the last render
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"])]

    def __str__(self) -> str:
        return f"thumbnail of {self.paper_id}"
