"""The one-way structure holds (scripts/check_structure.py), and the check itself catches each kind of breach."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("check_structure", REPO / "scripts" / "check_structure.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_package_keeps_its_structure(check):
    assert check.breaches() == []


@pytest.fixture
def small_tree(tmp_path) -> Path:
    """A checkout with the four package folders and one clean module in each."""
    for folder in ("parley", "model", "training", "inference", "benchmarks", "scripts"):
        (tmp_path / folder).mkdir()
    (tmp_path / "parley" / "text.py").write_text("def words(text):\n    return text.split()\n")
    for folder in ("model", "training", "inference"):
        (tmp_path / folder / "job.py").write_text("from parley.text import words\n")
    return tmp_path


def test_a_clean_tree_has_no_breach(check, small_tree):
    assert check.breaches(small_tree) == []


def test_each_kind_of_breach_is_named(check, small_tree):
    (small_tree / "inference" / "reach.py").write_text("def f():\n    from parley.training.trainer import train\n")
    (small_tree / "model" / "up.py").write_text("import parley.inference.extractor\n")
    (small_tree / "training" / "long.py").write_text("x = 1\n" * 351)
    body = "".join(f"    y{i} = {i}\n" for i in range(60))
    (small_tree / "training" / "function.py").write_text(f"def long_one():\n{body}")
    (small_tree / "benchmarks" / "bench.py").write_text("from parley.inference.extractor import _hidden\n")
    logic = (
        "    seen = set()\n    for item in items:\n        if item in seen:\n            continue\n"
        "        seen.add(item)\n        total += weight(item) * scale\n        if total > limit:\n"
        "            break\n        out.append((item, total))\n    out.sort(key=lambda pair: pair[1])\n"
        "    log(len(out), total)\n    return out[:limit]\n"
    )
    shutil.copy(small_tree / "parley" / "text.py", small_tree / "parley" / "same.py")
    (small_tree / "parley" / "one.py").write_text(f"def one(items, weight, scale, limit, total, out, log):\n{logic}")
    (small_tree / "inference" / "two.py").write_text(f"def two(things, cost, factor, cap, total, out, log):\n{logic}")
    found = "\n".join(check.breaches(small_tree))
    assert "inference/reach.py:2: imports parley.training.trainer" in found
    assert "model/up.py:1: imports parley.inference.extractor" in found
    assert "training/long.py: 351 lines" in found
    assert "training/function.py:1: long_one() is 61 lines" in found
    assert "benchmarks/bench.py:1: imports private _hidden" in found
    assert "inference/two.py:1 repeats the shape of parley/one.py:1" in found
    assert len(found.splitlines()) == 6, found
