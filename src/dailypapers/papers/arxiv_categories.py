"""arXiv's category codes, as its taxonomy lists them (https://arxiv.org/category_taxonomy), so that a
code typed by a person can be checked before any paper in it has arrived.

A category is `archive.SUBJECT` ("cs.CL", "astro-ph.CO", "cond-mat.mes-hall"), or an archive without
subjects ("hep-th", "quant-ph"). The catalogue's own Category rows count as known too (`known`):
old papers carry retired archives ("cmp-lg", "solv-int") that the taxonomy no longer lists.
"""

from __future__ import annotations

from collections.abc import Iterable

from dailypapers.papers.models import Category

_SUBJECTS = {
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "cs": (
        "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI "
        "OH OS PF PL RO SC SD SE SI SY"
    ),
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": (
        "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT SG SP ST"
    ),
    "nlin": "AO CD CG PS SI",
    "physics": (
        "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph flu-dyn "
        "gen-ph geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph"
    ),
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
_ARCHIVES_WITHOUT_SUBJECTS = "gr-qc hep-ex hep-lat hep-ph hep-th math-ph nucl-ex nucl-th quant-ph"

ARXIV_CATEGORIES: frozenset[str] = frozenset(
    [f"{archive}.{subject}" for archive, subjects in _SUBJECTS.items() for subject in subjects.split()]
    + _ARCHIVES_WITHOUT_SUBJECTS.split()
)


def known(codes: Iterable[str]) -> dict[str, str]:
    """The known categories among `codes`, each typed code mapped to its proper spelling
    ("cs.cl" → "cs.CL"); unknown codes are left out."""
    codes = list(codes)
    spelling = {code.lower(): code for code in ARXIV_CATEGORIES}
    looked_up = {*codes, *(code.lower() for code in codes)}
    for code in Category.objects.filter(code__in=looked_up).values_list("code", flat=True):
        spelling.setdefault(code.lower(), code)
    return {code: spelling[code.lower()] for code in codes if code.lower() in spelling}
