"""Actor coding: each actor mention of an article to a canonical name, a country (ISO 3166-1 alpha-3 and COW
code) and a sector (configs/actors/sectors.yaml), offline.

Evidence, strongest first:

1. the user's actor dictionary (`ActorCoder(dictionary=...)`): a match in the mention overrides everything;
2. the mention itself: a country or capital used as an actor ("Moscow said"), a seat of government
   ("the Kremlin"), an international organisation or named group (configs/actors/organisations.yaml), a
   country name or demonym inside it ("Syrian opposition"), its sector words ("rebels", "ministry");
3. the words just before it ("Russian Foreign Minister Sergei Lavrov", "Turkey's president", "U.N. envoy
   Martin Griffiths") and an apposition or of-phrase after it ("..., the U.N. Syria envoy,", "Begin of Israel");
4. the article: a name once tied to a country keeps it ("Lavrov" further on), pronouns and bare nominals
   take their antecedent's codes ("he", "the group"), and a domestic actor with no country of its own ("the
   opposition", "the army", "the government") takes the country the article names most.

An actor tied to an international organisation gets the sector IGO and no country; one that names several
countries ("U.S. and Iranian officials") gets no country.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from parley.inference.actor_dictionary import (
    ActorNames,
    Countries,
    SectorWords,
    check_entries,
    load_actor_dictionary,
    people_entries,
    shipped_entries,
)
from parley.inference.dyads import anaphor_labels, antecedent
from parley.inference.events import Extraction, Mention
from parley.inference.places import Gazetteer, dateline_span
from parley.schema import Schema, load_schema

# Sectors whose actors belong to the country they act in: "the opposition" of an article about Syria is Syrian.
DOMESTIC_SECTORS = frozenset({"OPP", "REB", "MIL", "LEG", "CVL", "JUD", "LAB"})
GOVERNMENT_NOUNS = frozenset({"government", "regime", "administration", "authorities", "junta", "cabinet"})
# Lowercase words that may stand in a title before a name ("former Foreign Minister", "special envoy").
TITLE_WORDS = frozenset(
    "the of for to former foreign special chief deputy acting interim vice senior top new economic trade defence "
    "defense interior security national affairs supreme first main key powerful exiled paramilitary armed".split()
)
NUMBER_WORDS = frozenset("two three four five six seven eight nine ten both several all many various".split())
HONORIFICS = frozenset("mr mr. mrs mrs. ms ms. dr dr. sen. gen. comrade comrades senor señor sir".split())
_ABBREVIATION = re.compile(r"(?:[A-Z]\.)+|[A-Z][a-z]{0,3}\.")
_OF_PHRASE = re.compile(r" +(?:of|from) +((?:the +)?[^\s,.;:()\"“”]+(?: +[^\s,;:()\"“”]+){0,7})")
# ", the U.N. Syria envoy," or ", Cuba's economic czar,": up to a comma or a full stop that ends no initial.
_APPOSITION = re.compile(
    r", +((?:the|a|an|who|which) [^,;:()\n]{1,60}?|[A-Z][\w.]*['’]s [^,;:()\n]{1,60}?)"
    r"(?:[,;]|(?<![A-Z])\.(?:\s|$)|\n|$)"
)
# "National Front for the Liberation of Angola (FNLA)": a capitalised name and its acronym in brackets.
_ACRONYM = re.compile(r"([A-Z][\w'’-]*(?:\s+(?:of|for|the|and|de|du|[A-Z][\w'’-]*))+)\s+\(([A-Z][A-Z-]{1,9})\)")
_NAME_PARTICLE = re.compile(r"^(?:al|el|ad|as|an|ash|at|az|bin|ibn|abu)-", re.IGNORECASE)
MAX_TITLE_WORDS = 6


@dataclass(frozen=True)
class ActorCode:
    """One coded actor: canonical name, the text as written, country (ISO3), COW code and sector."""

    name: str
    raw: str
    country: str | None = None
    cow: str | None = None
    sector: str | None = None


@dataclass
class _Evidence:
    country: str | None = None
    sector: str | None = None
    name: str | None = None
    mixed: bool = False  # several countries named: none is chosen
    igo: bool = False  # tied to an international organisation: no country
    fixed: bool = False  # from the user's dictionary: nothing in the article changes it

    @property
    def coded(self) -> bool:
        return bool(self.country or self.sector)


def _span(mention: Mention) -> tuple[int, int]:
    return mention.start, mention.end


class ActorCoder:
    """Codes the actor mentions of extractions; build once and reuse (the facts load on first use)."""

    def __init__(
        self, dictionary: str | Path | None = None, countries: Countries | None = None, schema: Schema | None = None
    ) -> None:
        # Which labels are people, organisations and countries comes from the schema's meanings.
        self.schema = schema or load_schema()
        meanings = self.schema.meanings
        self.people, self.organisations = meanings.person_labels, meanings.organisation_labels
        self.actor_labels = (*self.people, *self.organisations, *meanings.country_labels)
        self.countries = countries or Countries()
        self.gazetteer = Gazetteer(self.countries)
        self.sectors = SectorWords()
        shipped = shipped_entries() + people_entries()
        user = load_actor_dictionary(dictionary) if dictionary else []
        check_entries(shipped, self.countries, self.sectors.codes, "configs/actors/organisations.yaml")
        check_entries(user, self.countries, self.sectors.codes, str(dictionary))
        self.user_names, self.names = ActorNames(user), ActorNames(shipped)

    def code_extraction(self, extraction: Extraction) -> dict[tuple[int, int], ActorCode]:
        """The code of every PER, ORG and GPE mention of one article, by (start, end)."""
        argument_mentions = [a.mention for e in extraction.events for a in e.arguments]
        unique = {_span(m): m for m in [*extraction.mentions, *argument_mentions] if m.label in self.actor_labels}
        mentions = sorted(unique.values(), key=_span)
        evidence = {_span(m): self._own_evidence(m, extraction.text) for m in mentions}
        self._link_acronyms(mentions, evidence, extraction.text)
        self._propagate_names(mentions, evidence)
        self._resolve_anaphora(mentions, evidence, extraction)
        self._fill_domestic(mentions, evidence, extraction.text)
        return {_span(m): self._code(m, evidence[_span(m)]) for m in mentions}

    # -- evidence from the mention and its neighbours ---------------------------------------------------------

    def _own_evidence(self, mention: Mention, text: str) -> _Evidence:
        user = self.user_names.find(mention.text)
        if user:
            entry = user[0][2]
            return _Evidence(entry.country, entry.sector, entry.name, igo=entry.sector == "IGO", fixed=True)
        words = mention.text.lower().split()
        if len(words) == 1 and anaphor_labels(mention, text, self.schema) is not None:
            return _Evidence()  # a pronoun: its antecedent decides
        if mention.label not in self.people:
            whole = self._named_country(mention.text)
            if whole:
                return _Evidence(whole, "GOV", self.countries.names.get(whole))
        evidence = self._inner_evidence(mention)
        evidence.mixed = evidence.mixed or bool(NUMBER_WORDS & set(words) or any(w.isdigit() for w in words))
        prefix, after = _title_before(text, mention.start, self.sectors), _phrase_after(text, mention.end)
        if not evidence.country and not evidence.mixed and not evidence.igo:
            # "delegations from Qatar and Turkey": several actors of several countries.
            plural = words[-1].endswith("s") and mention.label not in self.people
            evidence.mixed = plural and len({iso3 for _, _, iso3 in self.countries.in_text(after)}) > 1
            if not evidence.mixed:
                self._context_country(evidence, prefix, after)
        evidence.sector = evidence.sector or self._sector(mention.text, prefix, after, evidence.igo)
        return evidence

    def _inner_evidence(self, mention: Mention) -> _Evidence:
        """What the mention's own words say: a dictionary actor, or the countries it names."""
        entries = self.names.find(mention.text)
        if entries:
            entry = entries[0][2]
            return _Evidence(entry.country, entry.sector, entry.name, igo=entry.sector == "IGO")
        # In a person's mention only a title names a country ("Russian PM"), never the name ("Martin Griffiths").
        if mention.label in self.people and not self.sectors.marks(mention.text):
            return _Evidence()
        named = {iso3 for _, _, iso3 in self.countries.in_text(mention.text)}
        return _Evidence(named.pop() if len(named) == 1 else None, mixed=len(named) > 1)

    def _named_country(self, text: str) -> str | None:
        """The country a whole mention names: "Russia", "the Russian Federation", "Moscow"."""
        bare = re.sub(r"^the\s+", "", text.strip(), flags=re.IGNORECASE)
        if not bare[:1].isupper():
            return None
        return self.countries.named(bare) or self.gazetteer.capital_country(bare)

    def _context_country(self, evidence: _Evidence, prefix: str, after: str) -> None:
        """Country (or IGO tie) from the title before a mention (nearest cue) or the phrase after it (first cue)."""
        for phrase, nearest_last in ((prefix, True), (after, False)):
            cues = [(start, entry.country, entry.sector == "IGO") for start, _, entry in self.names.find(phrase)]
            cues += [(start, iso3, False) for start, _, iso3 in self.countries.in_text(phrase)]
            cues = [cue for cue in sorted(cues, key=lambda cue: cue[0]) if cue[1] or cue[2]]
            if any(igo for _, _, igo in cues):  # "U.N. envoy for Syria": the UN's man, not Syria's
                evidence.igo = True
                return
            if cues:
                evidence.country = cues[-1][1] if nearest_last else cues[0][1]
                return

    def _sector(self, text: str, prefix: str, after: str, igo: bool) -> str | None:
        """The sector: specific words in the mention, before it, after it; then generic ones. An actor tied to an
        international organisation is IGO unless its own words say more ("UN troops" stay MIL)."""
        marks = [self.sectors.marks(part) for part in (text, prefix, after)]
        if igo:
            return next((sector for _, sector, weak in marks[0] if not weak), "IGO")
        for weak in (False, True):
            for part in marks:
                found = [sector for _, sector, is_weak in part if is_weak == weak]
                if found:
                    return found[-1]
        return None

    # -- evidence from the rest of the article ----------------------------------------------------------------

    def _propagate_names(self, mentions: list[Mention], evidence: dict[tuple[int, int], _Evidence]) -> None:
        """Mentions of one name share its codes and its longest form ("Lavrov" -> "Sergei Lavrov", RUS, GOV)."""
        names = (*self.people, *self.organisations)
        named = [(m, _name_words(m.text, self.sectors, self.countries)) for m in mentions if m.label in names]
        named = [(m, words) for m, words in named if words]
        for mention, words in named:
            person = mention.label in self.people
            same = [other for other, other_words in named if _same_name(words, other_words, person)]
            donors = [evidence[_span(o)] for o in same if evidence[_span(o)].coded]
            own = evidence[_span(mention)]
            if own.fixed:
                continue
            if person:
                own.name = own.name or " ".join(
                    max((_name_words(o.text, self.sectors, self.countries) for o in same), key=len)
                )
            for donor in sorted(donors, key=lambda d: (d.country is None, d.sector is None)):
                own.country = own.country or (None if own.mixed or own.igo else donor.country)
                own.sector = own.sector or donor.sector
                own.igo = own.igo or donor.igo

    def _resolve_anaphora(self, mentions: list[Mention], evidence, extraction: Extraction) -> None:
        """Pronouns and bare definite nominals take what their antecedent has ("he" -> Lavrov's codes and name)."""
        for mention in mentions:
            referent = antecedent(mention, extraction, self.schema)
            own, theirs = evidence[_span(mention)], evidence.get(_span(referent))
            if referent is mention or theirs is None or own.fixed:
                continue
            own.country = own.country or (None if own.mixed else theirs.country)
            own.sector = own.sector or theirs.sector
            own.name, own.igo = theirs.name or referent.text, own.igo or theirs.igo

    def _fill_domestic(self, mentions: list[Mention], evidence, text: str) -> None:
        """A domestic actor without a country: that of an earlier mention with its head noun, else the article's."""
        for i, mention in enumerate(mentions):
            own = evidence[_span(mention)]
            words = mention.text.lower().split()
            if own.country or own.mixed or own.igo or own.fixed or not words:
                continue
            head = words[-1].removesuffix("s")
            if not any(w[:1].isupper() for w in mention.text.split()):
                earlier = [evidence[_span(m)].country for m in mentions[:i] if _head(m.text) == head]
                own.country = next((c for c in reversed(earlier) if c), None)
            if not own.country and (own.sector in DOMESTIC_SECTORS or GOVERNMENT_NOUNS & set(words)):
                own.country = self._article_country(own.sector, mentions, evidence, text)

    def _article_country(self, sector: str | None, mentions: list[Mention], evidence, text: str) -> str | None:
        """The country a domestic actor of an article belongs to: that of its sector's other actors, else the
        country most named outside the dateline, counting domestic actors twice (ties: the first named)."""
        coded = [evidence[_span(m)] for m in mentions]
        same = Counter(e.country for e in coded if e.country and e.sector == sector and sector in DOMESTIC_SECTORS)
        if same:
            return same.most_common(1)[0][0]
        # The dateline says where the reporter is, not whose actors these are.
        skip = dateline_span(text) or (0, 0)
        score = Counter(iso3 for start, _, iso3 in self.countries.in_text(text) if not skip[0] <= start < skip[1])
        score.update(2 * [e.country for e in coded if e.country and e.sector in DOMESTIC_SECTORS])
        return score.most_common(1)[0][0] if score else None

    def _link_acronyms(self, mentions: list[Mention], evidence, text: str) -> None:
        """An acronym gets the codes of the name it abbreviates ("... Liberation of Angola (FNLA)" -> FNLA)."""
        expansions = {}
        for match in _ACRONYM.finditer(text):
            long = Mention(self.organisations[0], match.group(1), match.start(1), match.end(1), 1.0)
            expansions[match.group(2)] = self._own_evidence(long, text)
        for mention in mentions:
            own = evidence[_span(mention)]
            found = expansions.get(re.sub(r"^the\s+", "", mention.text.strip(), flags=re.IGNORECASE))
            if found and not own.fixed:
                own.country, own.sector = own.country or found.country, own.sector or found.sector

    def _code(self, mention: Mention, evidence: _Evidence) -> ActorCode:
        country = None if evidence.igo and not evidence.fixed else evidence.country
        name = evidence.name
        if not name:
            proper = _name_words(mention.text, self.sectors, self.countries)
            if proper or not country:
                name = re.sub(r"^the\s+", "", mention.text.strip(), flags=re.IGNORECASE)
            else:
                label = self.sectors.labels.get(evidence.sector or "", "")
                name = f"{self.countries.names.get(country, country)} {label}".strip()
        return ActorCode(name, mention.text, country, self.countries.cow(country), evidence.sector)


