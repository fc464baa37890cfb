"""The facts actor coding reads: countries and their names, actor dictionaries and sector words.

Countries, their names and the patterns that recognise them ("Russian", "Syrian Arab Republic") come from
country_converter's table; configs/actors/ adds only what it lacks (demonyms such as "French", COW codes
that differ from its Gleditsch-Ward codes, international organisations, sector words). Nothing is
downloaded: every fact is in an installed package or in those files.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# A run of capitalised words, with the lowercase joiners country names contain ("Bosnia and Herzegovina").
_CAPITALISED_RUN = re.compile(r"[A-Z][\w.'’-]*(?:\s+(?:(?:of|the)\s+)*[A-Z][\w.'’-]*)*")
_POSSESSIVE = re.compile(r"['’]s?$")
MAX_NAME_WORDS = 6


class ActorDictionaryError(ValueError):
    """An actor dictionary that cannot be read."""


@dataclass(frozen=True)
class ActorEntry:
    """One actor-dictionary line: a canonical name, the names and patterns it is written as, and its codes."""

    name: str
    country: str | None = None
    sector: str | None = None
    aliases: tuple[str, ...] = ()
    regex: str | None = None
    surnames: tuple[str, ...] = ()  # matched only as written: "Carter" is a person, "carter" a trade


def actors_config_path(name: str) -> Path:
    """A file shipped in configs/actors/."""
    return Path(str(resources.files("parley.configs") / "actors" / name))


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ActorDictionaryError(f"{path}: not valid YAML: {err}") from err


class Countries:
    """ISO 3166-1 alpha-3 codes with their short names, Correlates of War codes and the names that denote them."""

    def __init__(self) -> None:
        spec = importlib.util.find_spec("country_converter")
        if spec is None or spec.origin is None:
            raise ActorDictionaryError("country_converter is not installed: pip install country_converter")
        table = Path(spec.origin).parent / "country_data.tsv"
        with open(table, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        overrides = _read_yaml(actors_config_path("cow_codes.yaml"))
        self.successors: dict[str, str] = overrides["successors"]
        self.names = {row["ISO3"]: row["name_short"] for row in rows}
        self._cow = {row["ISO3"]: row["GWcode"] for row in rows if row["GWcode"]}
        self._cow.update({iso3: str(code) for iso3, code in overrides["cow"].items()})
        self._patterns = [(row["ISO3"], re.compile(row["regex"], re.IGNORECASE)) for row in rows]
        aliases = {str(k): str(v) for k, v in _read_yaml(actors_config_path("demonyms.yaml")).items()}
        self._aliases = {**{k.casefold(): v for k, v in aliases.items() if not k.isupper()}, **aliases}
        self._exact = {row[key].casefold(): row["ISO3"] for row in rows for key in ("name_short", "name_official")}
        self._exact.update({k.casefold(): v for k, v in aliases.items() if not looks_like_demonym(k)})

    def cow(self, iso3: str | None) -> str | None:
        """The Correlates of War state code of a country, if it has one."""
        return self._cow.get(iso3) if iso3 else None

    def named(self, phrase: str) -> str | None:
        """The country a phrase is the name of ("Russia", "the Russian Federation", "U.S."), not a demonym."""
        phrase = re.sub(r"^the\s+", "", phrase.strip(), flags=re.IGNORECASE)
        iso3 = self._exact.get(phrase.casefold())
        if iso3 is None and " " not in phrase and not looks_like_demonym(phrase):
            iso3 = self._pattern_country(phrase, 1, 1)
        return self.successors.get(iso3, iso3) if iso3 else None

    def find(self, phrase: str) -> str | None:
        """The country a name or demonym denotes ("Russian", "U.S.", "Turkey's"), or None if none or several."""
        return self._phrase_country(phrase, 1, 1)

    @functools.lru_cache(maxsize=65536)  # noqa: B019 (one Countries per process; phrases repeat across articles)
    def _phrase_country(self, phrase: str, n_words: int, run_words: int) -> str | None:
        bare = _POSSESSIVE.sub("", phrase.strip())
        if not bare:
            return None
        iso3 = self._aliases.get(bare) or self._aliases.get(bare.casefold()) or self._exact.get(bare.casefold())
        if iso3 is None and bare[:1].isupper():
            # A first name that matches a pattern ("Martin" -> Saint-Martin) is no country: a single word
            # inside a longer capitalised run counts only as a demonym or a possessive ("Syrian", "Turkey's").
            inside = n_words == 1 and run_words > 1 and not (looks_like_demonym(bare) or bare != phrase.strip())
            iso3 = None if inside else self._pattern_country(bare, n_words, run_words)
        return self.successors.get(iso3, iso3) if iso3 else None

    def _pattern_country(self, phrase: str, n_words: int, run_words: int) -> str | None:
        hits = {}
        for iso3, pattern in self._patterns:
            match = pattern.search(phrase)
            # A phrase of several words counts only if the pattern reaches its last word.
            if match and (n_words == 1 or match.end() > phrase.rfind(" ")):
                hits[iso3] = match
        return next(iter(hits)) if len(hits) == 1 else None

    def in_text(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, ISO3) of each country name or demonym in `text`, longest match first, left to right."""
        found = []
        for run in _CAPITALISED_RUN.finditer(text):
            words = list(re.finditer(r"\S+", run.group()))
            i = 0
            while i < len(words):
                for j in range(min(len(words), i + MAX_NAME_WORDS), i, -1):
                    start, end = run.start() + words[i].start(), run.start() + words[j - 1].end()
                    iso3 = self._phrase_country(text[start:end].rstrip(",.;:"), j - i, len(words))
                    if iso3:
                        found.append((start, end, iso3))
                        i = j
                        break
                else:
                    i += 1
        return found


