"""The per-member model (recommend/learning.py) on small synthetic papers: it ranks a member's kind of
paper first, every signal moves scores the right way, and it survives storage."""

from __future__ import annotations

import numpy as np
import pytest

from dailypapers.recommend import learning
from dailypapers.recommend.learning import Papers, TrainingInput

DIM = 32
rng = np.random.default_rng(7)
TOPICS = {name: v / np.linalg.norm(v) for name, v in zip("ABC", rng.normal(size=(3, DIM)), strict=True)}
WORDS = {"A": "graph neural message passing", "B": "speech recognition acoustic", "C": "protein folding"}
CATS = {"A": "cs.LG", "B": "eess.AS", "C": "q-bio.BM"}


def papers(topic_list: str, seed: int, authors: list[list[str]] | None = None) -> Papers:
    r = np.random.default_rng(seed)
    vecs = np.stack([TOPICS[t] + 0.6 * r.normal(size=DIM) / np.sqrt(DIM) for t in topic_list])
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    authors = authors or [[f"author {seed}-{i}"] for i in range(len(topic_list))]
    texts = [f"A study of {WORDS[t]} number {i}" for i, t in enumerate(topic_list)]
    return Papers(vecs.astype(np.float32), authors, [[CATS[t]] for t in topic_list], texts)


BACKGROUND = papers("ABC" * 20, seed=1)
LIBRARY = papers("AAAAAAAA", seed=2, authors=[["ada lovelace", f"co {i}"] for i in range(8)])


def base_input(**changes) -> TrainingInput:
    data = TrainingInput(positives=LIBRARY, positive_ages=[10.0 * i for i in range(8)], background=BACKGROUND)
    for key, value in changes.items():
        setattr(data, key, value)
    return data


@pytest.fixture(scope="module")
def model() -> learning.MemberModel:
    return learning.train(base_input())


def test_ranks_the_members_kind_of_paper_first(model):
    candidates = papers("ABCABCABCABCABC", seed=3)
    order = np.argsort(-learning.score(model, candidates))
    assert model.kind == "logistic"
    assert {candidates.categories[i][0] for i in order[:5]} == {"cs.LG"}


def test_few_positives_give_a_centroid_that_ranks_alike():
    few = learning.train(base_input(positives=LIBRARY.subset([0, 1]), positive_ages=[0.0, 5.0]))
    assert few.kind == "centroid"
    candidates = papers("ABCABCABC", seed=4)
    top = np.argsort(-learning.score(few, candidates))[:3]
    assert {candidates.categories[i][0] for i in top} == {"cs.LG"}


def test_a_new_positive_raises_similar_papers(model):
    candidate = papers("B", seed=5)
    more = learning.train(
        base_input(
            positives=Papers(
                np.vstack([LIBRARY.vectors, papers("BBB", seed=6).vectors]),
                [*LIBRARY.authors, ["x"], ["y"], ["z"]],
                [*LIBRARY.categories, ["eess.AS"], ["eess.AS"], ["eess.AS"]],
                [*LIBRARY.texts, "speech", "speech", "speech"],
            ),
            positive_ages=[0.0] * 11,
        )
    )
    assert learning.score(more, candidate)[0] > learning.score(model, candidate)[0]


def test_an_explicit_negative_lowers_similar_papers(model):
    candidate = papers("A", seed=8)
    negatives = papers("AAA", seed=9)
    disliked = learning.train(base_input(negatives=negatives))
    assert learning.score(disliked, candidate)[0] < learning.score(model, candidate)[0]


def test_following_an_author_or_a_category_raises_their_papers(model):
    candidate = papers("C", seed=10, authors=[["grace hopper"]])
    before = learning.score(model, candidate)[0]
    by_author = learning.train(base_input(followed_authors=["grace hopper"]))
    by_category = learning.train(base_input(followed_categories=["q-bio.BM"]))
    assert learning.score(by_author, candidate)[0] > before
    assert learning.score(by_category, candidate)[0] > before


def test_library_authors_raise_their_new_papers(model):
    plain = papers("B", seed=11, authors=[["someone else"]])
    theirs = Papers(plain.vectors, [["ada lovelace"]], plain.categories, plain.texts)
    assert learning.score(model, theirs)[0] > learning.score(model, plain)[0]


def test_muting_sinks_a_paper():
    candidate = papers("A", seed=12, authors=[["mallory"]])
    muted = learning.train(base_input(muted_authors=["mallory"]))
    assert learning.score(muted, candidate)[0] < learning.score(muted, papers("C", seed=13))[0]


def test_stored_and_loaded_it_scores_the_same(model):
    raw = model.to_bytes()
    again = learning.MemberModel.from_bytes(raw)
    candidates = papers("ABCABC", seed=14)
    assert again.kind == model.kind
    assert np.allclose(learning.score(again, candidates), learning.score(model, candidates))
    with pytest.raises(ValueError):
        learning.MemberModel.from_json({**model.to_json(), "version": 999})


