"""The dataset builder: splits, windows and labels keep every gold item, and say what they could not keep."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from conftest import CONFIGS, PASSAGES, article_from_markup
from datasets import load_from_disk

from parley.cli import main
from parley.config import SplitRatios, load_config
from parley.documents import ArticleError
from parley.model.encoding import plan_windows
from parley.model.labels import LabelSpace
from parley.text import split_sentences
from parley.training.dataset_builder import build_dataset, schema_of
from parley.training.splits import assign_splits, group_articles, normalise_sentence

TINY = CONFIGS / "train" / "tiny.yaml"


def build(path, *overrides):
    return build_dataset(load_config(TINY, [f"data.paths={path}", *overrides]))


def rows_of(built):
    return [(split, row) for split in built.datasets for row in built.datasets[split]]


def names(built, split, column):
    """ClassLabel id -> name for a column of struct lists (mentions.label, triggers.type, relations.role)."""
    outer, inner = column.split(".")
    return built.datasets[split].features[outer].feature[inner].names


def gold_arguments(articles):
    return {(a.id, ev.id, arg.entity): arg.role for a in articles for ev in a.events for arg in ev.arguments}


def many_articles(count, shared_every=0):
    """`count` small distinct articles; with `shared_every`, every such article also repeats one paragraph."""
    articles = []
    for i in range(count):
        markup = (
            f"[Delegation {i}](ORG d) {{met}}(MEET asserted agent=d partner=p) [envoy Number{i}](PER p) "
            f"in [Town{i}](GPE t) on day {i}."
        )
        if shared_every and i % shared_every == 0:
            markup += "\nThe shared paragraph appears in several articles."
        articles.append(article_from_markup(f"gen-{i:03d}", markup))
    return articles


def test_every_gold_event_and_mention_lands_in_exactly_one_split(hand_articles, write_articles):
    built = build(write_articles(hand_articles), "data.split_seed=3")
    event_splits, mention_splits = defaultdict(set), defaultdict(set)
    for split, row in rows_of(built):
        for trigger in row["triggers"]:
            event_splits[(row["article_id"], trigger["event_id"])].add(split)
        for mention in row["mentions"]:
            mention_splits[(row["article_id"], mention["id"])].add(split)
    gold_events = {(a.id, ev.id) for a in hand_articles for ev in a.events}
    gold_mentions = {(a.id, e.id) for a in hand_articles for e in a.entities}
    assert set(event_splits) == gold_events
    assert set(mention_splits) == gold_mentions
    assert all(len(splits) == 1 for splits in [*event_splits.values(), *mention_splits.values()])
    assert sum(sum(c.triggers.values()) for c in built.summary.splits.values()) == len(gold_events)


def test_identical_sentences_never_land_in_two_splits(write_articles):
    articles = many_articles(40, shared_every=7)
    built = build(write_articles(articles), "data.split.train=0.5", "data.split.dev=0.25", "data.split.test=0.25")
    split_of = {row["article_id"]: split for split, row in rows_of(built)}
    assert set(split_of.values()) == {"train", "dev", "test"}
    sentence_splits = defaultdict(set)
    for article in articles:
        for start, end in split_sentences(article.text):
            sentence_splits[normalise_sentence(article.text[start:end])].add(split_of[article.id])
    assert len(sentence_splits["The shared paragraph appears in several articles."]) == 1
    assert all(len(splits) == 1 for splits in sentence_splits.values())
    assert built.summary.article_groups == 40 - 5  # six articles share a paragraph with gen-000


def test_group_articles_joins_chains_of_shared_sentences():
    groups = group_articles({"a": {"x", "y"}, "b": {"y", "z"}, "c": {"z"}, "d": {"w"}, "e": set()})
    assert groups == [["a", "b", "c"], ["d"], ["e"]]


def test_assign_splits_follows_the_ratios_and_the_seed():
    groups = [[f"a{i}"] for i in range(100)]
    ratios = SplitRatios(train=0.8, dev=0.1, test=0.1)
    first = assign_splits(groups, ratios, seed=5)
    sizes = {name: sum(split == name for split in first.values()) for name in ("train", "dev", "test")}
    assert sizes == {"train": 80, "dev": 10, "test": 10}
    assert assign_splits(groups, ratios, seed=5) == first
    assert assign_splits(groups, ratios, seed=6) != first


def test_few_articles_keep_train_non_empty_and_say_what_dev_and_test_got(hand_articles, write_articles):
    built = build(write_articles(hand_articles[:1]))
    assert len(built.datasets["train"]) > 0
    assert len(built.datasets["dev"]) == len(built.datasets["test"]) == 0
    assert any("dev is empty" in note for note in built.summary.notes)
    assert any("test is empty" in note for note in built.summary.notes)


def test_relation_pairs_carry_the_gold_role_or_none(hand_articles, write_articles):
    built = build(write_articles(hand_articles), "data.max_length=128")
    gold = gold_arguments(hand_articles)
    seen_arguments = set()
    pairs = 0
    for split, row in rows_of(built):
        roles = names(built, split, "relations.role")
        for relation in row["relations"]:
            event_id = row["triggers"][relation["trigger"]]["event_id"]
            mention_id = row["mentions"][relation["mention"]]["id"]
            key = (row["article_id"], event_id, mention_id)
            assert roles[relation["role"]] == gold.get(key, "none")
            if key in gold:
                seen_arguments.add(key)
            pairs += 1
    assert seen_arguments == set(gold)
    assert pairs == sum(built.summary.total().pairs.values())  # no windowing at 128: each pair once


LONG = (
    "[Moscow](GPE m) said on [Monday](TIME mon) that after long and difficult preparations lasting many months it had "
    "finally {invited}(INVITE asserted agent=m partner=h meeting=s) the [HNC](ORG h) and other groups to the "
    "[Sochi congress](MEETING s) that will open next week in [Sochi](GPE so) with many guests from the region and "
    "beyond attending its sessions."
)


def test_windowing_keeps_every_span_and_pair_whole(hand_articles, write_articles):
    articles = [*hand_articles, article_from_markup("long-001", LONG)]
    built = build(write_articles(articles), "data.max_length=36", "data.window_stride=2")
    hand_articles = articles
    total = built.summary.total()
    assert total.issues["windowed_units"] >= 2
    assert any(row["article_id"] == "long-001" and row["window_index"] == 2 for _, row in rows_of(built))
    assert total.issues["unfit_events"] == total.issues["unfit_pairs"] == total.issues["unfit_spans"] == 0
    assert all(len(row["input_ids"]) <= 36 for _, row in rows_of(built))

    text_of = {a.id: a.text for a in hand_articles}
    found_spans = set()
    for _, row in rows_of(built):
        for span in [*row["mentions"], *row["triggers"]]:
            span_id = span.get("id") or span["event_id"]
            start = row["char_start"] + row["word_starts"][span["word_start"]]
            end = row["char_start"] + row["word_ends"][span["word_end"] - 1]
            found_spans.add((row["article_id"], span_id, start, end))
    expected = {(a.id, e.id, e.start, e.end) for a in hand_articles for e in a.entities}
    expected |= {(a.id, ev.id, ev.trigger.start, ev.trigger.end) for a in hand_articles for ev in a.events}
    assert found_spans == expected
    assert all(text_of[a][s:e] for a, _, s, e in found_spans)

    found_pairs = {}
    for split, row in rows_of(built):
        roles = names(built, split, "relations.role")
        for relation in row["relations"]:
            key = (row["article_id"], row["triggers"][relation["trigger"]]["event_id"])
            key += (row["mentions"][relation["mention"]]["id"],)
            assert found_pairs.setdefault(key, roles[relation["role"]]) == roles[relation["role"]]
    gold = gold_arguments(hand_articles)
    assert {k: v for k, v in found_pairs.items() if v != "none"} == gold
    assert len(found_pairs) == sum(total.pairs.values())


def test_window_tags_hold_exactly_the_whole_spans(write_articles):
    built = build(write_articles([article_from_markup("long-001", LONG)]), "data.max_length=20", "data.window_stride=0")
    assert len(built.datasets["train"]) >= 3
    tags = built.datasets["train"].features["mention_tags"].feature.names
    labels = built.datasets["train"].features["mentions"].feature["label"].names
    cut = 0
    for row in built.datasets["train"]:
        expected = ["O"] * len(row["words"])
        for m in row["mentions"]:
            label = labels[m["label"]]
            expected[m["word_start"] : m["word_end"]] = [f"B-{label}"] + [f"I-{label}"] * (
                m["word_end"] - m["word_start"] - 1
            )
        got = [tags[t] if t >= 0 else None for t in row["mention_tags"]]
        cut += got.count(None)
        # A word of a span cut by the window edge is unlabeled (None), everything else is exact.
        assert [g for g, e in zip(got, expected, strict=True) if g is not None] == [
            e for g, e in zip(got, expected, strict=True) if g is not None
        ]
        assert all(e == "O" for g, e in zip(got, expected, strict=True) if g is None)
    assert cut > 0


def test_an_event_wider_than_a_window_is_counted_not_lost_silently(write_articles):
    filler = " ".join(["and then the delegates talked about many other things"] * 3)
    article = article_from_markup(
        "long-001",
        f"[Moscow](GPE m) {{invited}}(INVITE asserted agent=m partner=h) several groups, {filler}, the [HNC](ORG h).",
    )
    built = build(write_articles([article]), "data.max_length=16", "data.window_stride=2")
    total = built.summary.total()
    assert total.issues["unfit_events"] == 1
    assert total.unfit_pairs["partner"] == 1
    assert total.issues["unfit_pairs"] == 1
    # The mention and trigger still land in windows, and the agent pair fits.
    spans = {
        span.get("id") or span["event_id"] for _, row in rows_of(built) for span in row["mentions"] + row["triggers"]
    }
    assert spans == {"T1", "T2", "E1"}
    assert "relation pairs that fit no window" in built.summary.format()


def test_nested_mentions_keep_the_outermost_in_the_tags_and_all_as_candidates(hand_articles, write_articles):
    article = next(a for a in hand_articles if a.id == "hand-002")
    built = build(write_articles([article]), "data.max_length=128")
    assert built.summary.total().issues["nested_mentions"] == 1
    row = next(row for _, row in rows_of(built) if row["unit_index"] == 0)
    tags = built.datasets["train"].features["mention_tags"].feature.names
    by_text = {" ".join(row["words"][m["word_start"] : m["word_end"]]): m for m in row["mentions"]}
    assert by_text["U.N. envoy"]["in_tags"] and not by_text["U.N."]["in_tags"]
    assert [tags[t] for t in row["mention_tags"][:2]] == ["B-PER", "I-PER"]
    # The nested mention is still paired with the trigger.
    nested = row["mentions"].index(by_text["U.N."])
    assert any(r["mention"] == nested for r in row["relations"])


def test_argument_in_another_sentence_joins_the_sentences(hand_articles, write_articles):
    article = next(a for a in hand_articles if a.id == "hand-003")
    built = build(write_articles([article]), "data.max_length=128")
    issues = built.summary.total().issues
    assert issues["cross_sentence_arguments"] == 1 and issues["joined_units"] == 1
    row = next(row for _, row in rows_of(built) if row["triggers"])
    assert row["text"].startswith("Lavrov spoke") and row["text"].endswith("to a meeting.")


def test_trigger_inside_a_mention_is_tagged_in_both_sequences(hand_articles, write_articles):
    article = next(a for a in hand_articles if a.id == "hand-003")
    built = build(write_articles([article]), "data.max_length=128")
    features = built.datasets["train"].features
    row = next(row for _, row in rows_of(built) if row["triggers"])
    position = row["words"].index("meeting")
    assert features["mention_tags"].feature.names[row["mention_tags"][position]] == "B-MEETING"
    assert features["trigger_tags"].feature.names[row["trigger_tags"][position]] == "B-MEET"


def test_token_labels_and_spans_match_the_words(hand_articles, write_articles, tokenizer):
    built = build(write_articles(hand_articles), "data.max_length=128")
    for _, row in rows_of(built):
        word_ids = row["word_ids"]
        for column, tags in (("mention_labels", "mention_tags"), ("trigger_labels", "trigger_tags")):
            firsts = [i for i, w in enumerate(word_ids) if w >= 0 and (i == 0 or word_ids[i - 1] != w)]
            assert [row[column][i] for i in firsts] == [t if t >= 0 else -100 for t in row[tags]]
            assert all(row[column][i] == -100 for i, w in enumerate(word_ids) if i not in firsts)
        for mention in row["mentions"]:
            pieces = tokenizer.decode(row["input_ids"][mention["token_start"] : mention["token_end"]])
            words = row["words"][mention["word_start"] : mention["word_end"]]
            assert pieces.replace(" ", "") == "".join(words).lower()
        for i, word in enumerate(row["words"]):
            assert row["text"][row["word_starts"][i] : row["word_ends"][i]] == word


def test_mentions_are_unlabeled_outside_trigger_sentences(hand_articles, write_articles):
    article = next(a for a in hand_articles if a.id == "hand-005")
    built = build(write_articles([article]))
    rows = [row for _, row in rows_of(built)]
    assert rows and all(not row["mentions_exhaustive"] for row in rows)
    assert all(set(row["mention_tags"]) == {-1} and set(row["mention_labels"]) == {-100} for row in rows)
    assert all(set(row["trigger_tags"]) == {0} for row in rows)


def test_labels_live_in_the_features_and_info(hand_articles, write_articles, schema, tmp_path):
    built = build(write_articles(hand_articles))
    built.save(str(tmp_path / "ds"))
    loaded = load_from_disk(str(tmp_path / "ds"))
    labels = LabelSpace.from_schema(schema)
    for split in ("train", "dev", "test"):
        features = loaded[split].features
        assert features["mention_tags"].feature.names == list(labels.mention_tags)
        assert features["trigger_tags"].feature.names == list(labels.trigger_tags)
        assert features["relations"].feature["role"].names == list(labels.roles)
        assert features["relations"].feature["role"].names[0] == "none"
        assert features["triggers"].feature["status"].names == list(labels.statuses)
        assert schema_of(loaded[split]).to_dict() == schema.to_dict()
    summary = json.loads((tmp_path / "ds" / "build_summary.json").read_text())
    assert summary["total"]["articles"] == len(hand_articles)


def test_lenient_skips_and_reports_bad_articles_strict_stops(hand_articles, write_articles):
    path = write_articles(hand_articles)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "broken-1", "text": "x", "entities": [{"id": "T1", "start": 0, "end": 9}]}))
        handle.write("\n")
    built = build(path, "data.lenient=true")
    assert len(built.summary.skipped) == 1 and "broken-1" in built.summary.skipped[0]
    assert built.summary.total().articles == len(hand_articles)
    assert "broken-1" in built.summary.format()
    with pytest.raises(ArticleError, match="broken-1"):
        build(path)


def test_explicit_split_paths(hand_articles, write_articles):
    train = write_articles(hand_articles[:3], "train.jsonl")
    test = write_articles(hand_articles[3:], "test.jsonl")
    config = load_config(TINY, [f"data.train_paths={train}", f"data.test_paths={test}"])
    built = build_dataset(config)
    assert {row["article_id"] for row in built.datasets["train"]} == {a.id for a in hand_articles[:3]}
    assert {row["article_id"] for row in built.datasets["test"]} == {a.id for a in hand_articles[3:]}
    assert len(built.datasets["dev"]) == 0


def test_builds_with_a_tiny_encoder_folder(hand_articles, write_articles, tiny_encoder_dir):
    built = build(write_articles(hand_articles), f"model.encoder={tiny_encoder_dir}")
    assert len(built.datasets["train"]) > 0


def test_cli_builds_and_saves(hand_articles, write_articles, tmp_path, capsys):
    path = write_articles(hand_articles)
    code = main(["build-dataset", str(TINY), f"data.paths={path}", "--output", str(tmp_path / "out")])
    assert code == 0
    printed = capsys.readouterr().out
    assert "relation pairs" in printed and "BOYCOTT" in printed
    assert len(load_from_disk(str(tmp_path / "out"))["train"]) > 0
    assert main(["build-dataset", str(TINY), "train.lr=1", "--output", str(tmp_path / "x")]) == 1
    assert "train.lr: unknown key" in capsys.readouterr().err


def test_plan_windows_fits_slides_and_covers_required_ranges():
    assert plan_windows([1, 1, 1], budget=5, stride=1) == ([(0, 3)], [])
    windows, unfit = plan_windows([1] * 10, budget=4, stride=1)
    assert windows == [(0, 4), (3, 7), (6, 10)] and unfit == []
    # A range straddling two sliding windows gets its own window, grown around it.
    windows, unfit = plan_windows([1] * 10, budget=4, stride=0, required=[(3, 5)])
    assert (0, 4) in windows and (4, 8) in windows and any(s <= 3 and 5 <= e for s, e in windows)
    windows, unfit = plan_windows([2] * 10, budget=4, stride=0, required=[(0, 3), (1, 2)])
    assert unfit == [0]
    # A single word longer than the budget still gets a window of its own (the builder truncates and counts it).
    assert plan_windows([9, 1], budget=4, stride=0) == ([(0, 1), (1, 2)], [])


def test_all_passages_parse(schema):
    assert len({article_from_markup(k, v, schema).id for k, v in PASSAGES.items()}) == len(PASSAGES)
