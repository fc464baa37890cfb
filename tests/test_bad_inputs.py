"""Bad input of every kind (issue 15, rows 1-12): refused before any harm, with one `error:` line naming what is
wrong, or a TypeError naming what was given and what is accepted. No data lost, nothing passed off as a result.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from parley.cli import main
from parley.config import load_config
from parley.formats.readers import read_articles
from parley.inference.batch import PredictOptions, predict_file
from parley.inference.news_io import iter_records
from parley.inference.run_state import side_path
from parley.training.trainer import train

# model_dir and extractor: the keyword checkpoint of conftest.py; one torch thread for the whole module.
pytestmark = pytest.mark.usefixtures("one_thread")

TEXTS = [
    "Russia invited the opposition to talks in Geneva on Friday.",
    "The coalition declined the invitation on Monday.",
    "Lavrov met the opposition in Moscow on Wednesday.",
    "Rebels fought near Aleppo.",
]


@pytest.fixture
def dump(tmp_path) -> Path:
    path = tmp_path / "news.jsonl"
    lines = [json.dumps({"id": f"n{i}", "text": TEXTS[i % len(TEXTS)], "date": "2017-01-25"}) for i in range(12)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def predict(model_dir: Path, dump: Path, output: Path, *extra: str) -> int:
    return main(
        ["predict", "--model", str(model_dir), "--input", str(dump), "--output", str(output), "--quiet", *extra]
    )


def one_error_line(err: str) -> str:
    """The stderr of a refused command: exactly one line, `error: ...`, and no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


# -- 1: an output that is the input ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["same", "dotdot", "symlink", "side_file"])
def test_row01_an_output_that_is_the_input_is_refused_before_anything_is_touched(
    route, model_dir, dump, tmp_path, capsys
):
    (tmp_path / "sub").mkdir()
    output = {
        "same": dump,
        "dotdot": tmp_path / "sub" / ".." / dump.name,
        "symlink": tmp_path / "link.jsonl",
        "side_file": tmp_path / "out.jsonl",
    }[route]
    if route == "symlink":
        output.symlink_to(dump)
    if route == "side_file":  # the input is what the run would write its rejects to
        dump = dump.rename(side_path(output, "rejects.jsonl"))
    before = dump.read_bytes()
    assert predict(model_dir, dump, output) == 1
    assert "the input" in one_error_line(capsys.readouterr().err)
    assert dump.read_bytes() == before
    assert not side_path(output, "state.json").exists()


# -- 2 and 10: the Python API ----------------------------------------------------------------------------------


def test_row02_one_article_dict_is_one_article(extractor):
    text = TEXTS[0]
    events = extractor.predict({"id": "a1", "text": text, "date": "2017-01-25"})
    assert events and all(type(e).__name__ == "Event" for e in events)
    assert [(e.type, e.trigger.start) for e in events] == [(e.type, e.trigger.start) for e in extractor.predict(text)]
    assert all(e.article_id == "a1" for e in events)
    # A list of dicts is still a list of articles.
    assert [len(x) for x in extractor.predict([{"id": "a", "text": text}, {"id": "b", "text": TEXTS[3]}])] == [
        len(events),
        0,
    ]


@pytest.mark.parametrize(
    ("given", "named"),
    [(None, "NoneType"), (5, "int"), (b"Russia invited", "bytes"), ([b"x"], "bytes"), ([{"id": "a"}], "NoneType")],
)
def test_row10_predict_names_what_it_was_given_and_what_it_takes(extractor, given, named):
    with pytest.raises(TypeError) as caught:
        extractor.predict(given)
    message = str(caught.value)
    assert named in message and "expected" in message and "article dict" in message


def test_row10_extract_takes_a_list_not_one_article(extractor):
    for one in ("a text", {"id": "a", "text": "a text"}):
        with pytest.raises(TypeError, match="expected a list of articles"):
            extractor.extract(one)


# -- 3: evaluate on nothing ----------------------------------------------------------------------------------------


def test_row03_evaluate_on_an_empty_folder_is_an_error_not_a_perfect_score(model_dir, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["evaluate", "--model", str(model_dir), "--data", str(empty)]) == 1
    captured = capsys.readouterr()
    assert "no labeled articles found" in one_error_line(captured.err)
    assert "1.000" not in captured.out
    with pytest.raises(ValueError, match="no labeled articles"):  # --debug: the traceback, not the line
        main(["--debug", "evaluate", "--model", str(model_dir), "--data", str(empty)])