def test_scoring_many_members_is_scoring_each(model):
    other = learning.train(base_input(positives=papers("CCCC", seed=15), positive_ages=None))
    candidates = papers("ABCABC", seed=16)
    many = learning.score_many([model, other], candidates)
    assert many.shape == (2, 6)
    assert np.allclose(many[0], learning.score(model, candidates))
    assert np.allclose(many[1], learning.score(other, candidates))


def test_explain_names_the_nearest_saved_papers_and_the_strongest_terms(model):
    text = "graph message passing for molecules"
    candidate = Papers(LIBRARY.vectors[3:4], [["nobody"]], [["cs.LG"]], [text])
    why = learning.explain(model, candidate, LIBRARY)
    assert why.nearest[0][0] == 3 and why.nearest[0][1] == pytest.approx(1.0, abs=1e-5)
    assert {t for t, _ in why.terms} >= {"graph", "message", "passing"}
    assert why.categories and why.categories[0][0] == "cs.LG"


def test_links_and_boilerplate_are_not_words_of_a_subject():
    # Abstracts end with "Code is available at https://github.com/..." or "Project page: https://
    # x.github.io": such words are in everyone's library, and "Why here?" named them as a member's.
    text = (
        "Graph message passing for molecules. Extensive experiments show it is highly effective. Code "
        "and models are publicly available at https://github.com/ada/graph-mp and www.example.org; "
        "project page: https://ada.github.io/graph-mp/ (ada@example.org)."
    )
    assert learning.terms_of(text) == ["graph", "message", "passing", "molecules"]
    tail = " Extensive experiments: code at https://github.com/x/y, project page https://x.github.io."
    library = Papers(LIBRARY.vectors, LIBRARY.authors, LIBRARY.categories, [t + tail for t in LIBRARY.texts])
    trained = learning.train(base_input(positives=library))
    assert {"graph", "message", "passing"} <= set(trained.terms)
    boilerplate = {"https", "github", "io", "com", "project", "page", "code", "extensive", "experiments"}
    assert not boilerplate & set(trained.terms)


def test_a_part_of_a_batch_keeps_the_words_already_found(model):
    # "Why here?" explains each card from a one-paper part of the span's kept batch.
    batch = papers("ABCAB", seed=3)
    fresh = batch.subset([4, 1])
    batch.term_lists()
    kept = batch.subset([4, 1])
    assert kept._terms is not None and kept.term_lists() == fresh.term_lists() == [
        learning.terms_of(batch.texts[4]),
        learning.terms_of(batch.texts[1]),
    ]
    assert learning.explain(model, kept.subset([0]), LIBRARY) == learning.explain(
        model, fresh.subset([0]), LIBRARY
    )
    assert batch.subset([])._terms == []
    named = Papers(batch.vectors[:2], batch.authors[:2], batch.categories[:2], names=[{"a": "A"}, {"b": "B"}])
    assert named.subset([1]).names == [{"b": "B"}] and batch.subset([1]).names is None


def test_uncertain_picks_the_papers_nearest_the_threshold(model):
    pool = papers("ABC" * 10, seed=17)
    picked = learning.uncertain(model, pool, k=5)
    assert len(picked) == 5 and len(set(picked.tolist())) == 5
    distance = np.abs(learning.score(model, pool) - model.threshold)
    assert distance[picked].max() <= np.sort(distance)[4] + 1e-9


def test_the_text_part_is_scikit_learns_logistic_regression():
    """learning._logistic minimises LogisticRegression(C=LOGISTIC_C)'s weighted objective itself (SciPy's
    L-BFGS, without scikit-learn's per-fit set-up): the two rank any paper alike."""
    from sklearn.linear_model import LogisticRegression

    pos, neg, bg = LIBRARY.vectors, papers("BC", seed=3).vectors, BACKGROUND.vectors
    pos_w = learning.recency_weights([10.0 * i for i in range(len(pos))], len(pos))
    coef, intercept = learning._logistic(pos, pos_w, neg, bg)

    x = np.vstack([pos, neg, bg])
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg) + len(bg))]
    w = np.r_[
        pos_w / pos_w.sum() * len(pos),
        np.full(len(neg), learning.NEGATIVE_WEIGHT),
        np.full(len(bg), learning.BACKGROUND_SHARE * len(pos) / len(bg)),
    ]
    reference = LogisticRegression(C=learning.LOGISTIC_C, max_iter=200, tol=1e-3).fit(x, y, sample_weight=w)
    probe = papers("ABC" * 10, seed=4).vectors
    ours = probe @ coef + intercept
    theirs = probe @ reference.coef_[0] + reference.intercept_[0]
    assert np.corrcoef(ours, theirs)[0, 1] > 0.999
    assert np.allclose(ours, theirs, atol=0.05 * np.abs(theirs).max())
