"""Check the one-way structure of the package; print each breach and exit 1 if there is any.

The rules (issue "one-way house"):
- `training/` and `inference/` import the core (`parley/`) and `model/`, never each other; `model/` imports only
  the core; the core imports neither stage (the command line and the package's lazy `EventExtractor` excepted).
- `reports/` (parley.reports) imports the core, `model/` and `inference/`; nothing imports it but the command line.
- `benchmarks/` and `scripts/` import only public names (no `_private` ones).
- No file in the five package folders is over 350 lines and no function over 60.
- No block of more than 10 lines is repeated, with the same lines or the same shape (names, strings and numbers
  aside), within those five folders.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Folder -> the dotted package it installs as.
PACKAGES = {
    "parley": "parley",
    "model": "parley.model",
    "training": "parley.training",
    "inference": "parley.inference",
    "reports": "parley.reports",
}
# Package -> packages it must not import. Reports draw on the core and inference's public names; no stage
# imports them back.
FORBIDDEN = {
    "parley.model": ("parley.training", "parley.inference", "parley.reports", "parley.cli"),
    "parley.training": ("parley.inference", "parley.reports", "parley.cli"),
    "parley.inference": ("parley.training", "parley.reports", "parley.cli"),
    "parley.reports": ("parley.training", "parley.cli"),
    "parley": ("parley.training", "parley.inference", "parley.reports"),
}
CORE_MAY_REACH_STAGES = ("parley/cli/", "parley/__init__.py")
MAX_FILE_LINES = 350
MAX_FUNCTION_LINES = 60
MAX_REPEATED_LINES = 10
# Field declarations, decorators and class lines: a dataclass's fields are data, their shape is not logic.
DECLARATION = re.compile(r"^(N : [N.\[\]|, ]+( = .+)?|@ .*|class N( \( .* \))? :)$")


def package_files(root: Path) -> list[tuple[Path, str]]:
    """(file, dotted package) for every Python file of the package folders."""
    files = []
    for folder, package in PACKAGES.items():
        for path in sorted((root / folder).rglob("*.py")):
            files.append((path, package))
    return files


def imported_modules(tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import statement, lazy ones inside functions included."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def import_breaches(relative: str, package: str, tree: ast.AST) -> list[str]:
    if package == "parley" and relative.startswith(CORE_MAY_REACH_STAGES):
        return []
    breaches = []
    for line, module, _ in imported_modules(tree):
        for banned in FORBIDDEN[package]:
            if module == banned or module.startswith(banned + "."):
                breaches.append(f"{relative}:{line}: imports {module} ({package} must not import {banned})")
    return breaches


def private_import_breaches(root: Path) -> list[str]:
    breaches = []
    for folder in ("benchmarks", "scripts"):
        for path in sorted((root / folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for line, module, names in imported_modules(tree):
                private = [name for name in names if name.startswith("_")]
                if module.startswith("parley") and private:
                    breaches.append(
                        f"{path.relative_to(root)}:{line}: imports private {', '.join(private)} from {module}"
                    )
    return breaches


def size_breaches(relative: str, text: str, tree: ast.AST) -> list[str]:
    breaches = []
    n_lines = len(text.splitlines())
    if n_lines > MAX_FILE_LINES:
        breaches.append(f"{relative}: {n_lines} lines (at most {MAX_FILE_LINES})")
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                breaches.append(
                    f"{relative}:{node.lineno}: {node.name}() is {length} lines (at most {MAX_FUNCTION_LINES})"
                )
    return breaches


def shape_lines(text: str) -> list[tuple[int, str]]:
    """(line number, shape) of each line that counts: names, strings and numbers become placeholders; blank
    lines, comments, docstring-only lines, imports and lone punctuation are passed over."""
    shapes: defaultdict[int, list[str]] = defaultdict(list)
    skip_lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        kind, value, (row, _), (end_row, _), _ = token
        if kind in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT):
            continue
        if kind == tokenize.STRING and end_row > row:
            skip_lines.update(range(row, end_row + 1))
            continue
        if kind == tokenize.NAME and value in ("import", "from") and not shapes[row]:
            skip_lines.add(row)
        shapes[row].append(
            "N"
            if kind == tokenize.NAME and not _keyword(value)
            else "S"
            if kind == tokenize.STRING
            else "0"
            if kind == tokenize.NUMBER
            else value
        )
    out = []
    for row in sorted(shapes):
        shape = " ".join(shapes[row])
        if (
            row in skip_lines
            or re.fullmatch(r"[\s()\[\]{},:]*", shape)
            or shape in ("S", "N")
            or DECLARATION.match(shape)
        ):
            continue
        out.append((row, shape))
    return out


def _keyword(value: str) -> bool:
    import keyword

    return keyword.iskeyword(value) or value in ("self", "None", "True", "False")


def repeated_blocks(root: Path, files: list[Path]) -> list[str]:
    """Runs of more than MAX_REPEATED_LINES counted lines with the same shape, in two places."""
    window = MAX_REPEATED_LINES + 1
    seen: dict[tuple[str, ...], tuple[Path, int]] = {}
    breaches, reported = [], set()
    for path in files:
        lines = shape_lines(path.read_text(encoding="utf-8"))
        for start in range(len(lines) - window + 1):
            key = tuple(shape for _, shape in lines[start : start + window])
            if len(set(key)) < 4:  # runs of one repeated statement (a table of calls) are data, not logic
                continue
            here = (path, lines[start][0])
            first = seen.setdefault(key, here)
            pair = (first[0], path)
            if first != here and pair not in reported and not (first[0] == path and here[1] - first[1] < window):
                reported.add(pair)
                breaches.append(
                    f"{path.relative_to(root)}:{here[1]} repeats the shape of {first[0].relative_to(root)}:{first[1]} "
                    f"for more than {MAX_REPEATED_LINES} lines"
                )
    return breaches


def breaches(root: Path = REPO) -> list[str]:
    """Every breach of the rules in the checkout at `root`, one line each."""
    found = []
    files = package_files(root)
    for path, package in files:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        relative = path.relative_to(root).as_posix()
        found += import_breaches(relative, package, tree)
        found += size_breaches(relative, text, tree)
    found += private_import_breaches(root)
    found += repeated_blocks(root, [path for path, _ in files])
    return found


def main() -> int:
    found = breaches()
    for line in found:
        print(line)
    print(f"structure: {len(found)} breach(es)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