# -- 4 and 9: encodings --------------------------------------------------------------------------------------------


def labeled(article_id: str, text: str) -> dict:
    return {"id": article_id, "text": text, "entities": [], "events": []}


def test_row04_a_non_utf8_byte_names_file_line_and_article_and_lenient_mode_skips_it(tmp_path, capsys):
    path = tmp_path / "labeled.jsonl"
    lines = [json.dumps(labeled(f"a{i}", f"Article {i}.")).encode() for i in range(4)]
    lines[2] = json.dumps(labeled("a2", "Caf\u00e9 talks.")).encode().replace(b"\\u00e9", b"\xe9")  # Latin-1 é
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(ValueError) as caught:
        read_articles(path)
    assert f"{path}:3" in str(caught.value) and "'a2'" in str(caught.value) and "UTF-8" in str(caught.value)
    result = read_articles(path, lenient=True)
    assert [a.id for a in result.articles] == ["a0", "a1", "a3"]
    assert [(e.line, e.article_id) for e in result.errors] == [(3, "a2")]
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:3, article 'a2': not UTF-8 text" in err and "Traceback" not in err


def test_row04_a_non_utf8_byte_in_a_news_csv_rejects_its_row_only(tmp_path):
    path = tmp_path / "dump.csv"
    path.write_bytes(b"id,text\r\na,One.\r\nb,Caf\xe9.\r\nc,Three.\r\n")
    records = list(iter_records(path))
    assert [(r.line, r.article and r.article.id) for r in records] == [(2, "a"), (3, None), (4, "c")]
    assert records[1].error == "not UTF-8 text"


def test_row09_a_byte_order_mark_is_accepted_by_every_reader(tmp_path, hand_articles):
    bom = "\ufeff"
    labeled_file = tmp_path / "labeled.jsonl"
    labeled_file.write_text(bom + json.dumps(hand_articles[0].to_dict()) + "\n", encoding="utf-8")
    assert [a.id for a in read_articles(labeled_file).articles] == [hand_articles[0].id]

    news = tmp_path / "news.jsonl"
    news.write_text(bom + json.dumps({"id": "n1", "text": "One."}) + "\n", encoding="utf-8")
    assert [(r.article.id, r.line) for r in iter_records(news)] == [("n1", 1)]

    import gzip

    packed = tmp_path / "news.jsonl.gz"
    with gzip.open(packed, "wb") as handle:
        handle.write((bom + json.dumps({"id": "n1", "text": "One."}) + "\n").encode())
    assert [r.article.id for r in iter_records(packed)] == ["n1"]

    fixtures = Path(__file__).parent / "fixtures"
    export = tmp_path / "export.json"
    export.write_text(bom + (fixtures / "labelstudio" / "export.json").read_text(encoding="utf-8"), encoding="utf-8")
    assert read_articles(export).articles == read_articles(fixtures / "labelstudio" / "export.json").articles

    brat = tmp_path / "brat"
    shutil.copytree(fixtures / "brat", brat)
    ann = brat / "naasan.ann"
    ann.write_text(bom + ann.read_text(encoding="utf-8"), encoding="utf-8")
    assert read_articles(ann).articles == read_articles(fixtures / "brat" / "naasan.ann").articles


# -- 5: codes in the dyad outputs ----------------------------------------------------------------------------------


def test_row05_cameo_codes_keep_their_leading_zero_in_every_output(model_dir, dump, tmp_path):
    pd = pytest.importorskip("pandas")
    from parley.inference.dyads import DYAD_DTYPES

    outputs = {fmt: tmp_path / f"dyads.{fmt}" for fmt in ("jsonl", "csv", "parquet")}
    for output in outputs.values():
        assert predict(model_dir, dump, output, "--dyads") == 0
    frames = {
        "jsonl": pd.read_json(outputs["jsonl"], lines=True, dtype=DYAD_DTYPES),
        "csv": pd.read_csv(outputs["csv"], dtype=DYAD_DTYPES, keep_default_na=False),
        "parquet": pd.read_parquet(outputs["parquet"]),
    }
    for fmt, frame in frames.items():
        codes = set(frame["cameo"])
        assert "040" in codes and "026" in codes, (fmt, codes)  # MEET asserted, INVITE
    with open(outputs["csv"], encoding="utf-8") as handle:
        assert {row["cameo"] for row in csv.DictReader(handle)} == set(frames["csv"]["cameo"])


# -- 6: an existing output -----------------------------------------------------------------------------------------


