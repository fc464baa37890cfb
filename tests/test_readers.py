"""Reading labeled folders that mix formats, and `parley validate` on them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from parley.cli import main
from parley.documents import Article, ArticleError
from parley.formats.brat import write_brat
from parley.formats.jsonl import read_jsonl, write_jsonl
from parley.formats.readers import read_articles
from parley.schema import load_schema

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = load_schema()
JSONL_IDS = ["fixture-001", "fixture-002", "fixture-003"]


def mixed_folder(root: Path) -> Path:
    """A folder with JSONL, a brat pair, a Label Studio export, and files the readers must skip."""
    folder = root / "labeled"
    (folder / "brat").mkdir(parents=True)
    shutil.copy(FIXTURES / "articles.jsonl", folder / "articles.jsonl")
    for suffix in (".txt", ".ann"):
        shutil.copy(FIXTURES / "brat" / f"naasan{suffix}", folder / "brat" / f"naasan{suffix}")
    shutil.copy(FIXTURES / "labelstudio" / "export.json", folder / "export.json")
    (folder / "notes.txt").write_text("a .txt without an .ann is not an article\n", encoding="utf-8")
    (folder / "README.md").write_text("# labeled data\n", encoding="utf-8")
    return folder


def test_folder_mixing_formats(tmp_path):
    result = read_articles(mixed_folder(tmp_path), SCHEMA)
    assert result.errors == []
    assert sorted(a.id for a in result.articles) == sorted([*JSONL_IDS, "naasan", "ls-sochi", "export-42"])
    by_id = {a.id: a for a in result.articles}
    assert len(by_id["naasan"].events) == 4 and len(by_id["ls-sochi"].events) == 3
    assert by_id["fixture-001"] == next(
        a for a in read_jsonl(FIXTURES / "articles.jsonl", SCHEMA) if a.id == JSONL_IDS[0]
    )


def test_lenient_read_keeps_good_articles_and_reports_each_bad_one(tmp_path):
    folder = mixed_folder(tmp_path)
    ann = folder / "brat" / "naasan.ann"
    ann.write_text(ann.read_text(encoding="utf-8").replace("T9\tGPE", "T9\tCITY"), encoding="utf-8")
    export = folder / "export.json"
    tasks = json.loads(export.read_text(encoding="utf-8"))
    tasks[1]["annotations"][0]["result"][0]["value"]["labels"] = ["NOBODY"]
    export.write_text(json.dumps(tasks, indent=2), encoding="utf-8")

    result = read_articles(folder, SCHEMA, lenient=True)
    assert sorted(a.id for a in result.articles) == sorted([*JSONL_IDS, "ls-sochi"])
    described = sorted(str(e) for e in result.errors)
    assert len(described) == 2
    assert described[0].startswith(f"{ann}:9, article 'naasan': T9: unknown type 'CITY'")
    assert described[1].startswith(f"{export}:316, article 'export-42': region 'u1': unknown label 'NOBODY'")
    with pytest.raises(ArticleError):
        read_articles(folder, SCHEMA)


def test_same_article_in_two_formats_is_a_duplicate(tmp_path):
    article = next(a for a in read_jsonl(FIXTURES / "articles.jsonl", SCHEMA) if isinstance(a, Article))
    write_jsonl([article], tmp_path / "a.jsonl")
    write_brat(article, tmp_path / "brat")
    with pytest.raises(ArticleError, match="duplicate article id") as info:
        read_articles(tmp_path, SCHEMA)
    assert info.value.article_id == article.id


def test_validate_accepts_a_mixed_folder(tmp_path, capsys):
    assert main(["validate", str(mixed_folder(tmp_path))]) == 0
    assert "6 valid article(s)" in capsys.readouterr().out


def test_validate_rejects_span_text_that_misses_its_offsets(tmp_path, capsys):
    lines = (FIXTURES / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[2])
    record["entities"][0]["text"] = "Syrian Nationalist Coalition"
    lines[2] = json.dumps(record, ensure_ascii=False)
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert main(["validate", str(path)]) != 0
    captured = capsys.readouterr()
    assert f"{path}:3, article 'fixture-003'" in captured.err
    assert "'Syrian Nationalist Coalition' does not match" in captured.err
    assert "2 valid article(s)" in captured.out and "1 rejected" in captured.out


def test_validate_reads_a_markup_file_named_by_itself(tmp_path, capsys):
    markup = Path(__file__).resolve().parents[1] / "data" / "markup" / "seeds.txt"
    assert main(["validate", str(markup)]) == 0
    assert "5 valid article(s), 72 event(s)" in capsys.readouterr().out
    # In a folder a .txt is a brat text (or anything else), never read as markup.
    shutil.copy(markup, tmp_path / "seeds.txt")
    assert read_articles(tmp_path, SCHEMA).articles == []


def test_a_markup_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("=== a | | \nZürich\n".encode("latin-1"))
    [error] = read_articles(path, SCHEMA, lenient=True).errors
    assert (error.path, error.line) == (str(path), 2) and "not valid UTF-8" in error.message
