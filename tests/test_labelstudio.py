"""Label Studio export reader and writer, and the shipped labeling config."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from parley.documents import Article, ArticleError
from parley.formats.jsonl import read_jsonl, write_jsonl
from parley.formats.labelstudio import labelstudio_config, read_labelstudio, write_labelstudio
from parley.schema import Schema, default_schema_path, load_schema

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
SHIPPED_CONFIG = REPO / "configs" / "label-studio.xml"
SCHEMA = load_schema()


def fixture_articles() -> list[Article]:
    articles = list(read_jsonl(FIXTURES / "articles.jsonl", SCHEMA))
    assert all(isinstance(a, Article) for a in articles), articles
    return articles


def test_shipped_config_is_generated_from_the_shipped_schema():
    assert default_schema_path().resolve() == (REPO / "configs" / "schema.yaml").resolve()
    assert SHIPPED_CONFIG.read_text(encoding="utf-8") == labelstudio_config(SCHEMA), (
        "configs/label-studio.xml is stale: regenerate it with labelstudio_config(load_schema())"
    )


def test_config_offers_every_label_role_and_status():
    root = ET.fromstring(labelstudio_config(SCHEMA))
    labels = root.find("Labels")
    assert (labels.get("name"), labels.get("toName")) == ("label", "text")
    assert [x.get("value") for x in labels] == [*SCHEMA.mention_labels, *SCHEMA.event_types]
    assert [x.get("value") for x in root.find("Relations")] == [*SCHEMA.roles, "coref"]
    choices = root.find(".//Choices")
    assert (choices.get("name"), choices.get("toName"), choices.get("perRegion")) == ("status", "text", "true")
    assert [x.get("value") for x in choices] == list(SCHEMA.statuses)
    assert root.find("Text").get("value") == "$text"


def test_config_follows_an_extended_schema():
    raw = yaml.safe_load(default_schema_path().read_text(encoding="utf-8"))  # extend the file, as a user would
    raw["event_types"]["WALKOUT"] = {"description": "leaves a meeting"}
    raw["roles"]["mediator"] = {"labels": ["PER", "ORG"]}
    config = labelstudio_config(Schema.from_dict(raw))
    assert '<Label value="WALKOUT"' in config and '<Relation value="mediator"/>' in config


def test_reads_a_label_studio_export():
    items = list(read_labelstudio(FIXTURES / "labelstudio" / "export.json", SCHEMA))
    assert all(isinstance(a, Article) for a in items), items
    sochi, headline = items
    assert (sochi.id, sochi.date, sochi.url) == ("ls-sochi", "2018-01-28", "https://example.org/sochi")
    # Offsets are code points: the flag (two code points, four UTF-16 units) sits before these.
    assert sochi.entity("Yd0rN5vXiQ").text == "January 29"
    decline, invite, invited = sochi.events
    assert (decline.type, decline.status, decline.trigger.text) == ("DECLINE", "asserted", "rejected")
    # A role relation drawn from the mention to the trigger still makes an argument.
    assert [(a.role, a.entity) for a in invite.arguments] == [("partner", "kQ3vX9aLpB"), ("meeting", "Fb5oJr6TqK")]
    assert [a.role for a in invited.arguments] == ["agent", "partner", "place", "time"]
    # coref: "They" -> "Syrian armed groups" (arrow flipped with direction "left"), "them" -> "They".
    assert sochi.entity("aN1eGx0VwM").coref == "kQ3vX9aLpB"
    assert sochi.entity("Ju2xB7fRnA").coref == "aN1eGx0VwM"
    # No data.id: the article is named after the file and the task id.
    assert headline.id == "export-42"
    assert [a.role for a in headline.events[0].arguments] == ["agent", "agent", "place"]
    assert headline.origin.endswith("export.json:316")


def test_jsonl_to_labelstudio_to_jsonl_is_identity(tmp_path):
    articles = fixture_articles()
    write_labelstudio(articles, tmp_path / "export.json")
    back = list(read_labelstudio(tmp_path / "export.json", SCHEMA))
    assert back == articles
    write_jsonl(back, tmp_path / "back.jsonl")
    assert (tmp_path / "back.jsonl").read_bytes() == (FIXTURES / "articles.jsonl").read_bytes()


def test_empty_list_and_empty_article(tmp_path):
    write_labelstudio([], tmp_path / "none.json")
    assert list(read_labelstudio(tmp_path / "none.json", SCHEMA)) == []
    article = Article(id="empty", text="Nothing happened.")
    write_labelstudio([article], tmp_path / "one.json")
    assert list(read_labelstudio(tmp_path / "one.json", SCHEMA)) == [article]


DATA_FILES = sorted((REPO / "data").rglob("*.jsonl")) if (REPO / "data").is_dir() else []


@pytest.mark.skipif(not DATA_FILES, reason="no labeled JSONL under data/")
@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_labeled_data_round_trips(path, tmp_path):
    articles = [a for a in read_jsonl(path, SCHEMA) if isinstance(a, Article)]
    assert articles, f"{path} holds no valid article"
    write_labelstudio(articles, tmp_path / "export.json")
    assert list(read_labelstudio(tmp_path / "export.json", SCHEMA)) == articles


# --- bad input: errors name the file, the line where the task starts and the article id -------------


def region(task: dict, rid: str) -> dict:
    return next(r for r in task["annotations"][0]["result"] if r.get("id") == rid and r["type"] == "labels")


def relation(task: dict, from_id: str, to_id: str) -> dict:
    return next(r for r in task["annotations"][0]["result"] if (r.get("from_id"), r.get("to_id")) == (from_id, to_id))


def results(task: dict) -> list:
    return task["annotations"][0]["result"]


# Each edit breaks fixture-001 (T5 = Moscow GPE, E1 = DECLINE with agent T2, partner T3, meeting T4).
BAD_TASKS = {
    "offsets outside the text": (lambda t: region(t, "T5")["value"].update(end=9999), "outside the text"),
    "offsets that miss the text": (lambda t: region(t, "T5")["value"].update(start=97, end=103), "does not match"),
    "span text differs": (lambda t: region(t, "T5")["value"].update(text="Moskva"), "'Moskva' does not match"),
    "unknown mention label": (lambda t: region(t, "T5")["value"].update(labels=["CITY"]), "unknown label 'CITY'"),
    "unknown event type": (lambda t: region(t, "E1")["value"].update(labels=["REFUSE"]), "unknown label 'REFUSE'"),
    "two labels": (lambda t: region(t, "T5")["value"].update(labels=["GPE", "LOC"]), "exactly one label"),
    "unknown role": (lambda t: relation(t, "E1", "T4").update(labels=["venue"]), "unknown role 'venue'"),
    "unknown status": (
        lambda t: next(r for r in results(t) if r["type"] == "choices")["value"].update(choices=["rumoured"]),
        "unknown status 'rumoured'",
    ),
    "label not allowed for role": (lambda t: relation(t, "E1", "T4").update(to_id="T5"), "does not take a GPE"),
    "dangling relation": (lambda t: relation(t, "E1", "T4").update(to_id="T99"), "undefined region 'T99'"),
    "relation end not a region id": (lambda t: relation(t, "E1", "T4").update(to_id=["T4"]), "region ['T4']"),
    "dangling status": (
        lambda t: next(r for r in results(t) if r["type"] == "choices").update(id="nope"),
        "region 'nope', which is not defined",
    ),
    "duplicate id": (lambda t: region(t, "T6").update(id="T5"), "duplicate region id 'T5'"),
    "missing status": (
        lambda t: results(t).remove(next(r for r in results(t) if r["type"] == "choices")),
        "has no 'status' choice",
    ),
    "status on a mention": (
        lambda t: next(r for r in results(t) if r["type"] == "choices").update(id="T5"),
        "mention region 'T5'",
    ),
    "coref between trigger and mention": (lambda t: relation(t, "T8", "T3").update(to_id="E1"), "two mention regions"),
    "role between two mentions": (lambda t: relation(t, "E1", "T4").update(from_id="T3"), "an event trigger and a"),
    "unknown result type": (lambda t: results(t).append({"id": "x", "type": "textarea", "value": {}}), "'textarea'"),
    "no annotation": (lambda t: t.update(annotations=[]), "no annotation"),
    "bad metadata": (lambda t: t["data"].update(date=20170127), "'date' must be a string"),
}


def write_with(tmp_path: Path, edit) -> tuple[Path, int]:
    """Write three tasks, break the second, and return the file and the line where that task starts."""
    first, second, third = fixture_articles()
    path = tmp_path / "export.json"
    write_labelstudio([third, first, second], path)
    tasks = json.loads(path.read_text(encoding="utf-8"))
    edit(tasks[1])
    text = json.dumps(tasks, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    starts = [n for n, line in enumerate(text.split("\n"), start=1) if line == "  {"]
    return path, starts[1]


@pytest.mark.parametrize("case", BAD_TASKS, ids=list(BAD_TASKS))
def test_bad_task_names_file_line_and_article(case, tmp_path):
    edit, words = BAD_TASKS[case]
    path, line = write_with(tmp_path, edit)
    before, error, after = read_labelstudio(path, SCHEMA)
    assert isinstance(before, Article) and isinstance(after, Article), "one bad task must not stop the others"
    assert isinstance(error, ArticleError), f"{case}: read without error"
    assert words in error.message
    assert (error.path, error.line, error.article_id) == (str(path), line, "fixture-001")
    assert str(error).startswith(f"{path}:{line}, article 'fixture-001': ")


def test_malformed_json_names_the_task_line_and_article(tmp_path):
    path, line = write_with(tmp_path, lambda t: None)
    text = path.read_text(encoding="utf-8")
    # Break the second task after its data (a missing ':'), as a hand edit might.
    broken_at = text.index('"type": "labels"', text.index('"id": "fixture-001"'))
    path.write_text(text[:broken_at] + '"type" "labels"' + text[broken_at + 16 :], encoding="utf-8")
    before, error = read_labelstudio(path, SCHEMA)
    assert isinstance(before, Article)
    assert isinstance(error, ArticleError) and "not valid JSON" in error.message
    assert (error.path, error.line, error.article_id) == (str(path), line, "fixture-001")
    assert f"at line {text[:broken_at].count(chr(10)) + 1} " in error.message


def test_not_a_list_of_tasks(tmp_path):
    path = tmp_path / "task.json"
    path.write_text('\n{"data": {"text": "x"}}', encoding="utf-8")
    [error] = read_labelstudio(path, SCHEMA)
    assert isinstance(error, ArticleError) and (error.path, error.line) == (str(path), 2)
    assert "expected a JSON list of tasks" in error.message