def test_row06_an_existing_output_is_never_overwritten_without_overwrite(model_dir, dump, tmp_path, capsys):
    output = tmp_path / "out.jsonl"

    def crash(chunk: int, at: str) -> None:
        if chunk == 2 and at == "committed":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        predict_file(PredictOptions(str(model_dir), str(dump), str(output), chunk_size=4, progress=False), hook=crash)
    capsys.readouterr()
    partial = output.read_bytes()
    assert predict(model_dir, dump, output, "--chunk-size", "4") == 1
    line = one_error_line(capsys.readouterr().err)
    assert "--resume continues it" in line and "8 input record(s) committed" in line
    assert output.read_bytes() == partial

    assert predict(model_dir, dump, output, "--chunk-size", "4", "--resume") == 0
    finished = output.read_bytes()
    assert predict(model_dir, dump, output, "--chunk-size", "4") == 1
    assert "already exists" in one_error_line(capsys.readouterr().err)
    assert output.read_bytes() == finished

    stranger = tmp_path / "notes.jsonl"  # a file no run wrote: --resume must not take it over either
    stranger.write_text("my notes\n", encoding="utf-8")
    for extra in ((), ("--resume",)):
        assert predict(model_dir, dump, stranger, *extra) == 1
        assert "--overwrite replaces it" in one_error_line(capsys.readouterr().err)
    assert stranger.read_text(encoding="utf-8") == "my notes\n"
    assert predict(model_dir, dump, stranger, "--overwrite") == 0
    assert stranger.read_bytes() == finished


# -- 7: duplicate ids ----------------------------------------------------------------------------------------------


