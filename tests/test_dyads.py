"""Event-data rows: dyads per agent x partner, CAMEO/PLOVER codes, dates, pronoun resolution, repeats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_schema import STATUS_RENAMES, renamed_extraction, renamed_schema

from parley.inference.dyads import DYAD_COLUMNS, anaphor_labels, antecedent, event_rows
from parley.inference.events import Argument, Event, Extraction, Mention

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds.jsonl"


def mention(text: str, phrase: str, label: str, nth: int = 0) -> Mention:
    """The `nth` occurrence of `phrase` in `text` as a mention."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(phrase, start + 1)
    return Mention(label, phrase, start, start + len(phrase), 0.9)


def event(text: str, trigger: str, type_: str, status: str, nth: int = 0, **roles: list[Mention]) -> Event:
    arguments = [Argument(role, m, 0.8) for role, found in roles.items() for m in found]
    return Event(type_, status, mention(text, trigger, type_, nth), arguments, 0.95, 0.9)


def extraction(text: str, mentions: list[Mention], events: list[Event], date: str | None = "2015-01-08") -> Extraction:
    return Extraction("a1", text, sorted(mentions, key=lambda m: m.start), events, date=date)


def test_one_row_per_agent_and_partner_with_codes_and_resolved_date(schema):
    text = "Lavrov and Assad met Khoja and Hijab in Geneva on Monday."
    m = {
        p: mention(text, p, label)
        for p, label in [
            ("Lavrov", "PER"),
            ("Assad", "PER"),
            ("Khoja", "PER"),
            ("Hijab", "PER"),
            ("Geneva", "GPE"),
            ("Monday", "TIME"),
        ]
    }
    met = event(
        text,
        "met",
        "MEET",
        "asserted",
        agent=[m["Lavrov"], m["Assad"]],
        partner=[m["Khoja"], m["Hijab"]],
        place=[m["Geneva"]],
        time=[m["Monday"]],
    )
    rows = event_rows(extraction(text, list(m.values()), [met]), schema)
    assert [(r["source"], r["target"]) for r in rows] == [
        ("Lavrov", "Khoja"),
        ("Lavrov", "Hijab"),
        ("Assad", "Khoja"),
        ("Assad", "Hijab"),
    ]
    row = rows[0]
    assert list(row) == list(DYAD_COLUMNS)
    assert row["date"] == "2015-01-05"  # the Monday before the 2015-01-08 publication
    assert (row["event_type"], row["status"], row["cameo"], row["plover"]) == ("MEET", "asserted", "040", "CONSULT")
    assert (row["place"], row["time"], row["trigger"], row["count"]) == ("Geneva", "Monday", "met", 1)
    assert (row["source_label"], row["target_label"], row["article_id"]) == ("PER", "PER", "a1")
    assert row["sentence"] == text


def test_missing_sides_give_empty_columns_and_the_article_date(schema):
    text = "Russia invited the opposition. The talks were boycotted."
    russia, opposition = mention(text, "Russia", "GPE"), mention(text, "opposition", "ORG")
    invite = event(text, "invited", "INVITE", "asserted", agent=[russia])
    boycott = event(text, "boycotted", "BOYCOTT", "asserted", partner=[opposition])
    meet = event(text, "talks", "MEET", "planned")
    rows = event_rows(extraction(text, [russia, opposition], [invite, boycott, meet]), schema)
    assert [(r["source"], r["target"], r["date"]) for r in rows] == [
        ("Russia", "", "2015-01-08"),
        ("", "opposition", "2015-01-08"),
        ("", "", "2015-01-08"),
    ]
    assert [r["cameo"] for r in rows] == ["026", "125", "036"]  # a planned MEET is "express intent to meet"
    undated = event_rows(extraction(text, [russia], [invite], date=None), schema)
    assert undated[0]["date"] == ""


def test_pronouns_resolve_to_the_nearest_compatible_named_mention(schema):
    text = (
        "Lavrov spoke on Wednesday. He said Moscow had invited the HNC. The HNC met Lavrov in Geneva. "
        "They declined to attend. He declined too."
    )
    lavrov, he = mention(text, "Lavrov", "PER"), mention(text, "He", "PER")
    moscow, hnc, hnc2 = mention(text, "Moscow", "GPE"), mention(text, "HNC", "ORG"), mention(text, "HNC", "ORG", 1)
    lavrov2, geneva, they = (
        mention(text, "Lavrov", "PER", 1),
        mention(text, "Geneva", "GPE"),
        mention(text, "They", "ORG"),
    )
    he2 = mention(text, "He", "PER", 1)
    mentions = [lavrov, he, moscow, hnc, hnc2, lavrov2, geneva, they, he2]
    events = [
        event(text, "invited", "INVITE", "asserted", agent=[he], partner=[hnc]),
        event(text, "met", "MEET", "asserted", agent=[hnc2], partner=[lavrov2], place=[geneva]),
        event(text, "declined", "DECLINE", "asserted", agent=[they]),
        event(text, "declined", "DECLINE", "asserted", nth=1, agent=[he2]),
    ]
    rows = event_rows(extraction(text, mentions, events), schema)
    assert [(r["source"], r["source_label"], r["source_text"]) for r in rows] == [
        ("Lavrov", "PER", "He"),
        ("HNC", "ORG", "HNC"),
        # "They" skips the nearer person, and Geneva, which is only the place of the meeting.
        ("HNC", "ORG", "They"),
        ("Lavrov", "PER", "He"),
    ]


