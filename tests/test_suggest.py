"""`parley suggest`: uncertainty from the tag margins, near-duplicates passed over, and exports the existing
readers read back as the model's events."""

from __future__ import annotations

import json

import pytest
import torch

from parley.cli import main
from parley.formats.labelstudio import read_labelstudio
from parley.formats.readers import read_articles
from parley.inference import EventExtractor
from parley.inference.suggest import jaccard, pick_diverse, shingles, suggest
from parley.inference.uncertainty import article_uncertainty, score_uncertainty
from parley.model.labels import OUTSIDE
from parley.text import split_sentences, split_words

PLAIN = "The weather was mild."
EVENTFUL = "Russia invited Lavrov to talks in Geneva on Monday. The coalition met the opposition on Friday."
ARTICLES = [
    {"id": "plain", "text": PLAIN},
    {"id": "eventful", "text": EVENTFUL},
    {"id": "copy", "text": EVENTFUL + " More to follow."},
    {"id": "other", "text": "He declined to boycott the talks in Moscow on Wednesday."},
]


@pytest.fixture(scope="module")
def doubtful_extractor(model_dir, one_thread):
    """The keyword checkpoint with the trigger head's O raised to the keywords' level: on a trigger keyword
    the model hesitates between O and the event type; elsewhere it stays sure."""
    extractor = EventExtractor.from_pretrained(str(model_dir), device="cpu")
    head = extractor.model.trigger_head
    outside = extractor.labels.trigger_tags.index(OUTSIDE)
    with torch.no_grad():
        head.bias[outside] = head.bias[outside] * 2  # scale/2 -> scale, the keyword rows' logit
    return extractor


def test_margins_cover_every_word_once_even_across_windows(extractor):
    long_text = " ".join([EVENTFUL] * 3).replace(". ", ", and ")  # one sentence longer than max_seq_length
    margins = extractor.tag_margins([PLAIN, long_text])
    for text, found in zip([PLAIN, long_text], margins, strict=True):
        words = [w for s, e in split_sentences(text) for w in split_words(text, s, e)]
        assert sorted(found) == words
        assert all(0.0 <= m <= 1.0 for pair in found.values() for m in pair)
    assert extractor.tag_margins([""]) == [{}]


def test_uncertainty_is_the_expected_count_of_doubtful_tags():
    margins = {(0, 3): (1.0, 0.0), (4, 7): (0.9, 0.7), (8, 9): (1.0, 1.0)}
    found = article_uncertainty(margins)
    assert found.score == pytest.approx(1.0 + 0.1 + 0.3)
    assert (found.words, found.doubtful_words) == (3, 1)


def test_trigger_keywords_in_doubt_raise_the_uncertainty(doubtful_extractor, extractor):
    sure = score_uncertainty(extractor, [PLAIN, EVENTFUL])
    doubtful = score_uncertainty(doubtful_extractor, [PLAIN, EVENTFUL])
    # "invited" and "met" come near a tie (margin about 0.07, against 0.99); the other words' trigger tags grow
    # surer, which the plain article shows.
    assert doubtful[1].score - sure[1].score > 1.0
    assert doubtful[1].doubtful_words - sure[1].doubtful_words == 2
    assert doubtful[0].score < sure[0].score


def test_near_duplicates_are_passed_over_then_fill_up():
    texts = [EVENTFUL, EVENTFUL + " More to follow.", PLAIN]
    assert jaccard(shingles(texts[0]), shingles(texts[1])) > 0.8
    assert pick_diverse(texts, [3.0, 2.0, 1.0], 2) == [0, 2]
    assert pick_diverse(texts, [3.0, 2.0, 1.0], 3) == [0, 2, 1]
    assert pick_diverse(texts, [3.0, 2.0, 1.0], 3, max_overlap=1.0) == [0, 1, 2]
    with pytest.raises(ValueError, match="max_overlap"):
        pick_diverse(texts, [1.0, 1.0, 1.0], 1, max_overlap=0.0)


def test_suggest_ranks_by_uncertainty_and_keeps_one_copy(doubtful_extractor):
    chosen = suggest(doubtful_extractor, ARTICLES, n=2)
    assert [s.rank for s in chosen] == [1, 2]
    ids = [s.document.id for s in chosen]
    assert len({"eventful", "copy"} & set(ids)) == 1 and "plain" not in ids
    assert all(s.extraction.article_id == s.document.id for s in chosen)


