"""Sentence and word splitting that keeps character offsets into the article text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Words after which a period does not end a sentence (compared case-sensitively, without the period).
ABBREVIATIONS = frozenset(
    "Mr Mrs Ms Dr Prof St Gen Sen Rep Gov Lt Col Capt Maj Sgt Adm Cmdr Brig Amb Pres Rev Hon Jr Sr "
    "No vs Nos Inc Corp Ltd Co Mt Ft "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)

_TERMINATOR = re.compile(r"[.!?]+[\"'”’)\]»]*")
_OPENERS = "\"'“‘([«"
# The word before a terminator, dots included so that "U.N" is seen whole.
_WORD_BEFORE = re.compile(r"[\w.]+$")
_DOTTED = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]$")

_WORD = re.compile(
    r"(?:[^\W\d_]\.){2,}"  # dotted abbreviations stay whole: U.N., U.S., a.m.
    r"|\w+(?:(?:[-‐‑]|(?<=\d)[.,:](?=\d)|['’](?!s\b)(?=\w))\w+)*"  # al-Assad, 1,500, 17:00, don't
    r"|['’]s\b"  # possessive 's is its own token
    r"|\S"  # any other character alone
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans `(start, end)` of the sentences of `text`, stripped of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    line_start = 0
    # A newline always ends a sentence: headlines, datelines and paragraphs carry no final period.
    for line in text.split("\n"):
        line_end = line_start + len(line)
        start = line_start
        for boundary in _boundaries(text, line_start, line_end):
            spans.append((start, boundary))
            start = boundary
        spans.append((start, line_end))
        line_start = line_end + 1
    return [stripped for span in spans if (stripped := _strip(text, *span)) is not None]


def _boundaries(text: str, start: int, end: int) -> Iterable[int]:
    for match in _TERMINATOR.finditer(text, start, end):
        after = match.end()
        punct = match.group()
        if after >= end:
            continue
        if text[after].isspace():
            following = after
            while following < end and text[following].isspace():
                following += 1
            if following >= end or not _opens_sentence(text[following]):
                continue
        elif punct == "." and _glued_sentence(text, match.start(), after, end):
            # "Assad.The boycott": a missing space after the period.
            pass
        else:
            continue
        # A closing quote or bracket after the period means the sentence did end there.
        if punct == "." and _is_abbreviation(text, start, match.start()):
            continue
        yield after


def _opens_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in _OPENERS


def _glued_sentence(text: str, period: int, after: int, end: int) -> bool:
    before = _WORD_BEFORE.search(text, 0, period)
    word = before.group() if before else ""
    return (
        len(word) >= 2
        and word.isalpha()
        and word[-1].islower()
        and after + 1 < end
        and text[after].isupper()
        and text[after + 1].islower()
    )


def _is_abbreviation(text: str, line_start: int, period: int) -> bool:
    before = _WORD_BEFORE.search(text, line_start, period)
    if before is None:
        return False
    word = before.group()
    return word in ABBREVIATIONS or bool(_DOTTED.match(word)) or (len(word) == 1 and word.isupper())


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def split_words(text: str, start: int = 0, end: int | None = None, breaks: Iterable[int] = ()) -> list[tuple[int, int]]:
    """Character spans of the words and punctuation marks in `text[start:end]`.

    A word that straddles an offset in `breaks` is cut there, so that labeled
    spans whose edges fall inside a word still map onto whole words.
    """
    end = len(text) if end is None else end
    cuts = sorted(b for b in set(breaks) if start < b < end)
    words: list[tuple[int, int]] = []
    for match in _WORD.finditer(text, start, end):
        w_start, w_end = match.span()
        # Lone format and combining characters (zero-width space, stray accents) are not words.
        if w_end - w_start == 1 and unicodedata.category(text[w_start])[0] in "CM":
            continue
        for cut in cuts:
            if w_start < cut < w_end:
                words.append((w_start, cut))
                w_start = cut
        words.append((w_start, w_end))
    return words
