"""Decoding from the tagged words alone (`decode_bio_tagged`) gives what decoding every word gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from parley.inference.decoding import WordSpan, decode_bio, decode_bio_tagged

TAGS = ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]


@given(st.lists(st.tuples(st.sampled_from(TAGS), st.floats(0.0, 1.0)), max_size=40))
def test_tagged_words_alone_give_the_spans_of_every_word(words):
    tags, scores = [tag for tag, _ in words], [score for _, score in words]
    tagged = [(i, tag, score) for i, (tag, score) in enumerate(words) if tag != "O"]
    assert decode_bio_tagged(tagged) == decode_bio(tags, scores)


def test_a_gap_between_tagged_words_ends_a_span_and_a_stray_inside_tag_opens_one():
    tagged = [(2, "B-ORG", 0.5), (3, "I-ORG", 0.7), (5, "I-ORG", 0.9), (6, "B-PER", 0.4)]
    assert decode_bio_tagged(tagged) == [
        WordSpan(2, 4, "ORG", (0.5 + 0.7) / 2),
        WordSpan(5, 6, "ORG", 0.9),
        WordSpan(6, 7, "PER", 0.4),
    ]
