"""A small catalogue of papers on four distinct subjects, for the "For you" tests: each paper enters
through the real ingest path and is embedded by the real search model (once per test: one batch)."""

from __future__ import annotations

import datetime as dt

from dailypapers.papers.models import Paper
from dailypapers.search.models import PaperEmbedding
from dailypapers.sources.ingest import upsert
from dailypapers.sources.records import ImportedStats, ListingRecord, PaperRecord
from tests.support.search_corpus import store_embeddings

DAY = dt.date(2026, 6, 19)  # the feed day the tests rank
EARLIER = dt.date(2026, 6, 12)  # the member's earlier reading, and the background

TOPICS = {
    "protein": (
        "q-bio.BM",
        [
            "Protein structure prediction with geometric deep learning",
            "Folding proteins from sequence with attention over residues",
            "Predicting protein binding sites with equivariant graph networks",
            "Antibody design by diffusion over protein backbones",
            "Learning protein language models for enzyme function",
        ],
        "Proteins fold into three-dimensional structures determined by their amino acid sequence. We "
        "predict residue contacts and backbone geometry for protein folding and binding.",
    ),
    "speech": (
        "eess.AS",
        [
            "Robust speech recognition for noisy far-field audio",
            "Streaming automatic speech recognition with low latency",
            "Speaker diarization with self-supervised speech features",
            "Text-to-speech synthesis with expressive prosody",
            "Spoken language understanding from raw audio waveforms",
        ],
        "We transcribe spoken audio into text. Acoustic models of speech, phonemes and speakers are "
        "trained on hours of recorded utterances for speech recognition.",
    ),
    "robots": (
        "cs.RO",
        [
            "Dexterous robot grasping from tactile feedback",
            "Legged robot locomotion over rough terrain with reinforcement learning",
            "Robot manipulation policies from human video demonstrations",
            "Sim-to-real transfer for quadruped robots",
            "Mobile robot navigation in crowded warehouses",
        ],
        "A robot arm and legged robots act in the physical world. We learn control policies for "
        "robotic manipulation, grasping and locomotion on real hardware.",
    ),
    "galaxies": (
        "astro-ph.GA",
        [
            "Dark matter halos of dwarf galaxies in cosmological simulations",
            "Measuring galaxy rotation curves with radio telescopes",
            "Star formation histories of early galaxies seen by JWST",
            "Gravitational lensing of distant quasars by galaxy clusters",
            "Supermassive black hole growth in merging galaxies",
        ],
        "Galaxies, stars and dark matter evolve over cosmic time. We observe telescopes' images of "
        "distant galaxies and simulate their formation in cosmology.",
    ),
}
AUTHORS = {
    "protein": ["Rosalind Franklin", "Dorothy Hodgkin"],
    "speech": ["Claude Shannon", "Grace Hopper"],
    "robots": ["Rodney Brooks", "Cynthia Breazeal"],
    "galaxies": ["Vera Rubin", "Edwin Hubble"],
}


AS_OF = dt.datetime(2026, 6, 19, tzinfo=dt.UTC)


def arxiv_id(topic: str, n: int) -> str:
    """2606.1TNNN: topic T's paper n (0 to 2 on the ranked day, 3 and 4 earlier)."""
    return f"2606.1{list(TOPICS).index(topic)}{n:03d}"


def load(
    votes: dict[str, int] | None = None, day: dt.date = DAY, earlier: dt.date = EARLIER
) -> dict[str, Paper]:
    """Every topic's papers, 0 to 2 listed on `day` and 3 and 4 on `earlier` (their votes: `votes` by
    arXiv id, else 1). Returns the papers by arXiv id."""
    votes = votes or {}
    records = []
    for topic, (category, titles, abstract) in TOPICS.items():
        for n, title in enumerate(titles):
            ref = arxiv_id(topic, n)
            records.append(
                PaperRecord(
                    arxiv_id=ref,
                    title=title,
                    abstract=f"{abstract} {title}.",
                    authors=[AUTHORS[topic][n % 2], f"Student {topic} {n}"],
                    categories=[category],
                    stats=ImportedStats("huggingface", votes.get(ref, 1), 0, AS_OF),
                    listings=[ListingRecord(day=day if n < 3 else earlier, submitter_name="reader")],
                )
            )
    upsert(records)
    papers = list(Paper.objects.all())
    # Test transactions never commit, so the search app's indexing (after the commit) never runs;
    # a test with committed data (transactional_db) has them embedded by it already.
    store_embeddings([p for p in papers if not PaperEmbedding.objects.filter(paper=p).exists()])
    return {p.arxiv_id: p for p in papers}


def topic_of(paper: Paper) -> str:
    return list(TOPICS)[int(paper.arxiv_id[6])]


def topic_of_id(ref: str) -> str:
    return list(TOPICS)[int(ref[6])]