def test_row07_duplicate_ids_are_rejected_with_their_lines_and_order_is_kept(model_dir, tmp_path):
    dump = tmp_path / "dups.jsonl"
    ids = ["a", "dup", "b", "dup", "c", "dup", "d"]
    dump.write_text("".join(json.dumps({"id": i, "text": TEXTS[n % 4]}) + "\n" for n, i in enumerate(ids)))
    output = tmp_path / "out.jsonl"
    assert predict(model_dir, dump, output, "--chunk-size", "2") == 0
    assert [json.loads(line)["id"] for line in output.read_text().splitlines()] == ["a", "dup", "b", "c", "d"]
    rejects = [json.loads(line) for line in side_path(output, "rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["id"]) for r in rejects] == [(4, "dup"), (6, "dup")]
    assert all(r["reason"] == "duplicate id 'dup' (first at line 2)" for r in rejects)
    # Every shard finds the same duplicates, so the merged output equals the single run's.
    shards = [tmp_path / f"part{i}.jsonl" for i in range(2)]
    for i, shard in enumerate(shards):
        assert predict(model_dir, dump, shard, "--chunk-size", "2", "--shard", f"{i}/2") == 0
    merged = tmp_path / "merged.jsonl"
    assert main(["merge", str(merged), *map(str, shards)]) == 0
    assert merged.read_bytes() == output.read_bytes()
    assert side_path(merged, "rejects.jsonl").read_bytes() == side_path(output, "rejects.jsonl").read_bytes()


# -- 8: broken model folders ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("broken", ["missing", "plain_bert", "no_config", "truncated", "a_file"])
def test_row08_a_broken_model_folder_is_one_line_naming_it(broken, model_dir, tiny_encoder_dir, dump, tmp_path, capsys):
    folder = tmp_path / "model"
    if broken == "plain_bert":
        folder = tiny_encoder_dir
    elif broken == "a_file":
        folder.write_text("not a folder")
    elif broken != "missing":
        shutil.copytree(model_dir, folder)
        if broken == "no_config":
            (folder / "config.json").unlink()
        else:
            weights = folder / "model.safetensors"
            weights.write_bytes(weights.read_bytes()[:1000])
    expected = {
        "missing": "no such model folder",
        "plain_bert": "describes a 'bert' model, not a parley checkpoint",
        "no_config": "no config.json",
        "truncated": "truncated or corrupt",
        "a_file": "is a file, not a model folder",
    }[broken]
    assert predict(folder, dump, tmp_path / "out.jsonl") == 1
    line = one_error_line(capsys.readouterr().err)
    assert str(folder) in line and expected in line
    assert main(["evaluate", "--model", str(folder), "--data", str(dump)]) == 1
    assert expected in one_error_line(capsys.readouterr().err)


# -- 10: the other bad inputs of the command line ------------------------------------------------------------------


def test_row10_evaluate_on_bad_data_is_one_line_naming_file_and_line(model_dir, tmp_path, capsys):
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps(labeled("x1", "Fine.")) + "\n" + json.dumps({"id": "x2", "text": 5}) + "\n")
    assert main(["evaluate", "--model", str(model_dir), "--data", str(data)]) == 1
    assert f"{data}:2, article 'x2'" in one_error_line(capsys.readouterr().err)


def test_row10_evaluate_json_goes_into_a_new_folder_and_a_folder_is_refused_first(model_dir, tmp_path, capsys):
    data = tmp_path / "gold.jsonl"
    data.write_text(json.dumps(labeled("g1", TEXTS[0])) + "\n")
    scores = tmp_path / "new" / "deeper" / "scores.json"
    assert main(["evaluate", "--model", str(model_dir), "--data", str(data), "--json", str(scores)]) == 0
    assert "trigger_cls" in json.loads(scores.read_text())
    capsys.readouterr()
    assert main(["evaluate", "--model", str(model_dir), "--data", str(data), "--json", str(tmp_path)]) == 1
    assert "is a folder" in one_error_line(capsys.readouterr().err)


def test_row10_train_with_a_missing_data_path_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "configs/train/tiny.yaml", f"output_dir={out}", f"data.paths={tmp_path / 'nope'}"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "data.paths" in line and "nope" in line
    assert not out.exists()


def test_row10_an_output_naming_a_folder_is_refused(model_dir, dump, tmp_path, capsys):
    assert predict(model_dir, dump, tmp_path) == 1
    assert "is a folder" in one_error_line(capsys.readouterr().err)
    assert main(["merge", str(tmp_path), str(tmp_path / "a.jsonl")]) == 1
    assert "is a folder" in one_error_line(capsys.readouterr().err)


# -- 11: format and suffix -----------------------------------------------------------------------------------------


def test_row11_the_format_follows_the_suffix_and_must_not_contradict_it(model_dir, dump, tmp_path, capsys):
    for output, extra in [
        ("out.jsonl", ("--format", "csv", "--dyads")),
        ("out.csv", ("--format", "parquet", "--dyads")),
        ("out.jsonl.gz", ()),
    ]:
        assert predict(model_dir, dump, tmp_path / output, *extra) == 1
        assert "error: " in one_error_line(capsys.readouterr().err)
        assert not (tmp_path / output).exists()
    assert predict(model_dir, dump, tmp_path / "rows.csv", "--dyads") == 0
    assert (tmp_path / "rows.csv").read_text().startswith("article_id,date,source")
    assert predict(model_dir, dump, tmp_path / "rows.tsv", "--format", "csv", "--dyads") == 0  # no format suffix


# -- 12: resuming training with another config ---------------------------------------------------------------------


def test_row12_resuming_training_with_a_changed_config_is_refused_unless_forced(
    hand_articles, write_articles, tiny_encoder_dir, tmp_path, capsys
):
    data = write_articles(hand_articles)
    out = tmp_path / "run"
    overrides = [
        f"data.paths={data}",
        f"model.encoder={tiny_encoder_dir}",
        f"output_dir={out}",
        "data.max_length=64",
        "train.eval_every_steps=1",
    ]

    class Stop(Exception):
        pass

    def stop(step: int) -> None:
        if step == 2:
            raise Stop

    with pytest.raises(Stop):
        train(load_config("configs/train/tiny.yaml", overrides), on_step=stop, quiet=True)
    capsys.readouterr()
    changed = [*overrides, "train.learning_rate=0.01", "data.max_length=48"]
    assert main(["train", "configs/train/tiny.yaml", *changed, "--resume"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "data.max_length: 64 -> 48" in line and "train.learning_rate: 0.001 -> 0.01" in line and "--force" in line
    # The same config resumes; --force resumes under the new one.
    model = train(load_config("configs/train/tiny.yaml", [*changed, "train.resume=true"]), quiet=True, force=True)
    state = json.loads((out / "checkpoints" / "step-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4 and (model / "model.safetensors").exists()


def test_an_unexpected_error_is_one_line_too_and_debug_shows_it(monkeypatch, capsys):
    import parley.cli.labeled as labeled

    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(labeled, "_cmd_validate", broken)
    assert main(["validate", "x"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "internal error, RuntimeError: boom" in line and "--debug" in line
    with pytest.raises(RuntimeError):
        main(["validate", "x", "--debug"])
