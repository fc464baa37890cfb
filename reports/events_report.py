"""`parley report INPUT`: one self-contained HTML page of what parley predict found."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parley.reports.article_browser import anchors_for, article_browser, first_anchors, highlight_style
from parley.reports.event_charts import counts_chart, dyads_chart, timeline_chart, top_dyads
from parley.reports.findings import Findings, event_key, read_findings
from parley.reports.network import network_chart
from parley.reports.page import Markup, Page, Section, html_table, vega_javascript
from parley.reports.palette import colours, ordered_names
from parley.schema import Schema, load_schema

# The file stays under about 5 MB (the bound for 2,000 articles): past it the browser is sampled.
MAX_BYTES = 5_000_000
TOP_DYADS = 15
STORY_LINKS = 6
# What the browser adds besides its articles and index rows (notes, headings, the sampling note in the intro).
BROWSER_FRAME_BYTES = 2_000


@dataclass
class ReportSummary:
    """What a written report holds, for the command to print."""

    path: Path
    bytes: int
    articles: int
    articles_shown: int
    events: int


def write_events_report(
    input_path: str | Path,
    output: str | Path,
    schema: Schema | None = None,
    actors: str | Path | None = None,
    max_bytes: int = MAX_BYTES,
    max_actors: int = 40,
) -> ReportSummary:
    """Read parley predict's output (extraction JSONL or an event table) and write its HTML report to `output`."""
    schema = schema or load_schema()
    findings = read_findings(input_path, schema, actors)
    page, shown = events_page(findings, schema, Path(input_path).name, max_bytes, max_actors)
    text = page.encode("utf-8")
    Path(output).write_bytes(text)
    events = len({event_key(row) for row in findings.rows})
    return ReportSummary(Path(output), len(text), len(findings.articles), shown, events)


def events_page(
    findings: Findings, schema: Schema, name: str, max_bytes: int = MAX_BYTES, max_actors: int = 40
) -> tuple[str, int]:
    """The report's HTML and how many articles its browser shows."""
    events = list({event_key(row): row for row in reversed(findings.rows)}.values())[::-1]
    # A dyad of an actor with itself ("Committee -> Committee") is a coding slip, not a relation to draw.
    dyad_rows = [
        r for r in findings.rows if r.get("source_name") and r.get("target_name") not in (None, "", r["source_name"])
    ]
    types = ordered_names(schema.event_types, (row["event_type"] for row in findings.rows))
    statuses = ordered_names(schema.statuses, (row["status"] for row in findings.rows))
    type_colours = colours(types)
    script = vega_javascript()
    page = Page(f"parley report: {name}")
    page.extra_style = highlight_style(type_colours, colours(schema.roles))
    chart_sections = _chart_sections(page, events, dyad_rows, types, statuses, type_colours, max_actors)
    dyads = top_dyads(dyad_rows, TOP_DYADS)
    # Sized with a link to every article; once the browser is sampled, only the shown ones keep theirs.
    page.sections = [
        *chart_sections,
        _dyads_section(page, dyads, type_colours, first_anchors(findings.articles, anchors_for(findings.articles))),
    ]
    charts_only = page.sections
    budget = max_bytes - len(page.render(script).encode("utf-8")) - BROWSER_FRAME_BYTES
    while True:
        browser = article_browser(findings.articles, budget)
        page.sections = [*charts_only[:-1], _dyads_section(page, dyads, type_colours, browser.anchors)]
        page.sections.append(Section("articles", "Articles", _browser_body(browser, findings)))
        page.intro = _intro(findings, events, dyad_rows, browser.note)
        text = page.render(script)
        # The browser's own estimate is close; should the page still run over, it gives up the excess and more.
        excess = len(text.encode("utf-8")) - max_bytes
        if excess <= 0 or not browser.anchors:
            return text, len(browser.anchors)
        budget -= excess + BROWSER_FRAME_BYTES


def _chart_sections(
    page: Page,
    events: list[dict[str, Any]],
    dyad_rows: list[dict[str, Any]],
    types: list[str],
    statuses: list[str],
    type_colours: dict[str, str],
    max_actors: int,
) -> list[Section]:
    if not events:
        nothing = '<p class="note">No event was found in the input.</p>'
        return [Section(anchor, title, nothing) for anchor, title in _CHART_TITLES]
    timeline, timeline_note = timeline_chart(events, type_colours)
    network, network_note = network_chart(dyad_rows, type_colours, max_actors)
    bodies = [
        page.chart("counts", counts_chart(events, types, statuses), "An event with several partners counts once."),
        page.chart("timeline", timeline, timeline_note) if timeline else f'<p class="note">{timeline_note}</p>',
        page.chart("network", network, network_note) if network else f'<p class="note">{network_note}</p>',
    ]
    return [Section(anchor, title, body) for (anchor, title), body in zip(_CHART_TITLES, bodies, strict=True)]


_CHART_TITLES = (("counts", "Counts by type and status"), ("timeline", "Timeline"), ("network", "Actor network"))


def _dyads_section(page: Page, dyads: list[dict[str, Any]], type_colours: dict, anchors: dict[str, str]) -> Section:
    if not dyads:
        return Section("dyads", "Top dyads", '<p class="note">No event names both a source and a target.</p>')
    rows = []
    for dyad in dyads:
        by_type = ", ".join(f"{t} {n}" for t, n in dyad["types"].most_common())
        stories = [_story_link(story, anchors) for story in dyad["stories"][:STORY_LINKS]]
        more = len(dyad["stories"]) - STORY_LINKS
        rows.append(
            [
                dyad["source"],
                dyad["target"],
                dyad["events"],
                by_type,
                Markup(", ".join(stories) + (f" +{more}" if more > 0 else "")),
            ]
        )
    table = html_table(["source", "target", "events", "by type", "articles"], rows, {2})
    return Section("dyads", "Top dyads", page.chart("dyads", dyads_chart(dyads, type_colours)) + table)


def _story_link(story_id: Any, anchors: dict[str, str]) -> str:
    text = html.escape(str(story_id))
    anchor = anchors.get(str(story_id))
    return f'<a href="#{anchor}">{text}</a>' if anchor else text


def _browser_body(browser: Any, findings: Findings) -> str:
    notes = [browser.note] if browser.note else []
    if not findings.whole_texts:
        notes.append(
            "The input is an event table: each article shows the sentences of its events, with the trigger, the "
            "source and the target found again in them; the table holds no argument scores."
        )
    notes.append("Triggers are shaded by event type, arguments underlined by role; each carries its tag.")
    body = "".join(f'<p class="note">{html.escape(n)}</p>' for n in notes)
    return body + browser.index + browser.articles


def _intro(findings: Findings, events: list, dyad_rows: list, sample_note: str) -> str:
    actors = {row[side] for row in findings.rows for side in ("source_name", "target_name") if row.get(side)}
    line = (
        f"{len(findings.articles)} articles · {len(events)} events · {len(findings.rows)} event rows "
        f"(one per event and dyad; {len(dyad_rows)} with two different actors) · {len(actors)} actors"
    )
    notes = f'<p class="note">{html.escape(sample_note)}</p>' if sample_note else ""
    return f"<p>{html.escape(line)}</p>{notes}"