def test_a_bare_nominal_prefers_a_mention_that_repeats_its_head(schema):
    text = "The Syrian National Coalition spoke to AFP. The coalition declined."
    snc, afp = mention(text, "Syrian National Coalition", "ORG"), mention(text, "AFP", "ORG")
    nominal = mention(text, "coalition", "ORG")
    assert antecedent(nominal, extraction(text, [snc, afp, nominal], []), schema) is snc
    # With no mention repeating "coalition" the nearest named ORG or GPE is taken; with none at all, itself.
    assert antecedent(nominal, extraction(text, [afp, nominal], []), schema) is afp
    assert antecedent(nominal, extraction(text, [nominal], []), schema) is nominal


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        ("Then he left.", "he", ("PER",)),
        ("Then they left.", "they", ("ORG", "GPE")),
        ("The group left.", "The group", ("ORG",)),
        ("Then the group left.", "group", ("ORG",)),  # the determiner outside the span
        ("A spokesman said his group left.", "group", ("ORG",)),
        ("The armed groups left.", "armed groups", ("ORG",)),
        ("The country left.", "country", ("GPE",)),
        ("Syrian groups left.", "Syrian groups", None),  # a name in it: not anaphoric
        ("Delegates left.", "Delegates", None),  # no determiner
        ("The delegates left.", "delegates", None),  # not a collective-actor noun
        ("Lavrov left.", "Lavrov", None),
    ],
)
def test_which_mentions_are_anaphoric(text, phrase, expected, schema):
    assert anaphor_labels(mention(text, phrase, "ORG"), text, schema) == expected


def test_an_event_repeated_word_for_word_is_one_row_with_a_count(schema):
    sentence = "Russia invited the opposition to Sochi."
    text = f"{sentence}\nOther news.\n{sentence}\nRussia invited the opposition to Astana."
    mentions, events = [], []
    for nth in range(3):
        russia, opposition = mention(text, "Russia", "GPE", nth), mention(text, "opposition", "ORG", nth)
        mentions += [russia, opposition]
        events.append(event(text, "invited", "INVITE", "asserted", nth=nth, agent=[russia], partner=[opposition]))
    rows = event_rows(extraction(text, mentions, events), schema)
    assert [(r["sentence"], r["count"]) for r in rows] == [(sentence, 2), (text.splitlines()[-1], 1)]
    assert rows[0]["trigger_start"] == text.index("invited")


def _gold_extraction(article: dict) -> Extraction:
    """A labeled seed article as if the model had predicted exactly its labels."""
    mentions = {e["id"]: Mention(e["label"], e["text"], e["start"], e["end"], 1.0) for e in article["entities"]}
    events = [
        Event(
            e["type"],
            e["status"],
            Mention(e["type"], e["trigger"]["text"], e["trigger"]["start"], e["trigger"]["end"], 1.0),
            [Argument(a["role"], mentions[a["entity"]], 1.0) for a in e["arguments"]],
            1.0,
            1.0,
        )
        for e in article["events"]
    ]
    return Extraction(article["id"], article["text"], list(mentions.values()), events, date=article.get("date"))


def test_seed_articles_person_pronouns_resolve_as_labeled(schema):
    checked = 0
    for article in map(json.loads, SEEDS.read_text(encoding="utf-8").splitlines()):
        found = _gold_extraction(article)
        entities = {e["id"]: e for e in article["entities"]}
        for entity, m in zip(article["entities"], found.mentions, strict=True):
            if entity.get("coref") and entity["label"] == "PER":
                assert antecedent(m, found, schema).text == entities[entity["coref"]]["text"], (article["id"], m)
                checked += 1
        assert event_rows(found, schema), article["id"]
    assert checked >= 6


def test_seed_000_repeats_its_paragraphs_and_its_rows_say_so(schema):
    article = next(a for a in map(json.loads, SEEDS.read_text(encoding="utf-8").splitlines()) if a["id"] == "seed-000")
    rows = event_rows(_gold_extraction(article), schema)
    repeated = [r for r in rows if r["count"] == 2]
    assert repeated and all(article["text"].count(r["sentence"]) == 2 for r in repeated)
    assert sum(r["count"] for r in rows) > len(rows)
    # The planned meeting on June 4 is dated by its own time, not the publication date.
    june = [r for r in rows if r["time"] == "June 4"]
    assert june and all(r["date"] == "2015-06-04" for r in june)


def test_a_schema_with_renamed_roles_and_statuses_gives_the_same_rows(schema):
    renamed = renamed_schema()
    back = {new: old for old, new in STATUS_RENAMES.items()}
    checked = 0
    for article in map(json.loads, SEEDS.read_text(encoding="utf-8").splitlines()):
        found = _gold_extraction(article)
        expected = event_rows(found, schema)
        rows = event_rows(renamed_extraction(found), renamed)
        assert [{**row, "status": back.get(row["status"], row["status"])} for row in rows] == expected, article["id"]
        checked += sum(bool(row["source"] and row["target"] and row["date"]) for row in expected)
    assert checked >= 10  # rows with both sides and a date: the renamed source, target and time roles were used
