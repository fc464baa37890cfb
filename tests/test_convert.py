"""`parley convert` between JSONL, brat, Label Studio and markup, and `parley labelstudio-config`, through the CLI."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from parley.cli import main
from parley.documents import Article
from parley.formats.brat import brat_annotation_conf
from parley.formats.jsonl import read_jsonl
from parley.schema import load_schema

REPO = Path(__file__).resolve().parents[1]
SCHEMA = load_schema()
# Both sorted by id, so a brat folder (read in file-name order) gives them back in the same order.
LABELED = [REPO / "tests" / "fixtures" / "articles.jsonl", REPO / "data" / "seeds.jsonl"]


def articles_of(path: Path) -> list[Article]:
    articles = list(read_jsonl(path, SCHEMA))
    assert articles and all(isinstance(a, Article) for a in articles), articles
    return articles


def convert(*args: str | Path) -> int:
    return main(["convert", *map(str, args)])


@pytest.mark.parametrize("source", LABELED, ids=lambda p: p.name)
def test_jsonl_to_brat_to_jsonl_gives_the_same_articles(source, tmp_path, capsys):
    assert convert(source, tmp_path / "brat") == 0
    assert f"as brat to {tmp_path / 'brat'}" in capsys.readouterr().out
    n = len(articles_of(source))
    assert len(list((tmp_path / "brat").glob("*.ann"))) == len(list((tmp_path / "brat").glob("*.txt"))) == n
    # brat shows a collection only with an annotation.conf that declares its types.
    assert (tmp_path / "brat" / "annotation.conf").read_text(encoding="utf-8") == brat_annotation_conf(SCHEMA)

    assert convert(tmp_path / "brat", tmp_path / "back.jsonl") == 0
    assert articles_of(tmp_path / "back.jsonl") == articles_of(source)
    assert (tmp_path / "back.jsonl").read_bytes() == source.read_bytes()


@pytest.mark.parametrize("source", LABELED, ids=lambda p: p.name)
def test_jsonl_to_labelstudio_to_jsonl_gives_the_same_articles(source, tmp_path):
    assert convert(source, tmp_path / "export.json") == 0
    tasks = json.loads((tmp_path / "export.json").read_text(encoding="utf-8"))
    assert [task["data"]["id"] for task in tasks] == [a.id for a in articles_of(source)]

    assert convert(tmp_path / "export.json", tmp_path / "back.jsonl") == 0
    assert articles_of(tmp_path / "back.jsonl") == articles_of(source)
    assert (tmp_path / "back.jsonl").read_bytes() == source.read_bytes()


def test_brat_to_labelstudio_and_gzipped_jsonl(tmp_path):
    source = LABELED[0]
    assert convert(source, tmp_path / "brat") == 0
    assert convert(tmp_path / "brat", tmp_path / "export.json") == 0
    assert convert(tmp_path / "export.json", tmp_path / "back.jsonl.gz") == 0
    with gzip.open(tmp_path / "back.jsonl.gz", "rb") as handle:
        assert handle.read() == source.read_bytes()


def test_markup_to_jsonl_is_the_shipped_seeds_file(tmp_path, capsys):
    assert convert(REPO / "data" / "markup" / "seeds.txt", tmp_path / "seeds.jsonl") == 0
    assert "wrote 5 article(s)" in capsys.readouterr().out
    assert (tmp_path / "seeds.jsonl").read_bytes() == (REPO / "data" / "seeds.jsonl").read_bytes()


def test_refuses_to_overwrite_without_overwrite(tmp_path, capsys):
    target = tmp_path / "out.jsonl"
    target.write_text("keep me\n", encoding="utf-8")
    assert convert(LABELED[0], target) == 1
    assert f"error: {target} exists; --overwrite replaces it" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "keep me\n"

    assert convert(LABELED[0], target, "--overwrite") == 0
    assert target.read_bytes() == LABELED[0].read_bytes()


def test_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "notes.md").write_text("mine\n", encoding="utf-8")
    assert convert(LABELED[0], folder) == 1
    assert "is a folder that is not empty" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["notes.md"]

    assert convert(LABELED[0], folder, "--overwrite") == 0
    assert (folder / "notes.md").exists() and len(list(folder.glob("*.ann"))) == 3


def test_a_bad_input_line_is_named_and_nothing_is_written(tmp_path, capsys):
    lines = LABELED[0].read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[2])
    record["events"][0]["status"] = "rumoured"
    lines[2] = json.dumps(record, ensure_ascii=False)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert convert(bad, tmp_path / "out.json") == 1
    err = capsys.readouterr().err
    assert f"error: {bad}:3, article 'fixture-003': event" in err and "unknown status 'rumoured'" in err
    assert f"error: 1 article(s) rejected; {tmp_path / 'out.json'} not written" in err
    assert not (tmp_path / "out.json").exists()


def test_a_bad_markup_passage_is_named_with_its_line(tmp_path, capsys):
    markup = tmp_path / "mine.txt"
    markup.write_text(
        "=== ok | 2020-01-01 | me\n[Russia](GPE ru) {invited}(INVITE asserted agent=ru) [Turkey](GPE tr).\n"
        "=== broken | 2020-01-02 | me\n[Iran](GPE ir) {met}(MEET asserted agent=nobody).\n",
        encoding="utf-8",
    )
    assert convert(markup, tmp_path / "out.jsonl") == 1
    err = capsys.readouterr().err
    assert f"error: {markup}:4, article 'broken': event MEET: agent=nobody names no mention" in err
    assert "1 article(s) rejected" in err and not (tmp_path / "out.jsonl").exists()


def test_an_article_brat_cannot_hold_is_named_and_nothing_is_written(tmp_path, capsys):
    record = articles_of(LABELED[0])[0].to_dict()
    record["text"] = record["text"] + "\r\n"
    source = tmp_path / "crlf.jsonl"
    source.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")

    assert convert(source, tmp_path / "brat") == 1
    err = capsys.readouterr().err
    assert f"error: {source}:1, article 'fixture-001': text holds a carriage return" in err
    assert "1 article(s) cannot be written as brat" in err
    assert not (tmp_path / "brat").exists()


def test_ids_that_make_the_same_file_name_both_survive_brat(tmp_path):
    article = articles_of(LABELED[0])[0].to_dict()
    lines = [json.dumps({**article, "id": article_id}, ensure_ascii=False) for article_id in ("a/b", "a_b", "A_b")]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert convert(tmp_path / "in.jsonl", tmp_path / "brat") == 0
    assert sorted(p.name for p in (tmp_path / "brat").glob("*.ann")) == ["A_b-3.ann", "a_b-2.ann", "a_b.ann"]
    assert convert(tmp_path / "brat", tmp_path / "back.jsonl") == 0
    assert sorted(a.id for a in articles_of(tmp_path / "back.jsonl")) == ["A_b", "a/b", "a_b"]


def test_output_format_from_the_name_or_to(tmp_path, capsys):
    assert convert(LABELED[0], tmp_path / "out.csv") == 1
    assert "cannot tell the output format" in capsys.readouterr().err
    assert convert(LABELED[0], tmp_path / "out.csv", "--to", "jsonl") == 0
    assert (tmp_path / "out.csv").read_bytes() == LABELED[0].read_bytes()
    assert convert(LABELED[0], tmp_path / "out.jsonl", "--to", "labelstudio") == 0
    assert isinstance(json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8")), list)


def test_refuses_an_input_folder_without_labeled_files(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "passages.txt").write_text("=== a\nText.\n", encoding="utf-8")
    assert convert(tmp_path / "in", tmp_path / "out.jsonl") == 1
    assert "no labeled-article files" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


def test_the_text_of_a_brat_pair_is_not_read_as_markup(tmp_path, capsys):
    assert convert(LABELED[0], tmp_path / "brat") == 0
    txt = tmp_path / "brat" / "fixture-001.txt"
    assert convert(txt, tmp_path / "out.jsonl") == 1
    assert f"error: {txt}: the text of a brat pair; name fixture-001.ann or its folder" in capsys.readouterr().err


def test_labelstudio_config_is_the_shipped_one(tmp_path, capsys):
    shipped = (REPO / "configs" / "label-studio.xml").read_text(encoding="utf-8")
    assert main(["labelstudio-config"]) == 0
    assert capsys.readouterr().out == shipped

    target = tmp_path / "config.xml"
    assert main(["labelstudio-config", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == shipped
    assert main(["labelstudio-config", str(target)]) == 1
    assert "exists; --overwrite replaces it" in capsys.readouterr().err
    assert main(["labelstudio-config", str(target), "--overwrite"]) == 0
