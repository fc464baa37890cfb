"""Tests for the scorer (docs/schema.md section 7) on hand-made gold/prediction pairs."""

from __future__ import annotations

import json

import pytest
import yaml

from parley.documents import Argument, Article, ArticleError, Entity, LabeledEvent, Trigger
from parley.schema import Schema, default_schema_path, load_schema
from parley.scoring import PRF, empty_prediction, score_articles

SCHEMA = load_schema()
TEXT = "Lavrov invited De Mistura to the Geneva talks on Monday. Hijab declined the invitation."


def find(text: str, phrase: str, nth: int = 0) -> tuple[int, int]:
    """The [start, end) of the nth occurrence of phrase in text."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(phrase, start + 1)
    return start, start + len(phrase)


def mention(eid: str, phrase: str, label: str, text: str = TEXT, nth: int = 0) -> Entity:
    start, end = find(text, phrase, nth)
    return Entity(eid, start, end, label, text[start:end])


def event(
    eid: str, etype: str, phrase: str, args: dict[str, str] | None = None, status: str = "asserted", text: str = TEXT
) -> LabeledEvent:
    start, end = find(text, phrase)
    arguments = [Argument(role, entity) for entity, role in (args or {}).items()]
    return LabeledEvent(eid, etype, status, Trigger(start, end, text[start:end]), arguments)


def gold_article(article_id: str = "a1") -> Article:
    """A small labeled article: an INVITE and a DECLINE."""
    return Article(
        id=article_id,
        text=TEXT,
        entities=[
            mention("T1", "Lavrov", "PER"),
            mention("T2", "De Mistura", "PER"),
            mention("T3", "Geneva talks", "MEETING"),
            mention("T4", "Monday", "TIME"),
            mention("T5", "Hijab", "PER"),
        ],
        events=[
            event("E1", "INVITE", "invited", {"T1": "agent", "T2": "partner", "T3": "meeting", "T4": "time"}),
            event("E2", "DECLINE", "declined", {"T5": "agent"}),
        ],
    )


def test_exact_match_scores_one_everywhere():
    gold = gold_article()
    scores = score_articles([gold], [gold_article()], SCHEMA)
    for prf in (scores.mentions, scores.mentions_exact, scores.trigger_id, scores.trigger_cls):
        assert (prf.precision, prf.recall, prf.f1) == (1.0, 1.0, 1.0)
    assert scores.mentions.tp == 5 and scores.mentions_exact.tp == 5
    assert (scores.argument_cls.tp, scores.argument_cls.fp, scores.argument_cls.fn) == (5, 0, 0)
    assert scores.argument_id.f1 == 1.0
    assert (scores.status.correct, scores.status.total, scores.status.value) == (2, 2, 1.0)


def test_partial_overlap_counts_for_triggers_and_arguments_not_mentions():
    predicted = gold_article()
    predicted.entities[2] = mention("T3", "Geneva", "MEETING")  # gold: "Geneva talks"
    predicted.events[0].trigger = Trigger(*find(TEXT, "invit"), "invit")  # gold: "invited"
    scores = score_articles([gold_article()], [predicted], SCHEMA)
    assert (scores.mentions.tp, scores.mentions.fp, scores.mentions.fn) == (4, 1, 1)
    assert (scores.mentions_exact.tp, scores.mentions_exact.fp, scores.mentions_exact.fn) == (4, 1, 1)
    assert scores.trigger_id.f1 == 1.0 and scores.trigger_cls.f1 == 1.0
    # The meeting argument's span overlaps the gold one, so it still counts.
    assert scores.argument_cls.f1 == 1.0


def test_bio_mentions_cut_words_at_span_boundaries():
    text = "Syrians met in Geneva."
    gold = Article("a1", text, entities=[mention("T1", "Syrians", "ORG", text)])
    # A span ending inside a word must not count as the whole word.
    predicted = Article("a1", text, entities=[mention("T1", "Syrian", "ORG", text)])
    scores = score_articles([gold], [predicted], SCHEMA)
    assert (scores.mentions.tp, scores.mentions.fp, scores.mentions.fn) == (0, 1, 1)


def test_adjacent_mentions_are_not_one_mention():
    text = "Lavrov Hijab met."
    gold = Article("a1", text, entities=[mention("T1", "Lavrov", "PER", text), mention("T2", "Hijab", "PER", text)])
    predicted = Article("a1", text, entities=[mention("T1", "Lavrov Hijab", "PER", text)])
    scores = score_articles([gold], [predicted], SCHEMA)
    assert (scores.mentions.tp, scores.mentions.fp, scores.mentions.fn) == (0, 1, 2)
    assert (scores.mentions_exact.tp, scores.mentions_exact.fp, scores.mentions_exact.fn) == (0, 1, 2)


def test_mention_label_must_match():
    predicted = gold_article()
    predicted.entities[0] = mention("T1", "Lavrov", "ORG")
    scores = score_articles([gold_article()], [predicted], SCHEMA)
    assert (scores.mentions.tp, scores.mentions.fp, scores.mentions.fn) == (4, 1, 1)
    assert scores.mentions.precision == pytest.approx(0.8)


def test_nested_mentions_keep_the_outermost_in_bio():
    text = "They went to the Geneva talks."
    gold = Article(
        "a1", text, entities=[mention("T1", "Geneva talks", "MEETING", text), mention("T2", "Geneva", "GPE", text)]
    )
    outer_only = Article("a1", text, entities=[mention("T1", "Geneva talks", "MEETING", text)])
    scores = score_articles([gold], [outer_only], SCHEMA)
    assert scores.mentions.f1 == 1.0  # BIO holds the outer layer only
    assert (scores.mentions_exact.tp, scores.mentions_exact.fn) == (1, 1)

    inner_only = Article("a1", text, entities=[mention("T2", "Geneva", "GPE", text)])
    scores = score_articles([gold], [inner_only], SCHEMA)
    assert (scores.mentions.tp, scores.mentions.fp, scores.mentions.fn) == (0, 1, 1)
    assert (scores.mentions_exact.tp, scores.mentions_exact.fp, scores.mentions_exact.fn) == (1, 0, 1)


def test_one_prediction_overlapping_two_gold_triggers_matches_the_larger_overlap():
    text = "They held talks in Geneva."
    gold = Article(
        "a1",
        text,
        events=[
            event("E1", "MEET", "held", status="asserted", text=text),
            event("E2", "MEET", "talks", status="planned", text=text),
        ],
    )
    # "held tal" overlaps "held" by 4 characters and "talks" by 3.
    start, _ = find(text, "held")
    predicted = Article(
        "a1", text, events=[LabeledEvent("E1", "MEET", "planned", Trigger(start, start + 8, "held tal"))]
    )
    scores = score_articles([gold], [predicted], SCHEMA)
    assert (scores.trigger_id.tp, scores.trigger_id.fp, scores.trigger_id.fn) == (1, 0, 1)
    assert (scores.trigger_cls.tp, scores.trigger_cls.fp, scores.trigger_cls.fn) == (1, 0, 1)
    # It was matched to "held" (asserted), so its "planned" status is wrong.
    assert (scores.status.correct, scores.status.total) == (0, 1)


def test_equal_overlaps_are_broken_by_position():
    text = "They held talks."
    gold = Article(
        "a1",
        text,
        events=[
            event("E2", "MEET", "talks", status="planned", text=text),
            event("E1", "MEET", "held", status="asserted", text=text),
        ],
    )
    start, _ = find(text, "held")
    # "ld ta" overlaps both gold triggers by 2 characters: the earlier gold span wins whatever the list order.
    predicted = Article(
        "a1", text, events=[LabeledEvent("E1", "MEET", "asserted", Trigger(start + 2, start + 7, "ld ta"))]
    )
    scores = score_articles([gold], [predicted], SCHEMA)
    assert (scores.status.correct, scores.status.total) == (1, 1)


def test_two_predictions_for_one_gold_give_one_tp_one_fp():
    text = "Lavrov invited Hijab."
    gold = Article("a1", text, events=[event("E1", "INVITE", "invited", text=text)])
    predicted = Article(
        "a1", text, events=[event("E1", "INVITE", "invited", text=text), event("E2", "INVITE", "invit", text=text)]
    )
    scores = score_articles([gold], [predicted], SCHEMA)
    assert (scores.trigger_id.tp, scores.trigger_id.fp, scores.trigger_id.fn) == (1, 1, 0)
    assert (scores.trigger_cls.tp, scores.trigger_cls.fp, scores.trigger_cls.fn) == (1, 1, 0)
    assert scores.trigger_cls.precision == 0.5 and scores.trigger_cls.recall == 1.0


def test_wrong_type_is_identified_but_not_classified():
    predicted = gold_article()
    predicted.events[1].type = "BOYCOTT"  # gold: DECLINE
    scores = score_articles([gold_article()], [predicted], SCHEMA)
    assert (scores.trigger_id.tp, scores.trigger_id.fp, scores.trigger_id.fn) == (2, 0, 0)
    assert (scores.trigger_cls.tp, scores.trigger_cls.fp, scores.trigger_cls.fn) == (1, 1, 1)
    assert (scores.per_type["DECLINE"].triggers.fn, scores.per_type["DECLINE"].triggers.fp) == (1, 0)
    assert (scores.per_type["BOYCOTT"].triggers.fn, scores.per_type["BOYCOTT"].triggers.fp) == (0, 1)
    # Status accuracy only counts classification matches.
    assert scores.status.total == 1


def test_arguments_match_only_when_their_event_matches():
    predicted = gold_article()
    predicted.events[0].type = "MEET"  # gold: INVITE with four arguments, same mentions and roles
    scores = score_articles([gold_article()], [predicted], SCHEMA)
    assert (scores.argument_id.tp, scores.argument_id.fp, scores.argument_id.fn) == (1, 4, 4)
    assert (scores.argument_cls.tp, scores.argument_cls.fp, scores.argument_cls.fn) == (1, 4, 4)
    assert scores.per_type["INVITE"].argument_cls.fn == 4
    assert scores.per_type["MEET"].argument_cls.fp == 4
    assert scores.per_type["DECLINE"].argument_cls.tp == 1


def test_argument_with_wrong_role_is_identified_but_not_classified():
    predicted = gold_article()
    predicted.events[0].arguments = [Argument("partner", "T1"), Argument("partner", "T2")]  # gold T1 is the agent
    scores = score_articles([gold_article()], [predicted], SCHEMA)
    assert (scores.argument_id.tp, scores.argument_id.fp, scores.argument_id.fn) == (3, 0, 2)
    assert (scores.argument_cls.tp, scores.argument_cls.fp, scores.argument_cls.fn) == (2, 1, 3)


def test_argument_overlapping_two_gold_arguments_matches_one():
    text = "Lavrov Hijab met."
    gold = Article(
        "a1",
        text,
        entities=[mention("T1", "Lavrov", "PER", text), mention("T2", "Hijab", "PER", text)],
        events=[event("E1", "MEET", "met", {"T1": "agent", "T2": "agent"}, text=text)],
    )
    predicted = Article(
        "a1",
        text,
        entities=[mention("T1", "Lavrov Hijab", "PER", text)],
        events=[event("E1", "MEET", "met", {"T1": "agent"}, text=text)],
    )
    scores = score_articles([gold], [predicted], SCHEMA)
    assert (scores.argument_cls.tp, scores.argument_cls.fp, scores.argument_cls.fn) == (1, 0, 1)


def test_status_accuracy_over_matched_triggers():
    predicted = gold_article()
    predicted.events[0].status = "planned"
    scores = score_articles([gold_article()], [predicted], SCHEMA)
    assert (scores.status.correct, scores.status.total, scores.status.value) == (1, 2, 0.5)
    # Status does not affect trigger or argument scores.
    assert scores.trigger_cls.f1 == 1.0 and scores.argument_cls.f1 == 1.0


def test_no_articles_at_all_scores_one():
    scores = score_articles([], [], SCHEMA)
    assert scores.articles == 0
    for prf in (scores.mentions, scores.mentions_exact, scores.trigger_id, scores.trigger_cls, scores.argument_cls):
        assert (prf.tp, prf.fp, prf.fn, prf.f1) == (0, 0, 0, 1.0)
    assert scores.status.value == 1.0
    json.dumps(scores.to_dict())


def test_empty_gold_and_empty_prediction_agree():
    gold = Article("a1", TEXT)
    scores = score_articles([gold], [empty_prediction(gold)], SCHEMA)
    assert scores.mentions.f1 == 1.0 and scores.trigger_cls.f1 == 1.0 and scores.status.value == 1.0


def test_empty_prediction_scores_zero_recall():
    gold = gold_article()
    scores = score_articles([gold], [empty_prediction(gold)], SCHEMA)
    for prf in (scores.mentions, scores.mentions_exact, scores.trigger_id, scores.trigger_cls, scores.argument_cls):
        assert (prf.tp, prf.fp) == (0, 0) and prf.fn > 0
        assert (prf.precision, prf.recall, prf.f1) == (0.0, 0.0, 0.0)
    assert (scores.status.total, scores.status.value) == (0, 0.0)


def test_predictions_on_empty_gold_score_zero_precision():
    scores = score_articles([Article("a1", TEXT)], [gold_article()], SCHEMA)
    for prf in (scores.trigger_id, scores.trigger_cls, scores.argument_cls):
        assert (prf.tp, prf.fn) == (0, 0) and prf.fp > 0
        assert (prf.precision, prf.recall, prf.f1) == (0.0, 0.0, 0.0)
    # No sentence of the gold article holds a trigger, so its mentions were not labeled: nothing to judge.
    assert (scores.mentions.fp, scores.mentions_exact.fp) == (0, 0)


def test_mentions_are_judged_only_where_the_gold_labels_them():
    text = "Lavrov invited Hijab. Reporters waited in Geneva."
    gold = Article(
        "a1",
        text,
        entities=[Entity("T1", 0, 6, "PER", "Lavrov"), Entity("T2", 15, 20, "PER", "Hijab")],
        events=[LabeledEvent("E1", "INVITE", "asserted", Trigger(7, 14, "invited"), [Argument("agent", "T1")])],
    )
    predicted = Article(
        "a1",
        text,
        entities=[
            Entity("P1", 0, 6, "PER", "Lavrov"),
            Entity("P2", 15, 20, "ORG", "Hijab"),  # wrong label in a labeled sentence: fp + fn
            Entity("P3", 42, 48, "GPE", "Geneva"),  # an unlabeled sentence: not judged
        ],
    )
    scores = score_articles([gold], [predicted], SCHEMA)
    assert (scores.mentions_exact.tp, scores.mentions_exact.fp, scores.mentions_exact.fn) == (1, 1, 1)
    assert (scores.mentions.tp, scores.mentions.fp, scores.mentions.fn) == (1, 1, 1)


def test_empty_prediction_may_leave_the_text_out():
    scores = score_articles([gold_article()], [Article("a1", "")], SCHEMA)
    assert scores.trigger_cls.fn == 2


def test_prf_from_counts():
    prf = PRF.from_counts(tp=2, fp=2, fn=0)
    assert (prf.precision, prf.recall) == (0.5, 1.0)
    assert prf.f1 == pytest.approx(2 / 3)


def test_per_type_rows_add_up_and_follow_the_schema():
    raw = yaml.safe_load(default_schema_path().read_text(encoding="utf-8"))  # extend the file, as a user would
    raw["event_types"]["CALL"] = {"description": "a phone call between actors"}
    schema = Schema.from_dict(raw)
    text = "Lavrov called Hijab and invited him."
    gold = Article(
        "a1",
        text,
        entities=[mention("T1", "Lavrov", "PER", text), mention("T2", "Hijab", "PER", text)],
        events=[
            event("E1", "CALL", "called", {"T1": "agent", "T2": "partner"}, text=text),
            event("E2", "INVITE", "invited", {"T1": "agent"}, text=text),
        ],
    )
    predicted = Article(
        "a1",
        text,
        entities=[mention("T1", "Lavrov", "PER", text), mention("T2", "Hijab", "PER", text)],
        events=[event("E1", "CALL", "called", {"T1": "agent", "T2": "agent"}, text=text)],
    )
    scores = score_articles([gold], [predicted], schema)
    assert list(scores.per_type) == list(schema.event_types)
    assert scores.per_type["CALL"].triggers.f1 == 1.0
    assert scores.per_type["CALL"].argument_id.f1 == 1.0
    assert scores.per_type["CALL"].argument_cls.f1 == 0.5
    assert scores.per_type["INVITE"].triggers.fn == 1 and scores.per_type["INVITE"].argument_cls.fn == 1
    assert scores.per_type["MEET"].triggers.f1 == 1.0  # nothing on either side
    for name in ("triggers", "argument_id", "argument_cls"):
        overall = getattr(scores, "trigger_cls" if name == "triggers" else name)
        per = [getattr(t, name) for t in scores.per_type.values()]
        assert (overall.tp, overall.fp, overall.fn) == (
            sum(p.tp for p in per),
            sum(p.fp for p in per),
            sum(p.fn for p in per),
        )

    table = scores.format_table()
    for row in (
        "mentions",
        "trigger id",
        "trigger cls",
        "argument id",
        "argument cls",
        "status acc",
        *schema.event_types,
    ):
        assert row in table
    call_row = next(line for line in table.splitlines() if line.startswith("CALL"))
    assert call_row.split()[1:3] == ["1.000", "0.500"]
    meet_row = next(line for line in table.splitlines() if line.startswith("MEET"))
    assert meet_row.split()[1:3] == ["-", "-"]  # absent on both sides: no score to show


def test_to_dict_is_json():
    predicted = gold_article()
    predicted.events[0].status = "planned"
    data = json.loads(json.dumps(score_articles([gold_article()], [predicted], SCHEMA).to_dict()))
    assert data["status"] == {"accuracy": 0.5, "correct": 1, "total": 2}
    assert data["trigger_cls"]["f1"] == 1.0 and data["trigger_cls"]["tp"] == 2
    assert set(data["per_type"]) == set(SCHEMA.event_types)
    assert data["per_type"]["INVITE"]["argument_cls"]["tp"] == 4


def test_articles_matched_by_id_regardless_of_order():
    second_text = "Hijab met Lavrov."
    second = Article(
        "a2",
        second_text,
        entities=[mention("T1", "Hijab", "PER", second_text), mention("T2", "Lavrov", "PER", second_text)],
        events=[event("E1", "MEET", "met", {"T1": "agent", "T2": "partner"}, text=second_text)],
    )
    wrong_second = Article("a2", second_text)
    gold = [gold_article("a1"), second]
    in_order = score_articles(gold, [gold_article("a1"), wrong_second], SCHEMA)
    reversed_order = score_articles(gold, [wrong_second, gold_article("a1")], SCHEMA)
    assert in_order == reversed_order
    assert (in_order.trigger_cls.tp, in_order.trigger_cls.fn) == (2, 1)
    assert score_articles(gold, list(reversed(gold)), SCHEMA).argument_cls.f1 == 1.0


def test_missing_prediction_is_an_error_naming_the_id():
    with pytest.raises(ArticleError, match="seed-007") as info:
        score_articles([gold_article("a1"), gold_article("seed-007")], [gold_article("a1")], SCHEMA)
    assert info.value.article_id == "seed-007"


def test_prediction_without_gold_is_an_error_naming_the_id():
    with pytest.raises(ArticleError, match="stray") as info:
        score_articles([gold_article("a1")], [gold_article("a1"), gold_article("stray")], SCHEMA)
    assert info.value.article_id == "stray"


def test_duplicate_article_id_is_an_error():
    with pytest.raises(ArticleError, match="twice"):
        score_articles([gold_article("a1"), gold_article("a1")], [gold_article("a1")], SCHEMA)


def test_prediction_over_a_different_text_is_an_error():
    predicted = gold_article()
    predicted.text = TEXT.upper()
    with pytest.raises(ArticleError, match="text differs") as info:
        score_articles([gold_article()], [predicted], SCHEMA)
    assert info.value.article_id == "a1"


def test_unknown_event_type_in_prediction_is_an_error():
    predicted = gold_article()
    predicted.events[0].type = "TELEPHONE"
    with pytest.raises(ArticleError, match="TELEPHONE"):
        score_articles([gold_article()], [predicted], SCHEMA)


def test_argument_pointing_to_a_missing_mention_is_an_error():
    predicted = gold_article()
    predicted.events[0].arguments.append(Argument("agent", "T99"))
    with pytest.raises(ArticleError, match="T99"):
        score_articles([gold_article()], [predicted], SCHEMA)


def test_classification_is_its_own_matching():
    text = "They invited talks."
    gold = Article(
        "a1", text, events=[event("E1", "INVITE", "invited", text=text), event("E2", "MEET", "talks", text=text)]
    )
    start, _ = find(text, "invited")
    # "ited tal" overlaps "invited" by 4 characters and "talks" by 3: identification pairs it with the INVITE,
    # classification with the MEET, the only trigger of its type it overlaps.
    predicted = Article("a1", text, events=[LabeledEvent("E1", "MEET", "asserted", Trigger(start + 3, start + 11, ""))])
    scores = score_articles([gold], [predicted], SCHEMA)
    assert (scores.trigger_id.tp, scores.trigger_id.fp, scores.trigger_id.fn) == (1, 0, 1)
    assert (scores.trigger_cls.tp, scores.trigger_cls.fp, scores.trigger_cls.fn) == (1, 0, 1)
    assert scores.per_type["MEET"].triggers.f1 == 1.0
