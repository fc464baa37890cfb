"""The capability suite, the lever benchmark's figures and the accuracy report's --compare mode."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from pathlib import Path

from parley.config import load_config
from parley.documents import Argument, Article, Entity, LabeledEvent, Trigger
from parley.formats.readers import read_articles
from parley.training.trainer import train

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
import accuracy_report  # noqa: E402
import capabilities  # noqa: E402
from levers import false_events_per_100  # noqa: E402


def _case(name: str):
    capability = next(c for c in capabilities.CAPABILITIES if c.name == name)
    return capabilities.build_cases([capability], 1, seed=1)[0]


def _prediction(case, events: list[tuple[str, str, tuple[int, int]]], roles=()) -> Article:
    entities = [Entity(f"T{i}", s, e, "PER", case.text[s:e]) for i, (_, (s, e)) in enumerate(roles)]
    arguments = [Argument(role, f"T{i}") for i, (role, _) in enumerate(roles)]
    return Article(
        id="x",
        text=case.text,
        entities=entities,
        events=[
            LabeledEvent(f"E{i}", t, status, Trigger(s, e, case.text[s:e]), arguments)
            for i, (t, status, (s, e)) in enumerate(events)
        ],
    )


def test_a_case_passes_on_type_and_overlap_status_and_roles_only_where_the_capability_checks_them():
    case = _case("meet_by_noun_meeting")
    assert case.text[slice(*case.trigger)] == "meeting"
    assert capabilities.case_passes(case, _prediction(case, [("MEET", "planned", case.trigger)]))
    assert not capabilities.case_passes(case, _prediction(case, [("ATTEND", "asserted", case.trigger)]))
    assert not capabilities.case_passes(case, _prediction(case, []))

    negated = _case("status_negated")
    assert not capabilities.case_passes(negated, _prediction(negated, [("MEET", "asserted", negated.trigger)]))

    roles = _case("invite_active")
    partner = roles.slots["B"]
    right = [("agent", roles.slots["A"]), ("partner", partner)]
    assert capabilities.case_passes(roles, _prediction(roles, [("INVITE", "asserted", roles.trigger)], right))
    wrong = [("agent", partner), ("partner", roles.slots["A"])]
    assert not capabilities.case_passes(roles, _prediction(roles, [("INVITE", "asserted", roles.trigger)], wrong))

    near = _case("no_event_met_target")
    assert near.trigger is None
    assert capabilities.case_passes(near, _prediction(near, []))
    assert not capabilities.case_passes(near, _prediction(near, [("MEET", "asserted", (0, 3))]))


def test_suite_size_and_closing_line_with_the_keyword_rules(capsys):
    assert len(capabilities.CAPABILITIES) >= 25
    assert capabilities.main(["--rules", "--cases", "20"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(capabilities.CAPABILITIES) + 3  # + two invariance rows + the closing line
    n = len(capabilities.CAPABILITIES) + 2
    assert re.fullmatch(rf"capabilities={n} passed=0\.\d{{3}} worst=\w+:\d\.\d\d", lines[-1])
    assert re.search(r"^attend_by_travel +0\.00 +\(0/20\)$", "\n".join(lines), re.M)  # the rules know no travel


def test_runtime_auto_scores_the_suite_on_the_static_int8_default(model_dir, tmp_path, capsys):
    import shutil

    folder = shutil.copytree(model_dir, tmp_path / "model", ignore=shutil.ignore_patterns("onnx"))
    assert capabilities.main(["--model", str(folder), "--cases", "1", "--runtime", "auto"]) == 0
    assert re.match(r"capabilities=\d+ passed=", capsys.readouterr().out.strip().splitlines()[-1])
    assert [path.name.split("-")[1:3] for path in (folder / "onnx").glob("*.onnx")] == [["int8", "static"]]
    assert capabilities.main(["--model", str(folder), "--cases", "1"]) == 0  # torch: nothing more exported
    assert len(list((folder / "onnx").glob("*.onnx"))) == 1


def test_the_suite_stays_out_of_the_training_data():
    """No case sentence is in data/, nor any of the suite's people: it measures text and names never trained on.

    (Template frames themselves are ordinary news English, "X met Y in Z on Monday.", and occur in data/ as
    they occur in any news; the passages there were written without sight of the suite.)"""
    texts = "\n".join(a.text for a in read_articles([REPO / "data"], None).articles)
    people = [core for _, core in capabilities.PEOPLE]
    assert not [name for name in people if name in texts]
    cases = capabilities.build_cases(capabilities.CAPABILITIES, 20, seed=7)
    assert not [case.text for case in cases if case.text in texts]


def test_false_events_count_predictions_in_sentences_without_gold_events(hand_articles):
    gold = hand_articles[1]  # sentence 1 holds a MEET; sentences 2 and 3 hold none
    fake = replace(
        gold,
        events=[
            *gold.events,
            replace(
                gold.events[0], trigger=Trigger(gold.text.index("arrived"), gold.text.index("arrived") + 7, "arrived")
            ),
        ],
    )
    assert false_events_per_100([gold], [gold]) == 0.0
    assert false_events_per_100([gold], [fake]) == 50.0


def test_compare_puts_rules_and_runs_side_by_side(hand_articles, write_articles, tiny_encoder_dir, tmp_path):
    synthetic = [replace(a, id=f"syn-{copy}-{a.id}") for copy in "abc" for a in hand_articles]
    seeds = write_articles(hand_articles, "seeds.jsonl")
    pool = write_articles(synthetic, "synthetic.jsonl")
    runs = {}
    for name in ("previous", "new"):
        overrides = [
            f"data.paths=[{pool}]",
            f"data.test_paths=[{seeds}]",
            f"model.encoder={tiny_encoder_dir}",
            "data.split={train: 0.6, dev: 0.4, test: 0.0}",
            "train.max_steps=2",
            "train.epochs=1",
            f"train.output_dir={tmp_path / name}",
            f"train.seed={len(runs)}",
        ]
        train(load_config(REPO / "configs" / "train" / "heldout_seeds.yaml", overrides), quiet=True)
        runs[name] = tmp_path / name
    out_json, out_md = tmp_path / "c.json", tmp_path / "c.md"
    args = [
        "--compare",
        *(f"{k}={v}" for k, v in runs.items()),
        "--seeds",
        str(seeds),
        "--json",
        str(out_json),
        "--markdown",
        str(out_md),
    ]
    assert accuracy_report.main(args) == 0
    report = json.loads(out_json.read_text())
    assert list(report["models"]) == ["keyword rules", "previous", "new"]
    trained = {i for run in runs.values() for i in json.loads((run / "splits.json").read_text())["train"]}
    dev = set(json.loads((runs["new"] / "splits.json").read_text())["dev"]) - trained
    assert report["meta"]["dev_articles"] == len(dev)
    for figures in report["models"].values():
        assert figures["seeds"]["articles"] == len(hand_articles)
        assert set(figures["seeds_per_status"]) == {e.status for a in hand_articles for e in a.events}
        assert len(figures["capabilities"]["rates"]) == len(capabilities.CAPABILITIES) + 2
    markdown = out_md.read_text()
    assert "## Seeds per event type" in markdown and "## Capability suite pass rates" in markdown
    assert len(re.findall(r"^\| (keyword rules|previous|new) \| \d", markdown, re.M)) == 3  # one overall row each
