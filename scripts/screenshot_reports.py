"""Render parley's HTML reports in headless Chromium and write a PNG of each section; say what each chart drew.

    python scripts/screenshot_reports.py report.html run.html --out screenshots/

Chromium is Debian's (`apt-get install -y chromium`); it is driven over the DevTools protocol on a pipe, so
nothing beyond the standard library is needed. For each chart the script prints how many marks it drew and how
many of its text labels overlap; it exits 1 if a chart failed or drew nothing.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Waits until every chart has drawn (or failed), then describes the charts and where each section lies.
INSPECT_PAGE = """
new Promise((resolve) => {
  const started = Date.now();
  const overlaps = (texts) => {
    const boxes = texts.map((t) => t.getBoundingClientRect()), pairs = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
        pairs.push(`${texts[i].textContent} / ${texts[j].textContent}`);
    }
    return pairs;
  };
  const describe = () => ({
    charts: [...document.querySelectorAll("div.chart[data-spec]")].map((div) => {
      // A label's white halo is a second text at the same place: count each drawn label once.
      const seen = new Set();
      const labels = [...div.querySelectorAll("g.mark-text text")].filter((t) => {
        const r = t.getBoundingClientRect(), key = `${t.textContent}@${Math.round(r.left)},${Math.round(r.top)}`;
        // Vega hides axis labels that would collide by making them transparent.
        const hidden = t.getAttribute("opacity") === "0" || getComputedStyle(t).opacity === "0";
        if (hidden || !t.textContent.trim() || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      return {
        id: div.id,
        marks: div.querySelectorAll("g[class^=mark-] path, g[class^=mark-] line, g[class^=mark-] text").length,
        labels: labels.length,
        overlapping_labels: overlaps(labels),
        failed: div.querySelector("svg") ? "" : div.textContent.slice(0, 200),
      };
    }),
    sections: [...document.querySelectorAll("header, section")].map((s) => {
      const r = s.getBoundingClientRect();
      return { id: s.id || "header", top: r.top + window.scrollY, height: r.height };
    }),
  });
  const poll = () => {
    const charts = [...document.querySelectorAll("div.chart[data-spec]")];
    const done = charts.every((div) => div.querySelector("svg") || div.textContent.includes("chart failed"));
    if ((done && document.readyState === "complete") || Date.now() - started > 30000) resolve(describe());
    else setTimeout(poll, 200);
  };
  poll();
})
"""


# The middle of the network's busiest edge (its hover handle, the widest of the faint dots), in page pixels.
EDGE_HANDLE = """
(() => {
  const div = document.getElementById("chart-network");
  if (!div) return null;
  const faint = [...div.querySelectorAll("g.mark-symbol path")].filter((p) => Number(getComputedStyle(p).opacity) < 0.1
    || Number(p.getAttribute("opacity")) < 0.1 && p.getAttribute("opacity") !== null);
  if (!faint.length) return null;
  const r = faint[0].getBoundingClientRect();
  return { x: r.left + r.width / 2, y: r.top + r.height / 2, top: div.getBoundingClientRect().top + window.scrollY };
})()
"""


class Chromium:
    """A headless Chromium driven over the DevTools protocol on a pipe (fd 3 in, fd 4 out of the browser)."""

    def __init__(self, binary: str, width: int, height: int) -> None:
        self.profile = tempfile.mkdtemp(prefix="parley-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--remote-debugging-pipe"]
        flags += [f"--window-size={width},{height}", f"--user-data-dir={self.profile}", "about:blank"]
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$@" 3<&{to_browser_r} 4>&{from_browser_w}', "chromium", binary, *flags],
            pass_fds=(to_browser_r, from_browser_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._events: list[str] = []
        self._next_id = 0
        self.width, self.height = width, height

    def call(self, method: str, session: str | None = None, **params) -> dict:
        """Send one command and return its result; events that arrive meanwhile are kept for `wait_for`."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply["method"])

    def wait_for(self, event: str) -> None:
        """Block until the browser sends `event` (or has sent it since the last wait)."""
        while event not in self._events:
            reply = self._read()
            if "method" in reply:
                self._events.append(reply["method"])
        self._events.clear()

    def _read(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe (is it installed? apt-get install -y chromium)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str) -> str:
        """A new page showing `url`; returns its session id."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.resize(session, self.height)
        self.call("Page.enable", session)
        self.call("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired")
        return session

    def resize(self, session: str, height: int) -> None:
        """Make the page's viewport `height` pixels high (at the browser's width)."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=self.width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)


def screenshot_report(browser: Chromium, report: Path, out: Path, max_height: int) -> list[str]:
    """PNGs of each section of `report` under `out`; returns the problems found (charts failed or empty)."""
    session = browser.open(report.resolve().as_uri())
    found = browser.call("Runtime.evaluate", session, expression=INSPECT_PAGE, awaitPromise=True, returnByValue=True)
    page = found["result"]["value"]
    problems = []
    for chart in page["charts"]:
        failed = f"; FAILED: {chart['failed']}" if chart["failed"] else ""
        print(
            f"{report.name} {chart['id']}: {chart['marks']} marks, {chart['labels']} text labels, "
            f"{len(chart['overlapping_labels'])} overlapping pairs{failed}"
        )
        for pair in chart["overlapping_labels"][:5]:
            print(f"  overlapping: {pair}")
        if chart["failed"] or chart["marks"] == 0:
            problems.append(f"{report.name} {chart['id']}: {'failed' if chart['failed'] else 'drew nothing'}")
    for section in page["sections"]:
        # The viewport is made the section's size and scrolled to it: painting past the viewport
        # (captureBeyondViewport) leaves the lower part of long tables blank.
        height = round(min(section["height"], max_height))
        browser.resize(session, height)
        browser.call("Runtime.evaluate", session, expression=f"window.scrollTo(0, {section['top']})")
        shot = browser.call("Page.captureScreenshot", session, format="png")
        path = out / f"{report.stem}-{section['id']}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        print(f"{path} ({height} px high{', cut' if section['height'] > max_height else ''})")
    hover_network_edge(browser, session, out / f"{report.stem}-network-hover.png")
    return problems


def hover_network_edge(browser: Chromium, session: str, path: Path) -> None:
    """Point at an edge of the actor network and save what the reader then sees (its tooltip of sentences)."""
    browser.resize(session, 900)
    found = browser.call("Runtime.evaluate", session, expression=EDGE_HANDLE, returnByValue=True)["result"]
    if not found.get("value"):
        return
    browser.call("Runtime.evaluate", session, expression=f"window.scrollTo(0, {found['value']['top']})")
    handle = browser.call("Runtime.evaluate", session, expression=EDGE_HANDLE, returnByValue=True)["result"]["value"]
    browser.call("Input.dispatchMouseEvent", session, type="mouseMoved", x=handle["x"], y=handle["y"])
    browser.call("Runtime.evaluate", session, expression="new Promise((r) => setTimeout(r, 500))", awaitPromise=True)
    shot = browser.call("Page.captureScreenshot", session, format="png")
    path.write_bytes(base64.b64decode(shot["data"]))
    print(f"{path} (the pointer on a network edge)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path, help="HTML files written by parley report")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium", help="the browser binary")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--max-height", type=int, default=2400, help="sections taller than this are cut")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    browser = Chromium(args.chromium, args.width, 900)
    try:
        problems = [p for report in args.reports for p in screenshot_report(browser, report, args.out, args.max_height)]
    finally:
        browser.close()
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