def looks_like_demonym(word: str) -> bool:
    """Whether a word has the form of a demonym ("Syrian", "Sudanese", "Turkish", "Iraqi") rather than a name."""
    return " " not in word and bool(re.search(r"(?:an|ese|ish|i|ic|ch)$", word))


def parse_entries(raw: Any, origin: str) -> list[ActorEntry]:
    """Actor entries from a YAML list of mappings (name, aliases, regex, country, sector)."""
    if not isinstance(raw, list):
        raise ActorDictionaryError(f"{origin}: expected a list of actors (name, aliases, regex, country, sector)")
    entries = []
    for i, item in enumerate(raw, start=1):
        where = f"{origin}: actor {i}"
        if not isinstance(item, dict) or not item.get("name"):
            raise ActorDictionaryError(f"{where}: expected a mapping with a 'name'")
        unknown = set(item) - {"name", "aliases", "regex", "country", "sector"}
        if unknown:
            raise ActorDictionaryError(f"{where} ({item['name']}): unknown key(s) {sorted(unknown)}")
        aliases = item.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [a.strip() for a in aliases.split("|") if a.strip()]
        regex = item.get("regex") or None
        if regex:
            try:
                re.compile(regex)
            except re.error as err:
                raise ActorDictionaryError(f"{where} ({item['name']}): bad regex {regex!r}: {err}") from err
        entries.append(
            ActorEntry(
                name=str(item["name"]),
                country=str(item["country"]).upper() if item.get("country") else None,
                sector=str(item["sector"]).upper() if item.get("sector") else None,
                aliases=(str(item["name"]), *map(str, aliases)),
                regex=regex,
            )
        )
    return entries


def shipped_entries(path: Path | None = None) -> list[ActorEntry]:
    """The international organisations, seats of government and named groups of configs/actors/organisations.yaml."""
    path = path or actors_config_path("organisations.yaml")
    return parse_entries(_read_yaml(path), str(path))


def people_entries(path: Path | None = None) -> list[ActorEntry]:
    """The people of configs/actors/people.yaml; a surname stands alone where it belongs to one country."""
    raw = _read_yaml(path or actors_config_path("people.yaml"))
    countries_of: dict[str, set[str]] = {}
    for country, names in raw.items():
        for name in names:
            countries_of.setdefault(name.split()[-1], set()).add(country)
    entries = []
    for country, names in raw.items():
        for name in names:
            surname = name.split()[-1]
            # "King Khalid" is known by his title, not by "Khalid" alone.
            titled = name.split()[0] in ("King", "Queen", "Lord", "Emperor", "Sultan")
            unique = len(countries_of[surname]) == 1 and len(surname) > 3 and " " in name and not titled
            is_un = country == "UN"
            entries.append(
                ActorEntry(
                    name,
                    None if is_un else country,
                    "IGO" if is_un else "GOV",
                    (name,),
                    surnames=(surname,) if unique else (),
                )
            )
    return entries


