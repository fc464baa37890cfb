"""Name and place swapping: copies of training articles with other people's names and other places.

The model should find an event by its trigger and its syntax, not by who the actors are or where they
meet; the corpus repeats some names (and the real articles it is judged on name others). A copy of an
article has every proper-name person, place and location mention replaced by a name of the same label
drawn from the training articles, the same name within the article always by the same replacement, and
every offset moved to match.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from parley.documents import Argument, Article, Entity, LabeledEvent, Trigger
from parley.schema import Schema


def swapped_labels(schema: Schema) -> tuple[str, ...]:
    """Labels whose proper names are swapped: people, countries and what may fill the place role (PER, GPE, LOC
    in the shipped schema). Organisation names are left alone: their words often carry the meaning ("opposition",
    "union") that a role depends on."""
    meanings = schema.meanings
    places = schema.roles[meanings.place_role].labels if meanings.place_role else ()
    organisations = set(meanings.organisation_labels)
    labels = (*meanings.person_labels, *meanings.country_labels, *places)
    return tuple(label for label in dict.fromkeys(labels) if label not in organisations)


_PRONOUNS = {"he", "she", "it", "they", "we", "i", "you", "him", "her", "them", "us", "his", "its", "their"}


def _is_name(text: str) -> bool:
    """A proper name: capitalised, not an all-capitals dateline or acronym, not a pronoun."""
    return bool(text) and text[0].isupper() and not text.isupper() and text.lower() not in _PRONOUNS


def _leaves(article: Article, labels: Sequence[str]) -> list[Entity]:
    """Name mentions of `labels` that hold no other mention and touch no trigger."""
    triggers = [(e.trigger.start, e.trigger.end) for e in article.events]
    found = []
    for entity in article.entities:
        if entity.label not in labels or not _is_name(entity.text):
            continue
        inner = any(o is not entity and entity.start <= o.start and o.end <= entity.end for o in article.entities)
        touches = any(s < entity.end and entity.start < e for s, e in triggers)
        if not inner and not touches:
            found.append(entity)
    return found


def name_pools(articles: Iterable[Article], labels: Sequence[str]) -> dict[str, list[str]]:
    """Every distinct name of each swapped label in the articles, sorted (the draw is then reproducible)."""
    pools: dict[str, set[str]] = {label: set() for label in labels}
    for article in articles:
        for entity in _leaves(article, labels):
            pools[entity.label].add(entity.text)
    return {label: sorted(names) for label, names in pools.items()}


def swap_names(article: Article, pools: dict[str, list[str]], rng: random.Random, copy: int = 1) -> Article:
    """A copy of `article` (id `<id>~names<copy>`) with its person and place names replaced."""
    chosen: dict[tuple[str, str], str] = {}
    edits: list[tuple[int, int, str]] = []
    for entity in sorted(_leaves(article, tuple(pools)), key=lambda e: e.start):
        if edits and entity.start < edits[-1][1]:
            continue  # overlaps the previous edit (crossing mentions): keep it
        key = (entity.label, entity.text)
        if key not in chosen:
            others = [name for name in pools.get(entity.label, ()) if name != entity.text]
            chosen[key] = rng.choice(others) if others else entity.text
        edits.append((entity.start, entity.end, chosen[key]))

    pieces, last = [], 0
    for start, end, name in edits:
        pieces += [article.text[last:start], name]
        last = end
    text = "".join(pieces) + article.text[last:]

    def moved(position: int) -> int:
        return position + sum(len(name) - (end - start) for start, end, name in edits if end <= position)

    entities = [
        Entity(e.id, moved(e.start), moved(e.end), e.label, text[moved(e.start) : moved(e.end)], e.coref)
        for e in article.entities
    ]
    events = [
        LabeledEvent(
            ev.id,
            ev.type,
            ev.status,
            Trigger(
                moved(ev.trigger.start), moved(ev.trigger.end), text[moved(ev.trigger.start) : moved(ev.trigger.end)]
            ),
            [Argument(a.role, a.entity) for a in ev.arguments],
        )
        for ev in article.events
    ]
    return Article(
        id=f"{article.id}~names{copy}",
        text=text,
        date=article.date,
        source=article.source,
        url=article.url,
        entities=entities,
        events=events,
        origin=article.origin,
    )


def augmented(articles: Sequence[Article], copies: int, seed: int, schema: Schema) -> list[Article]:
    """`copies` name-swapped copies of each article, drawn from the articles' own names."""
    if copies <= 0:
        return []
    pools = name_pools(articles, swapped_labels(schema))
    rng = random.Random(seed)
    return [swap_names(article, pools, rng, k) for k in range(1, copies + 1) for article in articles]
