"""`parley report`: the HTML pages checked as a browser would find them, without a browser: every chart present
with its data inline, every article linked, nothing loaded from elsewhere (scripts/screenshot_reports.py renders
them in Chromium)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import article_from_markup

from parley.cli import main
from parley.documents import Article
from parley.inference.event_table_io import write_event_table
from parley.inference.extraction_records import read_extractions
from parley.reports import write_events_report
from parley.reports.article_browser import highlighted_text
from parley.reports.event_charts import time_unit
from parley.reports.findings import Span
from parley.reports.network_labels import place_labels
from parley.reports.status_confusion import NO_EVENT, status_confusion

# A story whose text would break the page if it were not escaped.
HOSTILE = (
    "[Ankara](GPE an) {invited}(INVITE planned agent=an partner=am) [Athens](GPE am) to talks & more "
    '</script><script>alert("x")</script> on [Friday](TIME fr).'
)
DATES = ["2017-01-25", "2016-06-01", "2017-02-01", "2017-02-03", "2017-02-10", "2017-03-01"]


class Page(HTMLParser):
    """What the report's HTML holds: elements with ids, links, scripts and anything that would load a URL."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: dict[str, str] = {}
        self.links: list[str] = []
        self.scripts: list[dict[str, str]] = []
        self.script_text: dict[str, str] = {}
        self.loads: list[str] = []
        self.charts: dict[str, str] = {}
        self._script_id: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.ids[attributes["id"]] = tag
        if tag == "a" and attributes.get("href", "").startswith("#"):
            self.links.append(attributes["href"][1:])
        if tag == "script":
            self.scripts.append(attributes)
            self._script_id = attributes.get("id", f"script-{len(self.scripts)}")
            self.script_text[self._script_id] = ""
        if tag == "div" and "chart" in attributes.get("class", ""):
            self.charts[attributes["id"]] = attributes["data-spec"]
        # What a browser fetches on its own: src of anything, stylesheets and icons, objects' data.
        for name in ("src", "data", "srcset", "poster"):
            if attributes.get(name):
                self.loads.append(f"{tag} {name}={attributes[name]}")
        if tag == "link" and attributes.get("href"):
            self.loads.append(f"link href={attributes['href']}")

    def handle_data(self, data: str) -> None:
        if self._script_id is not None:
            self.script_text[self._script_id] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_id = None

    def spec(self, chart: str) -> dict:
        return json.loads(self.script_text[self.charts[f"chart-{chart}"]])


def spec_values(spec: dict) -> list[dict]:
    """Every inline data row of a Vega-Lite spec, layers and facets included."""
    rows = list(spec.get("data", {}).get("values", []))
    for key in ("layer", "spec"):
        parts = spec.get(key, [])
        for part in parts if isinstance(parts, list) else [parts]:
            rows += spec_values(part)
    for dataset in spec.get("datasets", {}).values():
        rows += dataset
    return rows


@pytest.fixture(scope="module")
def articles(schema) -> list[Article]:
    from conftest import PASSAGES

    found = [article_from_markup(i, markup, schema) for i, markup in PASSAGES.items()]
    found.append(article_from_markup("hand-006", HOSTILE, schema))
    for article, day in zip(found, DATES, strict=True):
        article.date = day
    return found