def _title_before(text: str, start: int, sectors: SectorWords) -> str:
    """The title words just before a mention on its line ("Russian Foreign Minister"), up to other words."""
    line = text[text.rfind("\n", 0, start) + 1 : start]
    if line and not line[-1].isspace():
        return ""
    kept: list[str] = []
    for token in reversed(line.split()):
        if len(kept) >= MAX_TITLE_WORDS or (token[-1] in ',;:.!?"“”()–—-' and not _ABBREVIATION.fullmatch(token)):
            break
        if not (token[:1].isupper() or token.lower() in TITLE_WORDS or sectors.marks(token)):
            break
        kept.append(token)
    return " ".join(reversed(kept))


def _phrase_after(text: str, end: int) -> str:
    """An of-phrase or apposition just after a mention ("of Israel", ", the U.N. Syria envoy,")."""
    rest = text[end : end + 120]
    match = _OF_PHRASE.match(rest) or _APPOSITION.match(rest)
    return match.group(1) if match else ""


def _name_words(text: str, sectors: SectorWords, countries: Countries) -> list[str]:
    """The words of a proper name in a mention: capitalised words that are no title, honorific or country cue."""
    text = re.sub(r"['’]s\b", "", text)
    cues = [(start, end) for start, end, _ in countries.in_text(text)]
    names = []
    for match in re.finditer(r"\S+", text):
        word = _NAME_PARTICLE.sub("", match.group().strip(",.;:'’\""))
        if any(start <= match.start() < end for start, end in cues) or len(word) < 2 or not word[:1].isupper():
            continue
        if word.lower() not in HONORIFICS and not sectors.marks(word):
            names.append(word)
    return names


def _head(text: str) -> str:
    words = text.lower().split()
    return words[-1].removesuffix("s") if words else ""


def _same_name(words: list[str], other: list[str], person: bool) -> bool:
    """Whether two name mentions denote one actor: equal names, one surname or given name alone, same surname."""
    if words == other:
        return True
    if not person:
        return False
    if len(words) == 1 or len(other) == 1:
        single, full = (words, other) if len(words) == 1 else (other, words)
        return single[0] in (full[0], full[-1])
    return words[-1] == other[-1]
