"""The keyword baseline of benchmarks/keyword_baseline.py on hand-made sentences."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import article_from_markup

from parley.documents import Article, article_from_dict
from parley.schema import Schema
from parley.scoring import score_articles

# Benchmark scripts import each other as scripts do, from their own folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from keyword_baseline import KeywordBaseline  # noqa: E402


@pytest.fixture(scope="module")
def baseline(schema) -> KeywordBaseline:
    return KeywordBaseline(schema)


def _events(article: Article) -> list[tuple]:
    """(type, status, trigger text, ((role, mention text, label), ...)) per predicted event."""
    out = []
    for event in article.events:
        args = tuple((a.role, article.entity(a.entity).text, article.entity(a.entity).label) for a in event.arguments)
        out.append((event.type, event.status, event.trigger.text, args))
    return out


def test_trigger_agent_before_partner_after_and_other_roles(baseline):
    text = "Russia invited the Syrian National Coalition to the Sochi conference on January 30."
    assert _events(baseline.predict(text)) == [
        (
            "INVITE",
            "asserted",
            "invited",
            (
                ("agent", "Russia", "GPE"),
                ("partner", "Syrian National Coalition", "ORG"),
                ("meeting", "Sochi conference", "MEETING"),
                ("time", "January 30", "TIME"),
            ),
        )
    ]


def test_titles_are_cut_and_a_place_is_no_partner(baseline):
    text = "Foreign Minister Sergei Lavrov met Khaled al-Khoja in Geneva on Monday."
    [(event_type, _, trigger, args)] = _events(baseline.predict(text))
    assert (event_type, trigger) == ("MEET", "met")
    assert args == (
        ("agent", "Sergei Lavrov", "PER"),
        ("partner", "Khaled al-Khoja", "PER"),
        ("time", "Monday", "TIME"),
        ("place", "Geneva", "GPE"),
    )


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Lavrov met Kerry in Vienna.", "asserted"),
        ("Lavrov will meet Kerry in Vienna.", "planned"),
        ("Lavrov would meet Kerry in Vienna.", "planned"),
        ("Lavrov did not meet Kerry in Vienna.", "negated"),
        ("Lavrov won't meet Kerry in Vienna.", "negated"),
        ("No invitation was sent to the HNC.", "negated"),
        ("Lavrov could meet Kerry in Vienna.", "hypothetical"),
        ("Lavrov may meet Kerry in Vienna.", "hypothetical"),
        ("If Lavrov meets Kerry, the talks go on.", "hypothetical"),
        ("If the talks fail, Lavrov will not meet Kerry.", "hypothetical"),
    ],
)
def test_status_cues(baseline, text, status):
    events = baseline.predict(text).events
    assert [e.status for e in events] == [status]


@pytest.mark.parametrize(
    "text",
    [
        "Exports declined by 3% in March.",
        "Oil output declined 5 percent from a year earlier.",
        "Turnout fell to 40 percent as voters rejected by 12 points the new budget.",
    ],
)
def test_numeric_near_misses_make_no_event(baseline, text):
    predicted = baseline.predict(text)
    assert predicted.events == [] and predicted.entities == []


def test_a_sports_boycott_is_still_caught(baseline):
    # A known limit of keyword rules (docs/schema.md section 2 excludes such boycotts): the report shows its cost.
    assert [e.type for e in baseline.predict("Fans boycotted the match in Madrid.").events] == ["BOYCOTT"]


def test_a_complement_is_absorbed(baseline):
    events = _events(baseline.predict("The HNC declined to attend the Sochi conference."))
    assert [(t, trigger) for t, _, trigger, _ in events] == [("DECLINE", "declined")]
    assert events[0][3] == (("agent", "HNC", "ORG"), ("meeting", "Sochi conference", "MEETING"))


def test_mentions_only_in_trigger_sentences(baseline):
    predicted = baseline.predict("Lavrov spoke to lawmakers on Wednesday. Moscow invited the HNC to Sochi talks.")
    assert [e.text for e in predicted.entities] == ["Moscow", "HNC", "Sochi talks"]


def test_predictions_are_valid_articles_and_pass_ids_through(baseline, hand_articles, schema):
    for article in hand_articles:
        predicted = baseline.predict(article)
        assert predicted.id == article.id and predicted.text == article.text
        # The validating reader accepts the prediction: spans, labels, roles and ids are consistent.
        assert article_from_dict(predicted.to_dict(), schema) == predicted


def test_scored_by_the_project_scorer(baseline, schema):
    gold = article_from_markup(
        "g-1",
        "The [HNC](ORG hnc) {declined}(DECLINE asserted agent=hnc meeting=tk) to attend the [Sochi conference]"
        "(MEETING tk).\nExports declined by 3% in March.",
        schema,
    )
    scores = score_articles([gold], [baseline.predict(gold)], schema)
    assert (scores.trigger_cls.tp, scores.trigger_cls.fp, scores.trigger_cls.fn) == (1, 0, 0)
    assert (scores.argument_cls.tp, scores.argument_cls.fp, scores.argument_cls.fn) == (2, 0, 0)
    assert scores.status.value == 1.0 and scores.mentions.f1 == 1.0


def test_a_schema_without_a_rule_type_fails_naming_it(schema):
    raw = schema.to_dict()
    raw["event_types"] = [t for t in raw["event_types"] if t["name"] != "BOYCOTT"]
    with pytest.raises(ValueError, match="BOYCOTT"):
        KeywordBaseline(Schema.from_dict(raw))
