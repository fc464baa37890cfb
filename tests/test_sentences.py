"""Sentence and word splitting keep exact character offsets."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.text import split_sentences, split_words


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def words(text: str, **kwargs) -> list[str]:
    return [text[s:e] for s, e in split_words(text, **kwargs)]


@pytest.mark.parametrize(
    "text",
    [
        "U.N. envoy Staffan de Mistura met Mr. Hijab in Geneva.",
        "The U.S. delegation and Dr. Watson arrived at 5 p.m. on Jan. 5 in Sochi.",
        "Gen. Petraeus, Sen. Graham, Rep. King, Lt. Col. North and St. Petersburg officials met.",
        "Resolution No. 2254 was cited by J. Smith vs. the committee at 9 a.m. Monday.",
        "He said the talks would resume on Feb. 12 in Vienna.",
    ],
)
def test_abbreviations_do_not_end_a_sentence(text):
    assert sentences(text) == [text]


def test_sentence_ends_before_uppercase_digit_or_quote():
    text = 'Talks failed. 2015 was hard! "We refuse," he said. Why? Nobody knows.'
    assert sentences(text) == ["Talks failed.", "2015 was hard!", '"We refuse," he said.', "Why?", "Nobody knows."]


def test_no_boundary_before_lowercase():
    text = "They met in Geneva. and then again in Vienna."
    assert sentences(text) == [text]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    text = "He said “we will not attend.” The talks began. (They ended early.) It rained."
    assert sentences(text) == ["He said “we will not attend.”", "The talks began.", "(They ended early.)", "It rained."]


def test_quoted_abbreviation_at_the_end_still_ends_the_sentence():
    assert sentences('He answered "No." Then he left.') == ['He answered "No."', "Then he left."]


def test_newline_is_a_hard_boundary_and_blank_lines_vanish():
    text = "Lavrov, de Mistura discuss Syrian National Dialogue Congress\n\n  Jan 28, 2018, 00:38  \nBody text here."
    assert sentences(text) == [
        "Lavrov, de Mistura discuss Syrian National Dialogue Congress",
        "Jan 28, 2018, 00:38",
        "Body text here.",
    ]


def test_glued_period_before_a_capitalised_word():
    # Seed 002 has "Assad.The boycott" with no space after the period.
    text = "a settlement favorable to Moscow's ally Bashar al-Assad.The boycott by the opposition followed."
    assert sentences(text) == [
        "a settlement favorable to Moscow's ally Bashar al-Assad.",
        "The boycott by the opposition followed.",
    ]


def test_glued_periods_that_are_not_sentence_ends():
    text = "The U.N.Security Council met. Growth was 3.5 percent. See example.com now."
    assert sentences(text) == ["The U.N.Security Council met.", "Growth was 3.5 percent.", "See example.com now."]


def test_sentence_spans_are_stripped():
    text = "   First one.   Second one.   "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one."]
    assert spans[0][0] == 3


def test_words_and_punctuation():
    text = "Syria's al-Assad told U.N. envoys (and Moscow’s 1,500 delegates): don't walk-out at 17:00!"
    assert words(text) == [
        "Syria", "'s", "al-Assad", "told", "U.N.", "envoys", "(", "and", "Moscow", "’s", "1,500", "delegates",
        ")", ":", "don't", "walk-out", "at", "17:00", "!",
    ]  # fmt: skip


def test_words_inside_a_range_keep_article_offsets():
    text = "Headline.\nRussia-sponsored talks in Sochi."
    start = text.index("Russia")
    spans = split_words(text, start, len(text))
    assert spans[0] == (start, start + len("Russia-sponsored"))
    assert [text[s:e] for s, e in spans] == ["Russia-sponsored", "talks", "in", "Sochi", "."]


def test_breaks_cut_a_word_at_a_span_edge():
    text = "Russia-sponsored talks"
    assert words(text, breaks=[6]) == ["Russia", "-sponsored", "talks"]
    assert words(text, breaks=[0, 6, 16, 22]) == ["Russia", "-sponsored", "talks"]


def test_zero_width_and_stray_combining_characters_are_not_words():
    text = "talks \u200b in \u0301 Geneva"
    assert words(text) == ["talks", "in", "Geneva"]


@given(st.lists(st.sampled_from(list("abcXYZ019 .,!?;:'\"“”’()-\n\té\u200b") + ["Mr.", "U.S.", " The", "al-"])))
def test_word_offsets_always_slice_the_text_exactly(pieces):
    text = "".join(pieces)
    spans = split_words(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end
        assert not any(ch.isspace() for ch in text[start:end])
        previous_end = end
    # Every character outside the words is whitespace or a skipped format/combining character.
    covered = {i for start, end in spans for i in range(start, end)}
    for i, ch in enumerate(text):
        if i not in covered:
            assert ch.isspace() or unicodedata.category(ch)[0] in "CM"


@given(st.lists(st.sampled_from(list("abcXYZ019 .,!?'\"“”()-\n") + ["Mr.", "U.S.", " The", ". A", "al-", "\n\n"])))
def test_sentence_spans_cover_every_visible_character_in_order(pieces):
    text = "".join(pieces)
    spans = split_sentences(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end
        assert text[start:end] == text[start:end].strip()
        assert "\n" not in text[start:end]
        previous_end = end
    visible = "".join(ch for ch in text if not ch.isspace())
    assert "".join(text[s:e] for s, e in spans).replace(" ", "").replace("\t", "") == visible
