"""A keyword-rule baseline: trigger word lists, capitalised names as actors, nearest actor as agent or partner.

The rules, applied one sentence at a time (sentences and words as `parley.text` cuts them):

- Triggers: the phrases in `TRIGGERS` (lower case, matched case-insensitively on whole words; where phrases
  overlap the longest wins). Dropped: a trigger right after "<another trigger> ... to" within four words
  ("declined to attend", "invited them to attend": the complement is absorbed, docs/schema.md section 8), and a
  trigger followed by a numeric change ("exports declined by 3%", "declined 5 percent"), a near miss.
- Mentions, in this order, a later kind never overlapping an earlier one or a trigger:
  MEETING: a head noun of `MEETING_NOUNS` with the capitalised words, possessives ("Friday's") and
  `MEETING_MODIFIERS` directly before it ("Geneva peace talks");
  TIME: weekdays, month names with an optional day and year ("January 26-28", "Jan. 5"), `RELATIVE_TIMES`;
  actors: runs of capitalised words, with name particles (de, al, bin, of ...) inside a run; leading
  function words ("The", "Last") and titles ("Foreign Minister") are cut off, a lone demonym ("Syrian") is
  no mention. An actor is GPE when it is in `PLACES`, ORG when it holds a word of `ORG_WORDS` or is an
  acronym ("HNC", "U.N."), else PER.
- Roles: agent = the nearest actor before the trigger in the sentence, partner = the nearest after; a GPE
  right after "in"/"at" is no actor but the `place`; meeting = the nearest MEETING after the trigger (else
  before); time = the nearest TIME.
- Status: hypothetical if "if", "unless" or "whether" is before the trigger in its sentence or "could", "may",
  "might" among the 3 words before it; else negated (not, no, n't ...) or planned (will, would ...) from the
  3 words before; else asserted (`STATUS_CUES`).
- Mentions are written only in sentences that hold a trigger (where gold labels them all, docs/schema.md section 8).

Event types, roles, labels and statuses named here are the rules' own data; `KeywordBaseline` checks each
against the schema it is given and fails naming what the schema lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from parley.documents import Argument, Article, Entity, LabeledEvent, Trigger
from parley.schema import Schema
from parley.text import split_sentences, split_words

TRIGGERS: dict[str, tuple[str, ...]] = {
    "INVITE": ("invite", "invites", "invited", "inviting", "invitation", "invitations"),
    "ACCEPT": (
        "accept", "accepts", "accepted", "accepting", "acceptance",
        "agreed to attend", "agreed to take part", "agreed to participate", "agreed to join", "agreed to meet",
        "agrees to attend", "agrees to take part", "agrees to participate", "agrees to meet",
    ),
    "DECLINE": (
        "decline", "declines", "declined", "declining", "reject", "rejects", "rejected", "rejecting", "rejection",
        "refuse", "refuses", "refused", "refusing", "refusal", "turned down", "turn down", "turns down",
        "pulled out", "pull out",
    ),
    "MEET": (
        "meet", "meets", "met", "meeting", "meetings", "talks with", "held talks", "hold talks", "holding talks",
        "visit", "visits", "visited", "visiting", "host", "hosts", "hosted", "hosting",
    ),
    "ATTEND": (
        "attend", "attends", "attended", "attending", "took part", "take part", "takes part", "taking part",
        "taken part", "join", "joins", "joined", "joining", "participate", "participates", "participated",
        "participating",
    ),
    "BOYCOTT": (
        "boycott", "boycotts", "boycotted", "boycotting", "stayed away", "stay away", "stays away",
        "staying away", "walked out", "walk out", "walks out", "walking out",
    ),
}  # fmt: skip

# Status cues, looked for among the words before a trigger in its sentence: (status, cue words, how many words
# back; None: the whole sentence before it). The first rule whose cue is found wins, so a conditional outranks
# a negation or a future ("If the talks fail, he will not attend": hypothetical).
STATUS_CUES: tuple[tuple[str, frozenset[str], int | None], ...] = (
    ("hypothetical", frozenset("if unless whether".split()), None),
    ("hypothetical", frozenset("could may might".split()), 3),
    ("negated", frozenset("not no never without n't".split()), 3),
    ("planned", frozenset("will would 'll shall".split()), 3),
)
DEFAULT_STATUS = "asserted"

# Mention labels and roles the rules produce (names in the schema).
PERSON, ORGANISATION, PLACE_NAME, MEETING, TIME = "PER", "ORG", "GPE", "MEETING", "TIME"
AGENT, PARTNER, MEETING_ROLE, TIME_ROLE, PLACE_ROLE = "agent", "partner", "meeting", "time", "place"

MEETING_NOUNS = frozenset(
    "talks conference conferences summit summits meeting meetings negotiations consultations congress "
    "session sessions dialogue".split()
)
MEETING_MODIFIERS = frozenset(
    "peace security trade nuclear ministerial bilateral trilateral emergency round two-day one-day "
    "high-level direct indirect".split()
)
MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
RELATIVE_TIMES = ("next week", "last week", "this week", "next month", "last month", "this month",
                  "next year", "last year", "yesterday", "today", "tomorrow", "tonight")  # fmt: skip

# Capitalised words that start a sentence or a phrase without being (part of) a name.
FUNCTION_WORDS = frozenset(
    "the a an this that these those its his her their our my your in on at by for from with to of and or but "
    "if when while after before since as last next meanwhile however he she it they we i you there here "
    "earlier later also both all some many several other new no not yet any each every such what which who "
    "why how".split()
)
# Title words cut off the front of a name ("Foreign Minister Sergei Lavrov" -> "Sergei Lavrov").
TITLES = frozenset(
    "president vice foreign prime minister ministers secretary general envoy special spokesman spokeswoman "
    "spokesperson chancellor premier king queen prince crown leader ambassador chief coordinator head "
    "senator governor mayor sheikh mr mrs ms dr deputy defence defense interior state opposition "
    "u.n. un".split()
)
# Lower-case words that may sit inside a name: "Staffan de Mistura", "Ministry of Foreign Affairs".
NAME_PARTICLES = frozenset("de di da del van von bin ibn al el of".split())
ORG_WORDS = frozenset(
    "council committee commission coalition union nations party front army forces ministry government "
    "organization organisation group groups movement alliance assembly authority agency office bank "
    "league brigades battalion delegation opposition federation association parliament".split()
)
# A small gazetteer of countries and cities that appear in diplomatic news.
PLACES = frozenset(
    s.lower()
    for s in (
        "Afghanistan, Algeria, Argentina, Armenia, Australia, Austria, Azerbaijan, Bahrain, Belarus, Belgium, "
        "Bolivia, Brazil, Britain, Canada, Chile, China, Colombia, Cuba, Cyprus, Denmark, Egypt, Ethiopia, "
        "Finland, France, Georgia, Germany, Greece, India, Indonesia, Iran, Iraq, Ireland, Israel, Italy, "
        "Japan, Jordan, Kazakhstan, Kenya, Kosovo, Kuwait, Lebanon, Libya, Mali, Mexico, Moldova, Morocco, "
        "Myanmar, Netherlands, Nicaragua, Nigeria, North Korea, Norway, Oman, Pakistan, Palestine, Peru, "
        "Philippines, Poland, Qatar, Romania, Russia, Saudi Arabia, Serbia, Singapore, Somalia, South Africa, "
        "South Korea, South Sudan, Spain, Sudan, Sweden, Switzerland, Syria, Taiwan, Thailand, Tunisia, Turkey, "
        "Ukraine, United Arab Emirates, United Kingdom, United States, Uruguay, Venezuela, Vietnam, Yemen, "
        "U.S., US, U.K., UK, America, Gaza, West Bank, Crimea, "
        "Abu Dhabi, Amman, Ankara, Astana, Athens, Baghdad, Beijing, Beirut, Berlin, Brussels, Cairo, "
        "Caracas, Damascus, Doha, Geneva, Havana, Istanbul, Jerusalem, Kabul, Kyiv, Kiev, London, Madrid, "
        "Minsk, Moscow, Muscat, New Delhi, New York, Oslo, Paris, Pyongyang, Riyadh, Rome, Seoul, Sochi, "
        "Stockholm, Tehran, Tokyo, Tripoli, Vienna, Warsaw, Washington, Aleppo, Idlib, Raqqa, Homs"
    ).split(", ")
)
DEMONYM_ENDINGS = ("ian", "ean", "ese", "ish")
PLACE_PREPOSITIONS = frozenset({"in", "at"})

_NUMERIC_CHANGE = re.compile(
    r"\s+(?:by|to|from)\s+[$€£]?\s?\d"  # "declined by 3%", "fell to 5"
    r"|\s+[$€£]?\s?\d[\d.,]*\s*(?:%|percent|per cent)",  # "declined 5 percent"
    re.I,
)
_DOTTED = re.compile(r"^(?:[^\W\d_]\.)+$")


@dataclass
class _Span:
    start: int
    end: int
    label: str
    place: bool = False  # a GPE after "in"/"at": fills `place`, never agent or partner


class KeywordBaseline:
    """Keyword rules that label an article's text with mentions and events (see the module docstring)."""

    def __init__(self, schema: Schema):
        missing = [t for t in TRIGGERS if t not in schema.event_types]
        labels = (PERSON, ORGANISATION, PLACE_NAME, MEETING, TIME)
        missing += [label for label in labels if label not in schema.mention_labels]
        missing += [r for r in (AGENT, PARTNER, MEETING_ROLE, TIME_ROLE, PLACE_ROLE) if r not in schema.roles]
        missing += [s for s in (DEFAULT_STATUS, *(cue[0] for cue in STATUS_CUES)) if s not in schema.statuses]
        if missing:
            raise ValueError(
                f"keyword baseline: the schema has no {list(dict.fromkeys(missing))} (its rules name them)"
            )
        self.schema = schema
        phrases = sorted(((p, t) for t, ps in TRIGGERS.items() for p in ps), key=lambda x: -len(x[0]))
        self._type_of = {phrase: event_type for phrase, event_type in phrases}
        self._triggers = re.compile(
            r"\b(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p, _ in phrases) + r")\b", re.I
        )

    def predict(self, article: Article | dict[str, Any] | str) -> Article:
        """The article's text labeled by the rules (id, date, source and url passed through)."""
        if isinstance(article, str):
            article = Article(id="text", text=article)
        elif isinstance(article, dict):
            article = Article(id=article.get("id") or "text", text=article["text"], date=article.get("date"))
        text = article.text
        out = Article(id=article.id, text=text, date=article.date, source=article.source, url=article.url)
        for start, end in split_sentences(text):
            self._sentence(text, start, end, out)
        return out

    def _sentence(self, text: str, start: int, end: int, out: Article) -> None:
        words = split_words(text, start, end)
        triggers = self._find_triggers(text, start, end, words)
        if not triggers:
            return
        taken = [(s, e) for s, e, _ in triggers]
        meetings = _meetings(text, words, taken)
        taken += [(m.start, m.end) for m in meetings]
        times = _times(text, words, taken)
        taken += [(m.start, m.end) for m in times]
        mentions = sorted(meetings + times + _actors(text, words, taken), key=lambda m: m.start)
        ids: dict[tuple[int, int], str] = {}
        for m in mentions:
            ids[m.start, m.end] = entity_id = f"T{len(out.entities) + 1}"
            out.entities.append(Entity(entity_id, m.start, m.end, m.label, text[m.start : m.end]))
        for t_start, t_end, event_type in triggers:
            arguments = self._arguments(t_start, t_end, mentions)
            status = _status(text, words, t_start)
            out.events.append(
                LabeledEvent(
                    f"E{len(out.events) + 1}",
                    event_type,
                    status,
                    Trigger(t_start, t_end, text[t_start:t_end]),
                    [Argument(role, ids[m.start, m.end]) for role, m in arguments],
                )
            )

    def _find_triggers(
        self, text: str, start: int, end: int, words: list[tuple[int, int]]
    ) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        for match in self._triggers.finditer(text, start, end):
            if _NUMERIC_CHANGE.match(text, match.end()):
                continue  # "exports declined by 3%": a number changing, not an actor declining
            phrase = " ".join(match.group().lower().split())
            if found and _absorbed(text, words, found[-1][1], match.start()):
                continue
            found.append((match.start(), match.end(), self._type_of[phrase]))
        return found

    def _arguments(self, t_start: int, t_end: int, mentions: list[_Span]) -> list[tuple[str, _Span]]:
        actors = [m for m in mentions if m.label in (PERSON, ORGANISATION, PLACE_NAME) and not m.place]
        before = [m for m in actors if m.end <= t_start]
        after = [m for m in actors if m.start >= t_end]
        arguments: list[tuple[str, _Span]] = []
        if before:
            arguments.append((AGENT, before[-1]))
        if after:
            arguments.append((PARTNER, after[0]))
        meetings = [m for m in mentions if m.label == MEETING]
        later = [m for m in meetings if m.start >= t_end]
        earlier = [m for m in meetings if m.end <= t_start]
        if later or earlier:
            arguments.append((MEETING_ROLE, later[0] if later else earlier[-1]))
        times = [m for m in mentions if m.label == TIME]
        places = [m for m in mentions if m.place]
        for role, pool in ((TIME_ROLE, times), (PLACE_ROLE, places)):
            if pool:
                arguments.append((role, min(pool, key=lambda m: _distance(m, t_start, t_end))))
        # A user's schema may narrow which labels a role takes; the rules never break it.
        return [(role, m) for role, m in arguments if self.schema.allows(role, m.label)]


