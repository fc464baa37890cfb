"""How unsure a trained model is about an article: the measure `parley suggest` ranks unlabeled articles by.

The measure is the expected number of word tags in doubt: over the article's words, the sum of (1 - margin)
on the mention head and on the trigger head, where a word's margin is its top tag's probability minus the
runner-up's. Why these heads and this form:

- every event field hangs off a trigger and its mentions (no trigger, no status, no argument), so a word
  whose trigger or mention tag is nearly another one is where a label changes the most downstream;
- a margin separates "INVITE or MEET?" from "surely O", which the top probability alone blurs;
- summed rather than averaged, because an article is one labeling task: one with five doubtful triggers
  teaches more per opened task than one with a single doubtful word, and a word the model is sure of
  adds next to nothing (margin near 1);
- it needs one encoder pass and no relation pass, so ranking a large pool costs less than predicting it.
"""

from __future__ import annotations

from dataclasses import dataclass

from parley.inference.extractor import EventExtractor

# A word counts as doubtful when the runner-up tag is within this much probability of the top one.
DOUBTFUL_MARGIN = 0.5


@dataclass(frozen=True)
class Uncertainty:
    """One article's uncertainty: the ranking score and, to explain it, how many of its words are in doubt."""

    score: float
    words: int
    doubtful_words: int


def article_uncertainty(margins: dict[tuple[int, int], tuple[float, float]]) -> Uncertainty:
    """The uncertainty of one article from its words' (mention margin, trigger margin), as `tag_margins` gives."""
    score = sum((1.0 - mention) + (1.0 - trigger) for mention, trigger in margins.values())
    doubtful = sum(1 for pair in margins.values() if min(pair) < DOUBTFUL_MARGIN)
    return Uncertainty(round(score, 6), len(margins), doubtful)


def score_uncertainty(extractor: EventExtractor, articles: list, batch_size: int = 32) -> list[Uncertainty]:
    """The uncertainty of each article of a list (texts, dicts, Documents or Articles), in input order."""
    return [article_uncertainty(margins) for margins in extractor.tag_margins(articles, batch_size=batch_size)]
