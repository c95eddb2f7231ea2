"""`dailypapers eval-search --corpus C.jsonl --queries Q.jsonl --qrels R.tsv`: retrieval quality."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.search.embedding import ModelMissing, get_embedder
from dailypapers.search.engine import Fusion
from dailypapers.search.evaluate import (
    MODES,
    CollectionError,
    build_collection,
    evaluate,
    load_corpus,
    load_qrels,
    load_queries,
)


class Command(BaseCommand):
    help = (
        "Build a throwaway index over a test collection (SciFact's format) with the site's search code, "
        "run every judged query, and print nDCG@10, recall@100, MRR@10 and latency for lexical, dense "
        "and hybrid retrieval."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpus", type=Path, required=True, help="JSON lines: doc_id, title, abstract")
        parser.add_argument("--queries", type=Path, required=True, help="JSON lines: query_id, text")
        parser.add_argument("--qrels", type=Path, required=True, help="TSV: query_id, doc_id, relevance")
        parser.add_argument("--lexical-weight", type=float, default=None, help="override the hybrid weight")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, corpus: Path, queries: Path, qrels: Path, **options) -> None:
        from django.conf import settings
        from tqdm import tqdm

        try:
            docs = load_corpus(corpus)
            query_texts = load_queries(queries)
            judgements = load_qrels(qrels)
        except CollectionError as exc:
            raise CommandError(str(exc)) from None
        if not docs:
            raise CommandError(f"{corpus}: no documents")
        try:
            embedder = get_embedder()
        except ModelMissing as exc:
            raise CommandError(f"the embedding model cannot load: {exc}") from None
        weight = options["lexical_weight"]
        fusion = Fusion(lexical_weight=settings.SEARCH_LEXICAL_WEIGHT if weight is None else weight)
        bar = tqdm(total=len(docs), desc="embedding corpus", unit="doc", disable=options["no_progress"])
        collection = build_collection(docs, embedder, progress=bar.update, fusion=fusion)
        bar.close()
        try:
            try:
                results = evaluate(collection, query_texts, judgements)
            except CollectionError as exc:
                raise CommandError(str(exc)) from None
        finally:
            collection.close()
        judged = sum(1 for q in query_texts if q in judgements)
        self.stdout.write(
            f"{len(docs)} documents, {judged} judged queries; "
            f"index built in {collection.build_seconds:.1f} s "
            f"(model {embedder.name}, lexical weight {fusion.lexical_weight})"
        )
        self.stdout.write(
            f"{'mode':<8} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7} {'p50 ms':>7} {'p99 ms':>7}"
        )
        for mode in MODES:
            r = results[mode]
            self.stdout.write(
                f"{mode:<8} {r.ndcg10:8.4f} {r.recall100:7.4f} {r.mrr10:7.4f} "
                f"{r.percentile(50):7.1f} {r.percentile(99):7.1f}"
            )
