"""One self-contained HTML page: sections of HTML, Vega-Lite charts with their data, and the Vega JavaScript inlined.

Nothing is loaded from elsewhere: the charts' data sit in the page as JSON and vega-embed comes from vl-convert's
bundle, so the file opens offline and can be mailed as it is.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

# Vega-embed's menu links to the online editor; a report that opens offline has no use for it.
EMBED_OPTIONS = {"actions": False, "renderer": "svg"}

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #fafafa; }
header, section { max-width: 1100px; margin: 0 auto; padding: 12px 24px; }
header { border-bottom: 1px solid #ddd; background: #fff; }
h1 { font-size: 22px; margin: 8px 0; } h2 { font-size: 18px; margin: 18px 0 8px; }
h3 { font-size: 15px; margin: 6px 0; }
nav a { margin-right: 14px; }
.note { color: #555; font-size: 13px; margin: 4px 0; }
.chart { background: #fff; border: 1px solid #e3e3e3; padding: 8px; margin: 8px 0; overflow-x: auto; }
table { border-collapse: collapse; background: #fff; font-size: 13px; margin: 6px 0; }
th, td { border: 1px solid #e0e0e0; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
"""

_EMBED_SCRIPT = """
for (const div of document.querySelectorAll("div.chart[data-spec]")) {
  const spec = JSON.parse(document.getElementById(div.dataset.spec).textContent);
  vegaEmbed(div, spec, EMBED_OPTIONS).catch((err) => { div.textContent = "chart failed: " + err; });
}
"""


@dataclass
class Section:
    """One titled part of the page; `body` is HTML (escape text with `html.escape`)."""

    anchor: str
    title: str
    body: str


@dataclass
class Page:
    """A report page: sections in order and the Vega-Lite specs their chart placeholders name."""

    title: str
    intro: str = ""
    sections: list[Section] = field(default_factory=list)
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra_style: str = ""  # the page's own CSS, after the shared STYLE

    def chart(self, name: str, spec: dict[str, Any], caption: str = "") -> str:
        """Register a chart's spec and return the placeholder HTML that vega-embed fills in the browser."""
        spec = {key: value for key, value in spec.items() if key != "$schema"}
        self.specs[name] = spec
        note = f'<p class="note">{html.escape(caption)}</p>' if caption else ""
        return f'<div class="chart" id="chart-{name}" data-spec="spec-{name}"></div>{note}'

    def render(self, vega_script: str) -> str:
        """The whole page as one HTML string."""
        nav = " ".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in self.sections)
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(self.title)}</title>",
            f"<style>{STYLE}{self.extra_style}</style>",
            f"<script>{script_safe(vega_script)}</script>",
            "</head><body>",
            f"<header><h1>{html.escape(self.title)}</h1>{self.intro}<nav>{nav}</nav></header>",
        ]
        parts += [f'<section id="{s.anchor}"><h2>{html.escape(s.title)}</h2>{s.body}</section>' for s in self.sections]
        parts += [
            f'<script type="application/json" id="spec-{name}">{script_safe(json.dumps(spec))}</script>'
            for name, spec in self.specs.items()
        ]
        parts.append(f"<script>const EMBED_OPTIONS = {json.dumps(EMBED_OPTIONS)};{_EMBED_SCRIPT}</script>")
        parts.append("</body></html>")
        return "\n".join(parts)


def script_safe(text: str) -> str:
    """Text that can sit inside a <script> element: no `</script` that would close it early.

    Only that sequence is touched: `<\\/` means `</` in JSON, in JavaScript strings and in regular expressions alike.
    """
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def vega_javascript() -> str:
    """vega, vega-lite and vega-embed as one script (defines `vegaEmbed`), matching altair's Vega-Lite version."""
    import altair
    import vl_convert

    major, minor = altair.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return vl_convert.javascript_bundle(vl_version=f"v{major}_{minor}")


def html_table(header: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    """A plain HTML table; cells are escaped unless they are `Markup`, columns in `numeric` are right-aligned."""
    numeric = numeric or set()
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(html_row(row, numeric) for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_row(row: list[Any], numeric: set[int]) -> str:
    """One table row (see `html_table`)."""
    return "<tr>" + "".join(_cell(cell, i in numeric) for i, cell in enumerate(row)) + "</tr>"


def _cell(cell: Any, numeric: bool) -> str:
    text = cell if isinstance(cell, Markup) else html.escape(str(cell))
    return f"<td class=num>{text}</td>" if numeric else f"<td>{text}</td>"


class Markup(str):
    """A string that is already HTML (not escaped again by `html_table`)."""
