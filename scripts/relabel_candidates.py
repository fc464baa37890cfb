"""List every span that a SCHEMA v1.1 rule (section 8) may apply to, with how it is labeled now.

    python scripts/relabel_candidates.py [PATH ...] [--rule NAME] [--only trigger|mention|nothing] [--summary]

PATH defaults to data/. One line per candidate:

    RULE | article id | matched words | current label | sentence (trimmed)

where the current label is every trigger ("MEET asserted") or, failing that, every mention
("MEETING mention") that overlaps the match, or "nothing". A last block gives, per rule, the
number of candidates and how many of them are triggers / mentions / nothing now. It is a review
tool: each candidate is read and decided by hand; nothing is changed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass

from parley.formats.readers import read_articles
from parley.schema import load_schema
from parley.text import split_sentences

MEETING_NOUN = r"(talks|negotiations|consultations|discussions|dialogue|summit|conference|congress|meetings?|session|gathering|forum|round)"  # noqa: E501 (a pattern reads best on one line)


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: str
    headline_only: bool = False  # candidates only in an article's first line


RULES: list[Rule] = [
    Rule(
        "R1 nominalisations",
        r"\b(participation|attendance|presence|visits?|trips?|acceptance|refusals?|rejections?|walk-?outs?|no-?shows?|boycotters?)\b",  # noqa: E501 (a pattern reads best on one line)
    ),
    Rule("R2 meeting noun", r"\bmeetings?\b"),
    Rule(
        "R3 held/resumed talks",
        rf"\b(held|hold|holds|holding|resum\w*|restart\w*|re-?enter\w*|return\w* to)\b[^.;]{{0,40}}?\b{MEETING_NOUN}\b",
    ),
    Rule(
        "R3 takes place / is held",
        r"\b(take|takes|took|taken|taking) place\b|\b(is|was|were|are|be|been|being) (\w+ )?held\b",
    ),
    Rule(
        "R4 travel/arrive to a meeting",
        r"\b(travel\w*|went|go|goes|going|gone|flew|fly|flies|flying|arriv\w*|head\w* to)\b",
    ),
    Rule(
        "R4 delegation/represented",
        r"\b(sent|send|sends|sending|dispatch\w*)\b[^.;]{0,30}\bdelegat\w*|\brepresent(ed|ing|s)?\b|\brepresentation\b",
    ),
    Rule(
        "R4 showed up/joined/back at table",
        r"\b(show\w*|turn\w*) up\b|\bjoin(s|ed|ing)?\b|\breturn\w* to the (negotiating )?table\b|\bback (at|to) the (negotiating )?table\b",  # noqa: E501 (a pattern reads best on one line)
    ),
    Rule("R4 chaired/presided/participants", r"\bchair(s|ed|ing)\b|\bpresid(e|es|ed|ing)\b|\bparticipants?\b"),
    Rule(
        "R5 absence (not chosen / chosen)",
        r"\babsen\w*|\b(could|can|was|were)(n't| not| unable to) (attend|come|make it|travel)\b|\bunable to (attend|come|travel)\b",  # noqa: E501 (a pattern reads best on one line)
    ),
    Rule(
        "R5 stayed away/walked out/suspended",
        r"\bstay\w* away\b|\b(did|does|do)(n't| not) show up\b|\bsuspend\w*|\bwalk\w* (out|away)\b|\bskip\w*|\bpull\w* out\b|\bwithdr[ae]w\w*",  # noqa: E501 (a pattern reads best on one line)
    ),
    Rule(
        "R6 agreed to meet / accepted a meeting",
        rf"\bagree\w* to (meet|resume|return|hold|host|restart|sit|talk)\b|\baccept\w*\b[^.;]{{0,25}}\b{MEETING_NOUN}\b",  # noqa: E501 (a pattern reads best on one line)
    ),
    Rule("R7 telephone/video", r"\b(tele)?phone\w*|\bvideo\w*|\bvirtual\w*|\bonline\b|\bby call\b|\bspoke by\b"),
    Rule("R8 refused/rejected/declined objects", r"\b(refus\w*|reject\w*|declin\w*)\b"),
    Rule("R8 agreed to / accepted objects", r"\bagree\w*\b|\baccept\w*\b"),
    Rule(
        "R8 attended to / met a target",
        r"\battend\w* to\b|\bmet\b[^.;]{0,20}\b(target|deadline|criticism|goal|demand|expectations?|resistance|opposition|approval)\b",  # noqa: E501 (a pattern reads best on one line)
    ),
    Rule(
        "R8 website visit / non-meeting boycott",
        r"\bwebsite\b|\bboycott\w*\b[^.;]{0,40}\b(election|poll|vote|referendum|products?|goods|brands?|games|olympics|match|tournament|cup|festival|film)\b",  # noqa: E501 (a pattern reads best on one line)
    ),
    Rule("R9 readiness/willingness", r"\b(ready|readiness|willing\w*|prepared|open) to( \w+){1,2}"),
    Rule(
        "R9 did not agree / refusal now about future",
        r"\b(did|does|has|have)(n't| not) (agree|accept)\w*\b|\b(will|would|shall|wo)(n't| not) (attend|go|take part|join|participate|send|travel|meet|come)\b",  # noqa: E501 (a pattern reads best on one line)
    ),
    Rule("R9 headline status", r"\S.*", headline_only=True),
]


def current_label(article, start: int, end: int) -> str:
    """How the span [start, end) is labeled now: overlapping triggers, else mentions, else nothing."""
    events = [e for e in article.events if e.trigger.start < end and start < e.trigger.end]
    if events:
        return "; ".join(f"{e.type} {e.status}" for e in events)
    mentions = [m for m in article.entities if m.start < end and start < m.end]
    if mentions:
        return "; ".join(f"{m.label} mention{role_note(article, m)}" for m in mentions)
    return "nothing"


def role_note(article, mention) -> str:
    """' (meeting of DECLINE)' for a mention that fills a role, ' (no role)' otherwise."""
    roles = [f"{a.role} of {e.type}" for e in article.events for a in e.arguments if a.entity == mention.id]
    return f" ({', '.join(roles)})" if roles else " (no role)"


def trim(sentence: str, start: int, end: int, width: int = 90) -> str:
    """The sentence cut to `width` characters either side of the match, on one line."""
    left, right = max(0, start - width), min(len(sentence), end + width)
    text = ("..." if left else "") + sentence[left:right] + ("..." if right < len(sentence) else "")
    return " ".join(text.split())


def headline_span(text: str) -> tuple[int, int]:
    """The article's first non-empty line, when it is a headline (no final period, no dateline)."""
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            is_headline = not line.rstrip().endswith((".", '"', "”")) and " - " not in line
            return (offset, offset + len(line)) if is_headline else (0, 0)
        offset += len(line) + 1
    return 0, 0


