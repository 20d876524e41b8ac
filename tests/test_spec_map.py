"""docs/spec-map.md lists every sentence of docs/SPEC.md with the checks that grade it.

The map cannot drift: its rule text must be SPEC's sentences word for word (no sentence missing,
none invented), every check it names must exist (a catalog check of that section's exercise, or a
kit test ``tests/FILE.py::FUNCTION``), its tier column must be the tiers of those checks, and a
rule without a check must say why.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache

import pytest

from grader import catalog
from tests.kit import ROOT

SPEC = ROOT / "docs" / "SPEC.md"
MAP = ROOT / "docs" / "spec-map.md"
TIER_ORDER = ["visible", "practice", "hidden", "kit"]
# SPEC's numbered sections 1-5 are the exercises in catalog order; "0" is the text before section 1.
SECTION_EXERCISE = {str(n): exercise for n, exercise in enumerate(catalog.EXERCISES, 1)}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(\"])")


def spec_sentences() -> dict[str, list[str]]:
    """SPEC's prose (code blocks left out), by section number, one sentence per item."""
    paragraphs: dict[str, list[str]] = {"0": []}
    section, in_code = "0", False
    lines: list[str] = []

    def flush() -> None:
        if lines:
            paragraphs[section].append(" ".join(lines))
            lines.clear()

    for line in SPEC.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            flush()
            in_code = not in_code
        elif in_code or line.startswith("# "):
            continue
        elif heading := re.match(r"## (\d+)\. ", line):
            flush()
            section = heading.group(1)
            paragraphs[section] = []
        elif not line.strip():
            flush()
        elif line.startswith("- "):
            flush()
            lines.append(line[2:].strip())
        else:
            lines.append(line.strip())
    flush()
    return {key: [s for p in text for s in SENTENCE_END.split(p)] for key, text in paragraphs.items()}


@dataclass(frozen=True)
class Row:
    section: str
    rule: str
    checks: tuple[str, ...]
    tier: str
    note: str


def _cells(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [cell.strip().replace("\\|", "|") for cell in cells]


@cache
def map_rows() -> tuple[Row, ...]:
    rows, section = [], None
    for line in MAP.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            number = re.match(r"## (\d+)\.", line)
            section = number.group(1) if number else "0"
        elif line.startswith("|") and section is not None:
            cells = _cells(line)
            if cells[0] in ("rule", "---"):
                continue
            assert len(cells) == 4, f"a map row needs 4 cells (rule | checks | tier | note): {line[:100]}"
            rule, checks, tier, note = cells
            names = tuple(re.findall(r"`([^`]+)`", checks))
            rows.append(Row(section, rule, names, tier, note))
    return tuple(rows)


def _kit_test_exists(name: str) -> bool:
    path, _, function = name.partition("::")
    file = ROOT / path
    if not (path.startswith("tests/") and file.is_file()):
        return False
    tree = ast.parse(file.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.FunctionDef) and node.name == function for node in tree.body)


def _tier(section: str, name: str) -> str | None:
    """The tier of check *name* in *section*, or None if no such check exists there."""
    if "::" in name:
        return "kit" if _kit_test_exists(name) else None
    exercise = SECTION_EXERCISE.get(section)
    if exercise is None:
        return None
    try:
        return exercise.check(name).tier.value
    except KeyError:
        return None


@pytest.mark.parametrize("section", sorted(spec_sentences()))
def test_every_spec_sentence_has_a_row(section: str) -> None:
    mapped = [row.rule for row in map_rows() if row.section == section]
    missing = [s for s in spec_sentences()[section] if s not in mapped]
    assert not missing, f"SPEC section {section} sentence missing from docs/spec-map.md: {missing[0]!r}"
    invented = [r for r in mapped if r not in spec_sentences()[section]]
    assert not invented, f"docs/spec-map.md section {section} has a rule SPEC does not say: {invented[0]!r}"
    assert len(mapped) == len(set(mapped)), f"docs/spec-map.md section {section} lists a sentence twice"


def test_every_named_check_exists_in_its_sections_exercise() -> None:
    unknown = [(row.section, name) for row in map_rows() for name in row.checks if _tier(row.section, name) is None]
    assert not unknown, f"docs/spec-map.md names checks that do not exist (section, name): {unknown[:5]}"


def test_tier_column_is_the_named_checks_tiers() -> None:
    for row in map_rows():
        tiers = {_tier(row.section, name) for name in row.checks} - {None}
        expected = ", ".join(t for t in TIER_ORDER if t in tiers) or "—"
        assert row.tier == expected, f"tier of {row.rule[:60]!r} should read {expected!r}, not {row.tier!r}"


def test_a_rule_without_a_check_says_why() -> None:
    silent = [row.rule for row in map_rows() if not row.checks and not row.note]
    assert not silent, f"docs/spec-map.md: a rule with neither a check nor a reason: {silent[0]!r}"


def test_every_exercise_check_grades_some_rule() -> None:
    named = {name for row in map_rows() for name in row.checks}
    orphans = [c.test for e in catalog.EXERCISES for c in e.checks if c.test not in named]
    assert not orphans, f"catalog checks that docs/spec-map.md never names: {orphans}"


def test_the_map_notices_a_missing_sentence() -> None:
    """The parser is not vacuous: SPEC yields the sentences the map is compared with."""
    sentences = spec_sentences()
    assert set(sentences) == {"0", "1", "2", "3", "4", "5", "6"}
    assert "`size < 1` is a `ValueError`." in sentences["3"]
    assert sum(len(s) for s in sentences.values()) == len(map_rows())
