"""Words of a sentence unit -> windows that fit the encoder -> token columns and token-aligned labels.

Windows, alignment and the ignore index come from `parley.model.encoding`, which the extractor shares.
"""

from __future__ import annotations

from typing import Any

from parley.config import RunConfig
from parley.documents import Article, Entity, LabeledEvent
from parley.encoders import resolve_encoder
from parley.model.encoding import IGNORE_INDEX, align_labels, plan_windows, word_span_to_token_span
from parley.text import split_words
from parley.training.build_summary import SplitCounts
from parley.training.word_labels import UNLABELED, WordSpan

Span = tuple[int, int]


def load_tokenizer(encoder: str) -> Any:
    """The encoder's fast tokenizer, ready for pre-split words."""
    from transformers import AutoTokenizer

    path = resolve_encoder(encoder)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if not tokenizer.is_fast:
        raise ValueError(f"{encoder}: the dataset builder needs a fast tokenizer (word ids), got {type(tokenizer)}")
    try:
        tokenizer(["a", "b"], is_split_into_words=True)
    except (TypeError, ValueError, AssertionError):
        # Byte-level BPE tokenizers (RoBERTa, GPT-2) only take pre-split words with a prefix space.
        tokenizer = AutoTokenizer.from_pretrained(path, add_prefix_space=True)
    return tokenizer


class WindowEncoder:
    """Cuts a unit into words and windows and encodes each window; holds the tokenizer and the length budget."""

    def __init__(self, tokenizer: Any, config: RunConfig):
        self.tokenizer = tokenizer
        self.max_length = config.data.max_length
        self.budget = config.data.max_length - tokenizer.num_special_tokens_to_add(pair=False)
        if self.budget < 1:
            raise ValueError(f"data.max_length {config.data.max_length} leaves no room beside the special tokens")
        self.stride = config.data.window_stride
        self.label_all_subwords = config.data.label_all_subwords
        self.input_names = list(tokenizer.model_input_names)

    def words(
        self, text: str, unit: Span, entities: list[Entity], events: list[LabeledEvent], counts: SplitCounts
    ) -> tuple[list[Span], list[int]]:
        """The unit's words (cut at span edges, without words that have no subword) and their subword counts."""
        edges = {edge for e in entities for edge in (e.start, e.end)}
        edges |= {edge for ev in events for edge in (ev.trigger.start, ev.trigger.end)}
        words = split_words(text, unit[0], unit[1], breaks=edges)
        counts.issues["split_words"] += len(words) - len(split_words(text, unit[0], unit[1]))
        costs = [0] * len(words)
        if words:
            encoding = self.tokenizer([text[s:e] for s, e in words], is_split_into_words=True, add_special_tokens=False)
            for word_id in encoding.word_ids():
                if word_id is not None:
                    costs[word_id] += 1
        kept = [i for i, cost in enumerate(costs) if cost > 0]
        counts.issues["dropped_words"] += len(words) - len(kept)
        counts.issues["truncated_words"] += sum(cost > self.budget for cost in costs)
        return [words[i] for i in kept], [costs[i] for i in kept]

    def windows(self, costs: list[int], required: list[Span], kinds: list[str], counts: SplitCounts) -> list[Span]:
        """Word windows within the budget that hold each `required` range where they can; counts the ones lost.

        `kinds[i]` says what `required[i]` is: "event", "span", or the role of a relation pair.
        """
        windows, unfit = plan_windows(costs, self.budget, self.stride, required)
        counts.issues["windowed_units"] += len(windows) > 1
        for index in unfit:
            kind = kinds[index]
            if kind in ("event", "span"):
                counts.issues[f"unfit_{kind}s"] += 1
            else:
                counts.issues["unfit_pairs"] += 1
                counts.unfit_pairs[kind] += 1
        return windows

    def encode(self, article: Article, words: list[Span], costs: list[int]) -> tuple[dict[str, Any], list[int | None]]:
        """The text, word and token columns of one window, and the tokens' word ids."""
        char_start, char_end = words[0][0], words[-1][1]
        texts = [article.text[s:e] for s, e in words]
        # Only a window of one word longer than the budget is truncated; `truncated_words` counts it.
        too_long = sum(costs) > self.budget
        encoding = self.tokenizer(texts, is_split_into_words=True, truncation=too_long, max_length=self.max_length)
        word_ids = encoding.word_ids()
        row = {
            "article_id": article.id,
            "char_start": char_start,
            "char_end": char_end,
            "text": article.text[char_start:char_end],
            "words": texts,
            "word_starts": [s - char_start for s, _ in words],
            "word_ends": [e - char_start for _, e in words],
            "word_ids": [-1 if w is None else w for w in word_ids],
        }
        for name in self.input_names:
            row[name] = list(encoding[name])
        return row, word_ids

    def align(self, word_ids: list[int | None], tags: list[int], continuation: list[int]) -> list[int]:
        """Word tags on the window's tokens (IGNORE_INDEX on special tokens and unlabeled words)."""
        word_labels = [IGNORE_INDEX if tag == UNLABELED else tag for tag in tags]
        return align_labels(word_ids, word_labels, self.label_all_subwords, continuation)


def span_columns(span: WordSpan, window_start: int, word_ids: list[int | None]) -> dict[str, Any]:
    """A span's word and token range inside its window (token indices count the special tokens)."""
    word_start, word_end = span.start - window_start, span.end - window_start
    tokens = word_span_to_token_span(word_ids, word_start, word_end) or (-1, -1)
    return {
        "word_start": word_start,
        "word_end": word_end,
        "token_start": tokens[0],
        "token_end": tokens[1],
        "in_tags": span.in_tags,
    }