def load_actor_dictionary(path: str | Path) -> list[ActorEntry]:
    """A user actor dictionary: YAML (a list of actors) or CSV (name, aliases split by |, regex, country, sector)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such actor dictionary")
    if path.suffix.lower() != ".csv":
        return parse_entries(_read_yaml(path), str(path))
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if "name" not in (reader.fieldnames or []):
            raise ActorDictionaryError(f"{path}: line 1: expected a header with at least 'name'")
        rows = [{k: v for k, v in row.items() if v} for row in reader]
    for line, row in enumerate(rows, start=2):
        if not row.get("name"):
            raise ActorDictionaryError(f"{path}: line {line}: the name is empty")
    return parse_entries(rows, str(path))


def check_entries(entries: list[ActorEntry], countries: Countries, sectors: set[str], origin: str) -> None:
    """Refuse entries whose country or sector code parley does not know."""
    for entry in entries:
        if entry.country and entry.country not in countries.names:
            raise ActorDictionaryError(f"{origin}: {entry.name}: unknown ISO 3166-1 alpha-3 country {entry.country!r}")
        if entry.sector and entry.sector not in sectors:
            raise ActorDictionaryError(
                f"{origin}: {entry.name}: unknown sector {entry.sector!r}; expected {sorted(sectors)}"
            )


class ActorNames:
    """Finds actor-dictionary entries in text: user entries before the shipped ones, longer names first."""

    def __init__(self, entries: list[ActorEntry]) -> None:
        self.entries = entries
        self._exact: dict[str, ActorEntry] = {}
        self._folded: dict[str, ActorEntry] = {}
        for entry in entries:
            for alias in entry.aliases:
                # Short all-capital names ("UN", "AU") only as written, so that "un" or "Au" never match.
                table = self._exact if alias.isupper() and len(alias) <= 5 else self._folded
                table.setdefault(alias if table is self._exact else alias.casefold(), entry)
            for surname in entry.surnames:
                self._exact.setdefault(surname, entry)
        self._patterns = [(re.compile(e.regex), e) for e in entries if e.regex]
        self._longest = max((len(a.split()) for e in entries for a in e.aliases), default=1)

    def find(self, text: str) -> list[tuple[int, int, ActorEntry]]:
        """(start, end, entry) of each dictionary actor in `text`, left to right, longest name first."""
        found = [(m.start(), m.end(), entry) for pattern, entry in self._patterns for m in pattern.finditer(text)]
        words = list(re.finditer(r"[^\s,;:()\"“”]+", text))
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + self._longest), i, -1):
                start, end = words[i].start(), words[j - 1].end()
                phrase = _POSSESSIVE.sub("", text[start:end])
                entry = self._exact.get(phrase) or self._folded.get(phrase.casefold())
                # A surname followed by another name word is someone's given name ("Martin Griffiths").
                if entry and phrase in entry.surnames and j < len(words) and words[j].group()[:1].isupper():
                    entry = None
                if entry:
                    found.append((start, end, entry))
                    i = j
                    break
            else:
                i += 1
        return sorted(found, key=lambda hit: (hit[0], -hit[1]))


class SectorWords:
    """The sector words of configs/actors/sectors.yaml: which sector a phrase's words mark."""

    def __init__(self, path: Path | None = None) -> None:
        raw = _read_yaml(path or actors_config_path("sectors.yaml"))
        self.labels: dict[str, str] = {}
        self._words: dict[str, tuple[str, bool]] = {}
        for key, spec in raw.items():
            sector = spec.get("sector", key)
            if "label" in spec:
                self.labels[sector] = spec["label"]
            for word in spec.get("words", []):
                self._words[str(word).lower()] = (sector, bool(spec.get("weak")))
        self._longest = max(len(w.split()) for w in self._words)

    @property
    def codes(self) -> set[str]:
        return set(self.labels)

    def marks(self, text: str) -> list[tuple[int, str, bool]]:
        """(position, sector, weak) of each sector word in `text`, longest phrase first."""
        words = [_POSSESSIVE.sub("", w).lower() for w in re.findall(r"[\w'’-]+", text)]
        found, i = [], 0
        while i < len(words):
            for j in range(min(len(words), i + self._longest), i, -1):
                phrase = " ".join(words[i:j])
                hit = self._words.get(phrase) or self._words.get(phrase.removesuffix("s"))
                if hit:
                    found.append((i, *hit))
                    i = j
                    break
            else:
                i += 1
        return found

    def sector(self, text: str) -> str | None:
        """The sector `text` names: its last specific sector word, else its last weak one ("rebel leader": REB)."""
        marks = self.marks(text)
        strong = [sector for _, sector, weak in marks if not weak]
        weak = [sector for _, sector, weak in marks if weak]
        return (strong or weak or [None])[-1]


def load_actor_config(path: str | Path) -> object:
    """Read and check one shipped file of configs/actors/ by its name (what the config tests load)."""
    path = Path(path)
    if path.name in ("demonyms.yaml", "cow_codes.yaml"):
        return Countries()
    if path.name == "sectors.yaml":
        return SectorWords(path)
    loaders = {"organisations.yaml": shipped_entries, "people.yaml": people_entries}
    if path.name not in loaders:
        raise ActorDictionaryError(f"{path}: not a file of configs/actors/ ({sorted(loaders)}, sectors, demonyms...)")
    entries = loaders[path.name](path)
    check_entries(entries, Countries(), SectorWords().codes, str(path))
    return entries