def _distance(mention: _Span, start: int, end: int) -> int:
    return start - mention.end if mention.end <= start else mention.start - end


def _absorbed(text: str, words: list[tuple[int, int]], previous_end: int, start: int) -> bool:
    """Whether a trigger is the complement of the previous one: "declined to attend", "invited X to attend"."""
    between = [text[s:e].lower() for s, e in words if previous_end <= s and e <= start]
    return len(between) <= 4 and bool(between) and between[-1] == "to"


def _status(text: str, words: list[tuple[int, int]], trigger_start: int) -> str:
    before = [text[s:e].lower() for s, e in words if e <= trigger_start]
    for status, cues, reach in STATUS_CUES:
        window = before if reach is None else before[-reach:]
        # "won't", "didn't": the tokenizer keeps the contraction in one word.
        if any(word in cues or (word.endswith("n't") and "n't" in cues) for word in window):
            return status
    return DEFAULT_STATUS


def _free(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return all(end <= s or e <= start for s, e in taken)


def _meetings(text: str, words: list[tuple[int, int]], taken: list[tuple[int, int]]) -> list[_Span]:
    spans = []
    for i, (s, e) in enumerate(words):
        if text[s:e].lower() not in MEETING_NOUNS or not _free(s, e, taken):
            continue
        if i + 1 < len(words) and _capitalised(text[words[i + 1][0] : words[i + 1][1]]):
            continue  # inside a name: "High Negotiations Committee"
        first = i
        while first > 0:
            word = text[words[first - 1][0] : words[first - 1][1]]
            if word in ("'s", "’s") and first > 1:  # "Friday's talks": the possessor stays
                first -= 2
            elif word.lower() in MEETING_MODIFIERS or (_capitalised(word) and word.lower() not in FUNCTION_WORDS):
                first -= 1
            else:
                break
        start = words[first][0]
        if _free(start, e, taken):
            spans.append(_Span(start, e, MEETING))
    return spans


def _times(text: str, words: list[tuple[int, int]], taken: list[tuple[int, int]]) -> list[_Span]:
    spans: list[_Span] = []
    lower = [text[s:e].lower() for s, e in words]
    i = 0
    while i < len(words):
        end_index = None
        if lower[i] in WEEKDAYS:
            end_index = i
        elif lower[i] in MONTHS and _capitalised(text[words[i][0] : words[i][1]]):
            end_index = i
            j = i + 1
            if j < len(words) and lower[j] == ".":  # "Jan. 5"
                j += 1
            # A day ("4", "26-28") and a year may follow.
            while j < len(words) and (lower[j].isdigit() or lower[j] in ("-", ",")) and j - i <= 6:
                if lower[j].isdigit():
                    end_index = j
                j += 1
        else:
            for phrase in RELATIVE_TIMES:
                n = len(phrase.split())
                if " ".join(lower[i : i + n]) == phrase:
                    end_index = i + n - 1
                    break
        if end_index is None:
            i += 1
            continue
        start, end = words[i][0], words[end_index][1]
        if _free(start, end, taken):
            spans.append(_Span(start, end, TIME))
        i = end_index + 1
    return spans


def _actors(text: str, words: list[tuple[int, int]], taken: list[tuple[int, int]]) -> list[_Span]:
    spans: list[_Span] = []
    i = 0
    while i < len(words):
        run = []
        j = i
        while j < len(words):
            word = text[words[j][0] : words[j][1]]
            s, e = words[j]
            if not _free(s, e, taken):
                break
            if _capitalised(word) and word.lower() not in MONTHS | WEEKDAYS:
                run.append(j)
            elif run and word.lower() in NAME_PARTICLES and j + 1 < len(words):
                following = text[words[j + 1][0] : words[j + 1][1]]
                if not _capitalised(following):
                    break
                run.append(j)
            elif run and _particle_name(word):  # "al-Assad"
                run.append(j)
            else:
                break
            j += 1
        if not run:
            i += 1
            continue
        i = j if j > i else i + 1
        span = _actor(text, words, run)
        if span is not None:
            spans.append(span)
    return spans


def _actor(text: str, words: list[tuple[int, int]], run: list[int]) -> _Span | None:
    """The mention a run of capitalised words names, without leading function words and titles."""
    tokens = [text[words[k][0] : words[k][1]] for k in run]
    titled = False
    while tokens and (tokens[0].lower() in FUNCTION_WORDS or tokens[0].lower().rstrip(".") in TITLES):
        titled = titled or tokens[0].lower().rstrip(".") in TITLES
        tokens, run = tokens[1:], run[1:]
    while tokens and tokens[-1].lower() in NAME_PARTICLES:
        tokens, run = tokens[:-1], run[:-1]
    if not tokens:
        return None
    name = text[words[run[0]][0] : words[run[-1]][1]]
    if len(tokens) == 1 and name.lower() not in PLACES and name.lower().endswith(DEMONYM_ENDINGS):
        return None  # "Syrian", "Chinese": demonyms alone are no mentions
    if name.lower() in PLACES:
        label = PLACE_NAME
    elif any(t.lower() in ORG_WORDS for t in tokens) or (len(tokens) == 1 and _acronym(name)):
        label = ORGANISATION
    else:
        label = PERSON
    start = words[run[0]][0]
    before = text[:start].split()
    place = label == PLACE_NAME and not titled and bool(before) and before[-1].lower() in PLACE_PREPOSITIONS
    return _Span(start, words[run[-1]][1], label, place)


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _acronym(word: str) -> bool:
    letters = word.replace(".", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper() or bool(_DOTTED.match(word))


def _particle_name(word: str) -> bool:
    head, _, rest = word.partition("-")
    return head.lower() in NAME_PARTICLES and _capitalised(rest)
