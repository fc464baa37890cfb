"""The article browser: an index linking every article shown, and each article's text with its triggers and
arguments highlighted, their roles and scores printed beside them, and its events listed below it.

Past a size budget only a sample of the articles is shown (those with events first); `ArticleBrowser.note`
says how many, and the charts still count every event.
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass

from parley.reports.findings import ArticleView, Span
from parley.reports.page import Markup, html_row, html_table
from parley.reports.palette import css_name

SAMPLE_SEED = 13

BROWSER_STYLE = """
.art { background: #fff; border: 1px solid #e3e3e3; margin: 12px 0; padding: 4px 14px 10px; }
.art .text { white-space: pre-wrap; line-height: 2.2; }
.art mark { padding: 1px 3px; border-radius: 3px; background: #eee; }
.art mark.tr { font-weight: 600; }
.art mark.ar { background: #f3f3f3; border-bottom: 3px solid #999; }
.art mark[data-t]::after { content: attr(data-t); font: 10px/1 system-ui, sans-serif; font-weight: normal;
  color: #333; background: #fff; border: 1px solid #ccc; border-radius: 3px; margin-left: 3px; padding: 1px 3px;
  vertical-align: 2px; white-space: nowrap; }
#article-index { max-height: 420px; overflow-y: auto; display: block; }
"""


@dataclass
class ArticleBrowser:
    """The browser's HTML, the anchor of each article id it shows, and a note on any sampling."""

    index: str
    articles: str
    anchors: dict[str, str]
    note: str


def anchors_for(articles: list[ArticleView]) -> list[str]:
    """A unique, URL-safe anchor for each article, in order (an id that repeats gets -2, -3 ...)."""
    anchors: list[str] = []
    used: set[str] = set()
    for article in articles:
        base = "article-" + re.sub(r"[^A-Za-z0-9_.-]", "_", article.id)
        anchor, n = base, 1
        while anchor in used:
            n += 1
            anchor = f"{base}-{n}"
        used.add(anchor)
        anchors.append(anchor)
    return anchors


def first_anchors(articles: list[ArticleView], anchors: list[str]) -> dict[str, str]:
    """Article id -> the anchor of its first article, for links by id."""
    by_id: dict[str, str] = {}
    for article, anchor in zip(articles, anchors, strict=True):
        by_id.setdefault(article.id, anchor)
    return by_id


def article_browser(articles: list[ArticleView], budget_bytes: int) -> ArticleBrowser:
    """The browser of `articles`, sampled to fit `budget_bytes` of HTML."""
    anchors = anchors_for(articles)
    blocks = [article_html(a, anchor) for a, anchor in zip(articles, anchors, strict=True)]
    rows = [_index_row(a, anchor) for a, anchor in zip(articles, anchors, strict=True)]
    sizes = [len(f"{block}{html_row(row, {3})}".encode()) for block, row in zip(blocks, rows, strict=True)]
    shown = _fit(articles, sizes, budget_bytes)
    note = ""
    if len(shown) < len(articles):
        note = (
            f"The browser shows {len(shown)} of the {len(articles)} articles, a random sample (articles with events "
            "first) that keeps this file small; the charts count every event."
        )
    index = html_table(["article", "date", "source", "events", "types"], [rows[i] for i in shown], {3})
    return ArticleBrowser(
        index.replace("<table>", '<table id="article-index">', 1),
        "\n".join(blocks[i] for i in shown),
        first_anchors([articles[i] for i in shown], [anchors[i] for i in shown]),
        note,
    )


def _fit(articles: list[ArticleView], sizes: list[int], budget_bytes: int) -> list[int]:
    """Which articles to show (their positions): all if they fit, else a seeded random sample, articles with
    events first, in input order."""
    if sum(sizes) <= budget_bytes:
        return list(range(len(articles)))
    order = list(range(len(articles)))
    random.Random(SAMPLE_SEED).shuffle(order)
    order.sort(key=lambda i: not articles[i].events)
    chosen, used = [], 0
    for i in order:
        if used + sizes[i] <= budget_bytes:
            chosen.append(i)
            used += sizes[i]
    return sorted(chosen)


def _index_row(article: ArticleView, anchor: str) -> list:
    link = Markup(f'<a href="#{anchor}">{html.escape(article.id)}</a>')
    types = sorted({event.type for event in article.events})
    return [link, article.date or "", article.source or "", len(article.events), " ".join(types)]


def article_html(article: ArticleView, anchor: str) -> str:
    """One article: heading, highlighted text and its events."""
    meta = " · ".join(html.escape(x) for x in (article.date, article.source) if x)
    if article.url:
        safe = html.escape(article.url, quote=True)
        meta += f' · <a href="{safe}" rel="noopener noreferrer">{html.escape(article.url)}</a>'
    parts = [
        f'<article class="art" id="{anchor}">',
        f"<h3>{html.escape(article.id)}</h3>",
        f'<p class="note">{meta}</p>' if meta else "",
        f'<div class="text">{highlighted_text(article.text, article.spans)}</div>',
        _events_table(article) if article.events else '<p class="note">No event found.</p>',
        "</article>",
    ]
    return "".join(parts)


def highlighted_text(text: str, spans: list[Span]) -> str:
    """The text, escaped, with each span marked up; triggers win where spans overlap, the others stay in the table."""
    merged: dict[tuple[int, int], list[Span]] = {}
    for span in sorted(spans, key=lambda span: span.kind != "trigger"):
        merged.setdefault((span.start, span.end), []).append(span)
    taken: list[tuple[int, int]] = []
    for kind in ("trigger", "argument"):
        for start, end in sorted(key for key, group in merged.items() if group[0].kind == kind):
            if all(end <= s or start >= e for s, e in taken):
                taken.append((start, end))
    out, cursor = [], 0
    for start, end in sorted(taken):
        group = merged[(start, end)]
        first = group[0]
        kind = "tr" if first.kind == "trigger" else "ar"
        classes = f"{kind} {'ty' if kind == 'tr' else 'ro'}-{css_name(first.label)}"
        tags = html.escape(" · ".join(dict.fromkeys(span.tag for span in group)), quote=True)
        out.append(html.escape(text[cursor:start]))
        out.append(f'<mark class="{classes}" data-t="{tags}">{html.escape(text[start:end])}</mark>')
        cursor = end
    out.append(html.escape(text[cursor:]))
    return "".join(out)


def _events_table(article: ArticleView) -> str:
    rows = []
    for event in article.events:
        status = event.status + (f" ({event.status_score:.2f})" if event.status_score is not None else "")
        arguments = "; ".join(
            f"{role}: {text}" + (f" ({score:.2f})" if score is not None else "")
            for role, text, score in event.arguments
        )
        score = f"{event.score:.2f}" if event.score is not None else ""
        rows.append([f"E{event.number}", event.type, status, event.trigger, score, arguments])
    return html_table(["event", "type", "status", "trigger", "score", "arguments (role: text (score))"], rows, {4})


def highlight_style(type_colours: dict[str, str], role_colours: dict[str, str]) -> str:
    """CSS giving each event type's triggers and each role's arguments their colour."""
    rules = [BROWSER_STYLE]
    rules += [f".art mark.ty-{css_name(name)} {{ background: {colour}55; }}" for name, colour in type_colours.items()]
    rules += [
        f".art mark.ro-{css_name(name)} {{ border-bottom-color: {colour}; }}" for name, colour in role_colours.items()
    ]
    return "\n".join(rules)
