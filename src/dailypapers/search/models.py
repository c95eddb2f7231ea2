"""Paper embeddings: the source of truth from which the vector index files are derived."""

from __future__ import annotations

import numpy as np
from django.db import models

from dailypapers.papers.models import Paper


class PaperEmbedding(models.Model):
    """A paper's sentence embedding (float32, unit length) from the model named in `model`."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, primary_key=True, related_name="embedding")
    model = models.CharField(max_length=200)
    # Hash of the model name and the embedded text: a changed title or abstract is embedded again.
    text_hash = models.CharField(max_length=16)
    vector = models.BinaryField()
    embedded_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["model"])]

    def __str__(self) -> str:
        return f"embedding of {self.paper_id} ({self.model})"

    def as_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vector), dtype=np.float32)


class CatalogueChange(models.Model):
    """A committed change to the catalogue, as papers.signals announced it to the process that made
    it. Several nodes share one database but each keeps its own index files: every node's index
    follower (`dailypapers index --follow`) reads the changes made on the others from here."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)  # for pruning old rows only
    # Row ids of the papers (at most search.follow.IDS_PER_ROW of them); null: any paper may have changed.
    paper_ids = models.JSONField(null=True)

    def __str__(self) -> str:
        count = "every paper" if self.paper_ids is None else f"{len(self.paper_ids)} paper(s)"
        return f"change {self.pk}: {count}"
