"""Subword label alignment and span mapping, on plain inputs."""

from __future__ import annotations

from parley.model.encoding import IGNORE_INDEX, align_labels, word_span_to_token_span

X = IGNORE_INDEX


def test_first_subword_gets_the_label_the_rest_and_specials_are_ignored():
    word_ids = [None, 0, 0, 1, 2, 2, 2, None]
    assert align_labels(word_ids, [3, 0, 5]) == [X, 3, X, 0, 5, X, X, X]


def test_all_subwords_with_a_continuation_map():
    word_ids = [None, 0, 0, 1, 1, None]
    b_to_i = {0: 0, 1: 2, 2: 2}
    assert align_labels(word_ids, [1, 2], label_all_subwords=True, continuation=b_to_i) == [X, 1, 2, 2, 2, X]
    assert align_labels(word_ids, [1, 0], label_all_subwords=True) == [X, 1, 1, 0, 0, X]


def test_an_ignored_word_stays_ignored_on_every_subword():
    word_ids = [None, 0, 0, 1, None]
    assert align_labels(word_ids, [X, 4], label_all_subwords=True, continuation=[0, 1, 2, 3, 4]) == [X, X, X, 4, X]


def test_words_without_subwords_are_skipped():
    # Word 1 produced no token (e.g. a zero-width character); word 2's label must not shift onto it.
    assert align_labels([None, 0, 2, None], [1, 7, 2]) == [X, 1, 2, X]


def test_word_span_to_token_span():
    word_ids = [None, 0, 1, 1, 1, 2, None]
    assert word_span_to_token_span(word_ids, 1, 2) == (2, 5)
    assert word_span_to_token_span(word_ids, 0, 3) == (1, 6)
    assert word_span_to_token_span(word_ids, 3, 4) is None


def test_alignment_with_a_real_tokenizer(tokenizer):
    words = ["Khaled", "al-Khoja", "met", "U.N.", "envoys"]
    encoding = tokenizer(words, is_split_into_words=True)
    labels = align_labels(encoding.word_ids(), [1, 2, 0, 3, 0])
    firsts = [i for i, label in enumerate(labels) if label != X]
    assert [labels[i] for i in firsts] == [1, 2, 0, 3, 0]
    assert [encoding.word_ids()[i] for i in firsts] == [0, 1, 2, 3, 4]
    start, end = word_span_to_token_span(encoding.word_ids(), 1, 2)
    assert tokenizer.decode(encoding["input_ids"][start:end]).replace(" ", "") == "al-khoja"