@pytest.fixture(scope="module")
def extractions_file(articles, tmp_path_factory) -> Path:
    """The hand articles as parley predict's JSONL records (gold labels read as extractions, every score 1)."""
    path = tmp_path_factory.mktemp("report") / "predicted.jsonl"
    path.write_text("".join(json.dumps(a.to_dict()) + "\n" for a in articles), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report(extractions_file) -> tuple[Page, str]:
    out = extractions_file.with_name("report.html")
    write_events_report(extractions_file, out)
    text = out.read_text(encoding="utf-8")
    return Page(text), text


def test_the_report_draws_every_chart_from_data_in_the_page(report, articles):
    page, text = report
    assert set(page.charts) == {"chart-counts", "chart-timeline", "chart-network", "chart-dyads"}
    events = sum(len(a.events) for a in articles)
    counts = spec_values(page.spec("counts"))
    assert sum(row["events"] for row in counts if "status" in row) == events
    assert sum(row["events"] for row in spec_values(page.spec("timeline"))) == events
    network = spec_values(page.spec("network"))
    assert {"Sergei Lavrov", "Russia", "Greece"} <= {row.get("actor") for row in network}
    assert any(row.get("dyad", "").endswith(" → Greece") for row in network)  # Ankara coded as its country
    # Hovering an edge shows its sentences.
    assert any(row.get("sentences", "").startswith("(1) Ankara invited Athens") for row in network)
    assert {row["dyad"] for row in spec_values(page.spec("dyads"))} >= {"Sergei Lavrov → HNC", "HNC → Sergei Lavrov"}
    assert "window.vegaEmbed=" in text  # vega-embed is inline, not fetched


def test_the_report_loads_nothing_from_elsewhere(report):
    page, text = report
    assert page.loads == []
    assert all("src" not in script for script in page.scripts)
    for chart, spec_id in page.charts.items():
        spec = json.dumps(json.loads(page.script_text[spec_id]))
        assert '"url"' not in spec, chart  # data inline, not loaded


def test_every_article_is_linked_and_shown(report, articles):
    page, _ = report
    for article in articles:
        anchor = next(link for link in page.links if link.startswith(f"article-{article.id}"))
        assert page.ids[anchor] == "article"


def test_the_article_text_is_escaped_and_its_spans_marked(report):
    page, text = report
    # The hostile story's markup is text: only the page's own scripts exist.
    assert len(page.scripts) == 1 + len(page.charts) + 1
    assert "&lt;/script&gt;&lt;script&gt;alert" in text
    assert '<mark class="tr ty-INVITE" data-t="E1 INVITE planned 1.00">invited</mark>' in text
    assert '<mark class="ar ro-agent" data-t="agent E1 1.00">Ankara</mark>' in text


def test_an_event_table_gives_the_same_counts_and_links_its_stories(extractions_file, report, tmp_path):
    table = tmp_path / "events.csv"
    write_event_table(read_extractions(extractions_file), table)
    out = tmp_path / "table.html"
    summary = write_events_report(table, out)
    page = Page(out.read_text(encoding="utf-8"))
    first, _ = report
    assert spec_values(page.spec("counts")) == spec_values(first.spec("counts"))
    stories = {row["story_id"] for row in _csv_rows(table)}
    assert summary.articles == summary.articles_shown == len(stories)
    for story in stories:
        assert f"article-{story}" in page.links


def _csv_rows(path: Path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_past_the_size_budget_the_browser_is_sampled_and_says_so(extractions_file, report, tmp_path):
    _, full = report
    budget = len(full.encode("utf-8")) - 2000
    out = tmp_path / "small.html"
    summary = write_events_report(extractions_file, out, max_bytes=budget)
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert summary.bytes <= budget
    assert 0 < summary.articles_shown < summary.articles
    assert f"The browser shows {summary.articles_shown} of the {summary.articles} articles" in text
    shown = [anchor for anchor, tag in page.ids.items() if tag == "article"]
    assert sorted(shown) == sorted(set(page.links) & set(shown)) and len(shown) == summary.articles_shown


def test_highlights_prefer_triggers_and_merge_roles_on_one_span():
    text = "Moscow invited the HNC <now>."
    spans = [
        Span(0, 6, "argument", "agent", "agent E1 0.90"),
        Span(0, 6, "argument", "partner", "partner E2 0.80"),
        Span(7, 14, "trigger", "INVITE", "E1 INVITE asserted 0.95"),
        Span(0, 14, "argument", "meeting", "meeting E2 0.50"),  # overlaps the trigger: left to the table
    ]
    marked = highlighted_text(text, spans)
    assert marked == (
        '<mark class="ar ro-agent" data-t="agent E1 0.90 · partner E2 0.80">Moscow</mark> '
        '<mark class="tr ty-INVITE" data-t="E1 INVITE asserted 0.95">invited</mark> the HNC &lt;now&gt;.'
    )


def test_network_names_never_overlap():
    nodes = [{"actor": f"Actor number {i}", "x": (i % 5) / 10, "y": (i // 5) / 10, "events": 20 - i} for i in range(20)]
    placed = place_labels(nodes, 700, 620, 1.1)
    assert 0 < placed < len(nodes)  # crowded: some names go to the tooltip
    boxes = []
    for node in (n for n in nodes if n["label"]):
        x, y = (node["lx"] + 1.1) * 700 / 2.2, (1.1 - node["ly"]) * 620 / 2.2
        w = len(node["label"]) * 6.4
        boxes.append((x - w / 2, y - 6.5, x + w / 2, y + 6.5))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_time_unit_follows_the_span_of_the_dates():
    assert time_unit(["2017-01-01", "2017-03-01"])[1] == "day"
    assert time_unit(["2017-01-01", "2018-06-01"])[1] == "week"
    assert time_unit(["2000-01-01", "2017-06-01"])[1] == "month"
    assert time_unit(["1963-05-23", "2024-03-12"])[1] == "year"


def test_bad_inputs_are_refused_naming_the_file(tmp_path):
    dyads = tmp_path / "dyads.jsonl"
    dyads.write_text(json.dumps({"article_id": "a", "event_type": "MEET", "source": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"dyads.jsonl:1: .*without --dyads"):
        write_events_report(dyads, tmp_path / "x.html")
    table = tmp_path / "other.csv"
    table.write_text("event_date,event_type,status\n2017-01-01,MEET,asserted\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"other.csv: not an event table .*story_id"):
        write_events_report(table, tmp_path / "x.html")


def test_status_confusion_counts_matched_missed_and_made_up_events(schema):
    gold = article_from_markup(
        "a", "[Russia](GPE ru) {invited}(INVITE planned agent=ru) them and {met}(MEET asserted agent=ru) them.", schema
    )
    guess = article_from_markup(
        "a",
        "[Russia](GPE ru) {invited}(INVITE asserted agent=ru) them and met them, then "
        "{declined}(DECLINE negated agent=ru).",
        schema,
    )
    assert status_confusion([gold], [guess]) == Counter(
        {("planned", "asserted"): 1, ("asserted", NO_EVENT): 1, (NO_EVENT, "negated"): 1}
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, model_dir, articles, extractor):
    """A finished run's folder: the keyword checkpoint, its metrics, its scores and the articles it split."""
    from parley.inference.evaluate import score_extractor

    run = tmp_path_factory.mktemp("run")
    shutil.copytree(model_dir, run / "model")
    data = run / "data.jsonl"
    data.write_text("".join(json.dumps(a.to_dict()) + "\n" for a in articles), encoding="utf-8")
    ids = [a.id for a in articles]
    (run / "splits.json").write_text(json.dumps({"train": [], "dev": ids[:3], "test": ids[3:]}))
    config = {"data": {"paths": [str(data)]}, "train": {"select_best_by": "argument_classification_f1"}}
    (run / "run_config.json").write_text(json.dumps(config))
    metrics = [
        {"step": 10 * n, "epoch": n, "train_loss": 2 / n, "loss": 1.5 / n, "argument_classification_f1": f1}
        for n, f1 in ((1, 0.2), (2, 0.5), (3, 0.4))
    ]
    (run / "metrics.jsonl").write_text("".join(json.dumps(m) + "\n" for m in metrics))
    for split, part in (("dev", articles[:3]), ("test", articles[3:])):
        scores = score_extractor(extractor, part).to_dict()
        (run / f"scores_{split}.json").write_text(json.dumps(scores))
    return run


def test_the_run_report_shows_training_scores_confusion_and_config(run_dir, tmp_path):
    out = tmp_path / "run.html"
    assert main(["report", "--run", str(run_dir), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert set(page.charts) == {"chart-loss", "chart-dev-metrics", "chart-per-type", "chart-confusion"}
    assert page.loads == []
    assert {row["step"] for row in spec_values(page.spec("loss")) if "loss" in row} == {10, 20, 30}
    assert {"step": 20, "label": "kept model: best argument_classification_f1"} in spec_values(page.spec("loss"))
    per_type = spec_values(page.spec("per-type"))
    assert {row["split"] for row in per_type} == {"dev", "test"}
    # The confusion matrix, computed now, agrees with the status accuracy the run saved.
    status = json.loads((run_dir / "scores_test.json").read_text())["status"]
    cells = spec_values(page.spec("confusion"))
    matched = [c for c in cells if NO_EVENT not in (c["gold"], c["predicted"])]
    assert sum(c["events"] for c in matched) == status["total"]
    assert sum(c["events"] for c in matched if c["gold"] == c["predicted"]) == status["correct"]
    assert "<td>data.paths</td>" in text and "<td>train.select_best_by</td>" in text


def test_the_command_refuses_what_it_cannot_do(run_dir, extractions_file, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "--run", str(run_dir), "-o", str(out), "--no-confusion"]) == 0
    assert "Left out (--no-confusion)" in out.read_text(encoding="utf-8")
    assert main(["report", str(extractions_file), "-o", str(out)]) == 1
    assert "exists; add --overwrite" in capsys.readouterr().err
    assert main(["report", "-o", str(out)]) == 1
    assert "give either INPUT" in capsys.readouterr().err
    assert main(["report", str(extractions_file), "-o", str(tmp_path / "m.html"), "--max-mb", "0.5"]) == 1
    assert "--max-mb 0.5: the page's scripts alone" in capsys.readouterr().err
    assert main(["report", "--run", str(tmp_path / "nowhere"), "-o", str(tmp_path / "n.html")]) == 1
    assert "nowhere: no such run folder" in capsys.readouterr().err


def test_parley_predict_output_reports_end_to_end(model_dir, articles, tmp_path, capsys):
    texts = tmp_path / "news.jsonl"
    texts.write_text("".join(json.dumps({"id": a.id, "text": a.text, "date": a.date}) + "\n" for a in articles))
    predicted = tmp_path / "predicted.jsonl"
    assert (
        main(["predict", "--model", str(model_dir), "--input", str(texts), "--output", str(predicted), "--quiet"]) == 0
    )
    out = tmp_path / "report.html"
    assert main(["report", str(predicted), "-o", str(out)]) == 0
    assert f"written to {out}" in capsys.readouterr().out
    page = Page(out.read_text(encoding="utf-8"))
    assert {"chart-counts", "chart-timeline"} <= set(page.charts)
    assert all(f"article-{a.id}" in page.links for a in articles)


def test_no_events_gives_notes_not_empty_charts(tmp_path):
    quiet = tmp_path / "quiet.jsonl"
    quiet.write_text(json.dumps({"id": "q1", "text": "Nothing happened.", "entities": [], "events": []}) + "\n")
    out = tmp_path / "quiet.html"
    summary = write_events_report(quiet, out)
    page = Page(out.read_text(encoding="utf-8"))
    assert (summary.events, summary.articles_shown, page.charts) == (0, 1, {})
    assert "article-q1" in page.links