def test_labelstudio_tasks_read_back_as_the_models_events(model_dir, tmp_path, write_jsonl_input, schema):
    output = tmp_path / "tasks.json"
    assert main(["suggest", "--model", str(model_dir), "--input", str(write_jsonl_input), "--n", "3",
                 "--output", str(output)]) == 0  # fmt: skip
    tasks = json.loads(output.read_text())
    assert len(tasks) == 3 and all("annotations" not in task for task in tasks)
    prediction = tasks[0]["predictions"][0]
    assert prediction["model_version"].startswith(f"parley:{model_dir.name}:")
    assert prediction["result"] and all(0.0 <= r["score"] <= 1.0 for r in prediction["result"])
    labels = {
        r["value"]["labels"][0] for task in tasks for r in task["predictions"][0]["result"] if r["type"] == "labels"
    }
    assert labels <= set(schema.mention_labels) | set(schema.event_types)

    read_back = list(read_labelstudio(output, schema))
    extractor = EventExtractor.from_pretrained(str(model_dir), device="cpu")
    by_id = {a["id"]: a["text"] for a in ARTICLES}
    expected = [x.to_article() for x in extractor.extract([by_id[t["data"]["id"]] for t in tasks])]
    assert [a.id for a in read_back] == [t["data"]["id"] for t in tasks]
    for article, model_article in zip(read_back, expected, strict=True):
        assert article.text == model_article.text
        assert article.entities == model_article.entities
        assert [(e.type, e.status, e.trigger, e.arguments) for e in article.events] == [
            (e.type, e.status, e.trigger, e.arguments) for e in model_article.events
        ]
    assert sum(len(a.events) for a in read_back) >= 3


def test_an_annotation_wins_over_the_prediction(model_dir, tmp_path, write_jsonl_input, schema):
    output = tmp_path / "tasks.json"
    main(["suggest", "--model", str(model_dir), "--input", str(write_jsonl_input), "--n", "1", "--output", str(output)])
    tasks = json.loads(output.read_text())
    tasks[0]["annotations"] = [{"result": []}]  # the annotator deleted every pre-annotation
    output.write_text(json.dumps(tasks))
    (article,) = read_labelstudio(output, schema)
    assert article.events == [] and article.entities == []


def test_brat_pairs_read_back_with_the_ranking(model_dir, tmp_path, write_jsonl_input, schema):
    folder = tmp_path / "brat"
    args = ["suggest", "--model", str(model_dir), "--input", str(write_jsonl_input), "--n", "2", "--format", "brat"]
    assert main([*args, "--output", str(folder)]) == 0
    ranking = (folder / "ranking.tsv").read_text().splitlines()
    assert ranking[0] == "rank\tid\tuncertainty" and len(ranking) == 3
    read_back = read_articles(folder, schema)
    assert not read_back.errors
    assert sorted(a.id for a in read_back.articles) == sorted(line.split("\t")[1] for line in ranking[1:])
    assert sum(len(a.events) for a in read_back.articles) >= 2
    assert main([*args, "--output", str(folder)]) == 1  # not empty: refused without --overwrite


def test_bad_input_names_the_file_and_line(model_dir, tmp_path, capsys):
    bad = tmp_path / "unlabeled.jsonl"
    bad.write_text(json.dumps({"id": "a", "text": PLAIN}) + "\n" + json.dumps({"id": "b", "body": "no text"}) + "\n")
    assert main(["suggest", "--model", str(model_dir), "--input", str(bad), "--output", str(tmp_path / "t.json")]) == 1
    assert f"{bad}:2: article 'b': missing 'text'" in capsys.readouterr().err


@pytest.fixture
def write_jsonl_input(tmp_path):
    path = tmp_path / "unlabeled.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    return path


def test_a_line_that_is_not_json_is_named_without_an_article(model_dir, tmp_path, capsys):
    bad = tmp_path / "unlabeled.jsonl"
    bad.write_text(json.dumps({"id": "a", "text": PLAIN}) + "\n{broken\n")
    assert main(["suggest", "--model", str(model_dir), "--input", str(bad), "--output", str(tmp_path / "t.json")]) == 1
    error = capsys.readouterr().err
    assert f"{bad}:2: not valid JSON" in error and "article None" not in error
    assert not (tmp_path / "t.json").exists()
