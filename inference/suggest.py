"""Choose what to label next: the articles the model is least sure of, near-duplicates kept out of one batch.

News repeats itself (wire copies, updated versions of one story); the most uncertain articles of a pool
are often several copies of one story, and labeling the second copy teaches nothing the first did not. So
the ranking is walked from the most uncertain down and an article is passed over while its word 3-shingles
overlap a chosen one's by `max_overlap` (Jaccard) or more; if too few are left, passed-over ones fill up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parley.documents import Document, as_documents
from parley.inference.events import Extraction
from parley.inference.extractor import EventExtractor
from parley.inference.uncertainty import Uncertainty, score_uncertainty

SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+")


@dataclass
class Suggestion:
    """An article chosen for labeling: its rank (1 = label first), why, and the model's events as a head start."""

    rank: int
    document: Document
    uncertainty: Uncertainty
    extraction: Extraction


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[tuple[str, ...]]:
    """The text's runs of `size` consecutive lower-cased words (the whole text when it is shorter)."""
    words = _WORD.findall(text.lower())
    if len(words) <= size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: set, b: set) -> float:
    """|a & b| / |a | b|; two empty sets share nothing."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def pick_diverse(texts: list[str], scores: list[float], n: int, max_overlap: float = 0.5) -> list[int]:
    """Indices of `n` texts, highest score first, skipping texts that overlap a picked one by `max_overlap`."""
    if not 0.0 < max_overlap <= 1.0:
        raise ValueError(f"max_overlap must be in (0, 1], got {max_overlap}")
    ranked = sorted(range(len(texts)), key=lambda i: (-scores[i], i))
    picked: list[int] = []
    picked_shingles: list[set] = []
    passed_over: list[int] = []
    for i in ranked:
        if len(picked) == n:
            break
        own = shingles(texts[i])
        if any(jaccard(own, other) >= max_overlap for other in picked_shingles):
            passed_over.append(i)
            continue
        picked.append(i)
        picked_shingles.append(own)
    return picked + passed_over[: n - len(picked)]


def choose_uncertain(
    extractor: EventExtractor, articles: list, n: int, batch_size: int = 32, max_overlap: float = 0.5
) -> tuple[list[int], list[Uncertainty]]:
    """The indices of the `n` articles to label next, in order, and the uncertainty of every article."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    documents = as_documents(articles)
    uncertainty = score_uncertainty(extractor, documents, batch_size=batch_size)
    texts = [d.text for d in documents]
    return pick_diverse(texts, [u.score for u in uncertainty], n, max_overlap), uncertainty


def suggest(
    extractor: EventExtractor, articles: list, n: int, batch_size: int = 32, max_overlap: float = 0.5
) -> list[Suggestion]:
    """The `n` articles to label next with the model's events on each (fewer when the input has fewer)."""
    documents = as_documents(articles)
    chosen, uncertainty = choose_uncertain(extractor, documents, n, batch_size, max_overlap)
    extractions = extractor.extract([documents[i] for i in chosen], batch_size=batch_size)
    return [
        Suggestion(rank, documents[i], uncertainty[i], extraction)
        for rank, (i, extraction) in enumerate(zip(chosen, extractions, strict=True), start=1)
    ]