def candidates(article, rule: Rule):
    """Yield (matched text, current label, trimmed sentence) for each match of `rule` in `article`."""
    if rule.headline_only:
        start, end = headline_span(article.text)
        for event in article.events:
            if start <= event.trigger.start < end:
                line = article.text[start:end]
                s, e = event.trigger.start - start, event.trigger.end - start
                yield line[s:e], f"{event.type} {event.status}", trim(line, s, e)
        return
    for s_start, s_end in split_sentences(article.text):
        sentence = article.text[s_start:s_end]
        for match in re.finditer(rule.pattern, sentence, re.IGNORECASE):
            label = current_label(article, s_start + match.start(), s_start + match.end())
            yield match.group(), label, trim(sentence, match.start(), match.end())


def kind_of(label: str) -> str:
    if label == "nothing":
        return "nothing"
    return "mention" if " mention" in label else "trigger"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["data"])
    parser.add_argument("--rule", help="only rules whose name contains this (case-insensitive), e.g. R3")
    parser.add_argument("--only", choices=["trigger", "mention", "nothing"], help="only candidates labeled so now")
    parser.add_argument("--summary", action="store_true", help="print only the per-rule counts")
    args = parser.parse_args()

    result = read_articles(args.paths, load_schema(), lenient=True)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    rules = [r for r in RULES if not args.rule or args.rule.lower() in r.name.lower()]
    if not rules:
        print(f"no rule matches {args.rule!r}; rules: " + ", ".join(r.name for r in RULES), file=sys.stderr)
        return 1

    counts: dict[str, Counter] = {r.name: Counter() for r in rules}
    for rule in rules:
        for article in result.articles:
            for words, label, sentence in candidates(article, rule):
                counts[rule.name][kind_of(label)] += 1
                if args.summary or (args.only and kind_of(label) != args.only):
                    continue
                print(f"{rule.name} | {article.id} | {words} | {label} | {sentence}")

    print("\nrule                                      candidates  trigger  mention  nothing")
    for name, c in counts.items():
        total = sum(c.values())
        print(f"{name:<42}{total:>10}{c['trigger']:>9}{c['mention']:>9}{c['nothing']:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
