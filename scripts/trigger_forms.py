"""Count the labeled examples of every trigger form docs/schema.md sections 2 and 8 name, and the near misses.

    python scripts/trigger_forms.py [PATH ...] [--min 15]     (default: data/)

A trigger form is an event type plus a pattern on the trigger's text ("ATTEND by participation").
A near-miss sentence holds a word that often triggers an event (invite, reject, met, visit, talks ...)
but no labeled trigger. Prints one row per form, the near-miss and no-event counts, the share of
passages per region (the id's group, `synth-<group>-NNN`), and a last line
`forms=N below_min=K near_miss_sentences=M no_event_passages=P max_region=NAME:SHARE`.
Exit 1 when a form has fewer than --min examples.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

from parley.formats.readers import read_articles
from parley.schema import load_schema
from parley.text import split_sentences

# (event type, form name, regex searched in the lower-cased trigger text)
TRIGGER_FORMS: list[tuple[str, str, str]] = [
    ("INVITE", "invited", r"\binvit(e|es|ed|ing)\b"),
    ("INVITE", "invitation", r"\binvitations?\b"),
    (
        "INVITE",
        "invitations were sent / extended",
        r"invitations? (was|were|has been|have been) (sent|extended|issued)|extended an? .*invitation|sent .*invitations?|issued .*invitations?",  # noqa: E501 (a pattern reads best on one line)
    ),
    ("INVITE", "offer or proposal to meet", r"\b(offer|propos|challeng)"),
    ("ACCEPT", "accepted", r"\baccept(s|ed|ing)?\b"),
    ("ACCEPT", "acceptance", r"\bacceptance\b"),
    ("ACCEPT", "agreed to attend / participate", r"\bagree\w* to (attend|participate|take part|join|send|go|travel)"),
    ("ACCEPT", "agreed to meet / resume talks", r"\bagree\w* to (meet|resume|return|hold|host|restart)"),
    ("DECLINE", "declined", r"\bdeclin(e|es|ed|ing)\b"),
    ("DECLINE", "rejected", r"\breject(s|ed|ing)?\b"),
    ("DECLINE", "rejection", r"\brejection\b"),
    ("DECLINE", "refused / refuses", r"\brefus(e|es|ed|ing)\b"),
    ("DECLINE", "refusal", r"\brefusal\b"),
    ("DECLINE", "decided not to attend", r"\bdecided\b|\bdecision\b"),
    ("DECLINE", "will not attend / skip", r"\b(will|would|shall) not\b|\bwon't\b|\bskip"),
    ("DECLINE", "pulled out / withdrew", r"\bpull\w* out\b|\bwithdr[ae]w"),
    ("DECLINE", "cancelled a visit or meeting", r"\bcancel|\bcalled off\b"),
    ("MEET", "met / meet", r"^(to )?(meet|meets|met)\b"),
    ("MEET", "meeting (noun)", r"^meetings?$"),
    ("MEET", "held talks", r"\b(hold|holds|held|holding)\b.*\b(talks|negotiations|consultations|discussions)\b"),
    ("MEET", "discuss", r"\bdiscuss"),
    ("MEET", "visit", r"\bvisit"),
    ("MEET", "trip", r"\btrips?\b"),
    ("MEET", "hosted", r"\bhost"),
    ("MEET", "received / welcomed", r"\breceiv|\bwelcom"),
    ("MEET", "resumed / returned to talks", r"\b(resum|restart|re-?enter|return)"),
    (
        "MEET",
        "takes place / is held",
        r"\b(take|takes|took|taking|taken) place\b|^(was|were|is|are|be|been|being|will be)?\s*held$",
    ),
    ("MEET", "negotiate", r"\bnegotiat"),
    ("ATTEND", "attended", r"\battend(s|ed|ing)?\b"),
    ("ATTEND", "took part", r"\b(take|takes|took|taking|taken) part\b"),
    ("ATTEND", "joined", r"\bjoin"),
    ("ATTEND", "participate", r"\bparticipat(e|es|ed|ing)\b"),
    ("ATTEND", "participation", r"\bparticipation\b"),
    ("ATTEND", "attendance", r"\battendance\b"),
    ("ATTEND", "presence", r"\bpresen(ce|t)\b"),
    ("ATTEND", "travelled / went / arrived", r"\b(travel|went|go|goes|going|gone|flew|fly|flies|arriv|head)"),
    ("ATTEND", "sent a delegation", r"\b(sent|send|sends|sending|dispatch)"),
    ("ATTEND", "was represented", r"\brepresent"),
    ("ATTEND", "showed up", r"\bshow\w* up\b|\bturn\w* up\b"),
    ("ATTEND", "returned to the table", r"\breturn\w* to the\b.*\btable\b"),
    ("ATTEND", "chaired", r"\bchair"),
    ("ATTEND", "among the participants", r"\bparticipants?\b"),
    ("ATTEND", "absent / could not attend", r"\babsen|\b(could|can|was|were) ?n[o']t\b|\bunable\b"),
    ("BOYCOTT", "boycott", r"\bboycott(s|ed|ing)?\b"),
    ("BOYCOTT", "boycotters", r"\bboycotters?\b"),
    ("BOYCOTT", "stayed away", r"\bstay\w* away\b"),
    ("BOYCOTT", "walked out", r"\bwalk\w* out\b"),
    ("BOYCOTT", "walkout", r"\bwalk-?outs?\b"),
    ("BOYCOTT", "no-show / did not show up", r"\bno-?shows?\b|\bshow\w* up\b"),
    ("BOYCOTT", "suspended participation", r"\bsuspend"),
    ("BOYCOTT", "walked away", r"\bwalk\w* away\b"),
]

# Words that often trigger an event; a sentence holding one and no labeled trigger is a near miss.
NEAR_MISS_CUES = re.compile(
    r"\b(invit\w*|accept\w*|agree\w*|declin\w*|reject\w*|refus\w*|meet|meets|met|meeting|visit\w*|"
    r"attend\w*|boycott\w*|talks|negotiat\w*|host\w*|welcom\w*|join\w*|participat\w*|trip|absen\w*|"
    r"presence|walk\w* out|stay\w* away|summit|conference|skip\w*)\b",
    re.IGNORECASE,
)


def form_counts(articles) -> Counter:
    counts: Counter = Counter()
    for article in articles:
        for event in article.events:
            text = (
                event.trigger.text.lower()
                if event.trigger.text
                else article.text[event.trigger.start : event.trigger.end].lower()
            )
            for type_, name, pattern in TRIGGER_FORMS:
                if event.type == type_ and re.search(pattern, text):
                    counts[(type_, name)] += 1
    return counts


def near_miss_sentences(article) -> int:
    triggers = [(e.trigger.start, e.trigger.end) for e in article.events]
    count = 0
    for start, end in split_sentences(article.text):
        if any(s < end and start < e for s, e in triggers):
            continue
        if NEAR_MISS_CUES.search(article.text[start:end]):
            count += 1
    return count


def region_of(article_id: str) -> str:
    parts = article_id.split("-")
    return parts[1] if len(parts) >= 3 and parts[0] == "synth" else parts[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["data"])
    parser.add_argument("--min", type=int, default=15, help="examples each form needs (default 15)")
    args = parser.parse_args()

    result = read_articles(args.paths, load_schema(), lenient=True)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    articles = result.articles
    counts = form_counts(articles)
    below = [(t, n) for t, n, _ in TRIGGER_FORMS if counts[(t, n)] < args.min]
    for type_, name, _ in TRIGGER_FORMS:
        flag = "  <-- below min" if (type_, name) in below else ""
        print(f"{type_:<8} {name:<36} {counts[(type_, name)]:>5}{flag}")

    near = sum(near_miss_sentences(a) for a in articles)
    empty = sum(1 for a in articles if not a.events)
    regions = Counter(region_of(a.id) for a in articles)
    print("regions: " + "  ".join(f"{r}={n} ({n / len(articles):.0%})" for r, n in regions.most_common()))
    top, top_n = regions.most_common(1)[0] if regions else ("-", 0)
    print(
        f"forms={len(TRIGGER_FORMS)} below_min={len(below)} near_miss_sentences={near} "
        f"no_event_passages={empty} max_region={top}:{top_n / max(1, len(articles)):.2f}"
    )
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
