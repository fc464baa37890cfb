"""docs/schema.md, the contract in the repository, stays in step with configs/schema.yaml."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from parley.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "schema.md"


def test_every_name_in_the_schema_file_is_described_in_the_doc():
    raw = yaml.safe_load((REPO / "configs" / "schema.yaml").read_text(encoding="utf-8"))
    doc = DOC.read_text(encoding="utf-8")
    missing = [
        f"{kind}: {name}"
        for kind in ("mention_labels", "event_types", "roles", "statuses")
        for name in raw[kind]
        if f"`{name}`" not in doc
    ]
    assert not missing, f"docs/schema.md does not describe {missing}"
    for name, spec in raw["event_types"].items():
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{name}` |"))
        assert spec["cameo"] in row and spec["plover"] in row, row  # the table's default codes are the file's


def test_nothing_points_to_a_schema_file_outside_the_repository():
    # The contract used to be a SCHEMA.md that was not in the repository.
    tracked = [p for p in REPO.rglob("*") if p.suffix in {".py", ".md", ".sh", ".yaml", ".xml"} and p.is_file()]
    stale = [
        str(p.relative_to(REPO))
        for p in tracked
        if not {".git", "fixtures"} & set(p.relative_to(REPO).parts)
        and p != Path(__file__)
        and re.search(r"(?<!docs/)\bSCHEMA\.md", p.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not stale
    assert "docs/schema.md" in build_parser().format_help()
