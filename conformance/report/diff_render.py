"""Render a diff.compare report: text for a terminal, Markdown for a GitHub step
summary or a pull-request comment, JSON for tools."""

import json

from .diff import LEVEL_RANK, regressions_at

# (report key, heading); regressions first: what a reviewer must see
CELL_SECTIONS = (("regressions", "Regressions"), ("fixes", "Fixes"), ("changes", "Other outcome changes"),
                 ("level_changes", "Level changes"), ("flaky", "Flaky cells (never regressions)"))
SCENARIO_SECTIONS = (("new_scenarios", "New scenarios"), ("removed_scenarios", "Removed scenarios"))
REFERENCE_SECTION = ("reference", "Reference client (the server alone; never regressions)")
COLUMN_SECTIONS = (("new_columns", "New columns"), ("removed_columns", "Removed columns"),
                   ("changed_columns", "Changed columns (cells compared across the change)"))
OPEN_SECTIONS = ("regressions", "fixes")  # Markdown folds the others away


def headline(report: dict, level: str) -> "list[str]":
    counts = report["counts"]
    return [f"{counts['regressions']} regression(s) ({len(regressions_at(report, level))} at {level} or above)",
            f"{counts['fixes']} fix(es)", f"{counts['changes']} other change(s)",
            f"{counts['level_changes']} level change(s)", f"{counts['flaky']} flaky",
            f"{len(by_scenario(report['new_scenarios']))} new and {len(by_scenario(report['removed_scenarios']))} "
            f"removed scenario(s)",
            f"{counts['new_columns']} new, {counts['removed_columns']} removed and "
            f"{counts['changed_columns']} changed column(s)",
            f"{counts['reference']} reference change(s)", f"{report['unchanged']} unchanged"]


def _outcomes(entry: dict, arrow: str = "->") -> str:
    return f"{entry['before'] or '-'} {arrow} {entry['after'] or '-'}"


def _level(entry: dict, arrow: str = "->") -> str:
    before = entry.get("before_level")
    return f"{before} {arrow} {entry['level']}" if before and before != entry["level"] else entry["level"]


def _kind(entry: dict) -> str:
    """A reference cell's kind of change (its one list holds every kind)."""
    return f" ({entry['kind']})" if "kind" in entry else ""


def _column(entry: dict) -> str:
    return f"{entry['column']} (was {entry['was_column']})" if entry.get("was_column") else entry["column"]


def _column_text(entry: dict) -> str:
    if "change" in entry:
        return f"{entry['was']['column']} -> {entry['column']}: {entry['change']}"
    sdk = " ".join(x for x in (entry["sdk_name"], entry["sdk"]) if x) or "?"
    role = " (reference)" if entry["role"] == "reference" else ""
    return f"{entry['column']}{role}: {sdk}, server {entry['server'] or '?'}, {entry['cells']} cell(s)"


def by_scenario(entries: "list[dict]") -> "list[dict]":
    """New or removed cells, one row per scenario: the outcomes that ran by column, skips counted."""
    rows = {}
    for e in entries:
        row = rows.setdefault(e["scenario"], {"scenario": e["scenario"], "title": e["title"], "ran": [], "skipped": 0,
                                              "levels": [], "whole_scenario": e["whole_scenario"]})
        outcome = e["after"] or e["before"]
        if outcome == "skip":
            row["skipped"] += 1
        else:
            row["ran"].append(f"{e['column']} {outcome}")
        row["levels"] += [e["level"]] if e["level"] not in row["levels"] else []
    for row in rows.values():
        row["levels"].sort(key=lambda level: -LEVEL_RANK.get(level, 0))  # must first, n/a last
        row["cells"] = ", ".join(row["ran"] + ([f"{row['skipped']} skipped"] if row["skipped"] else []))
        row["where"] = "" if row["whole_scenario"] else " (in these columns only)"
    return list(rows.values())


def _limited(rows: list, max_rows: int) -> "tuple[list, int]":
    return (rows, 0) if not max_rows or len(rows) <= max_rows else (rows[:max_rows], len(rows) - max_rows)


def _more(more: int) -> "list[str]":
    return [f"  ... and {more} more (--format json lists all)"] if more else []


def text(report: dict, old: str, new: str, level: str = "must", max_rows: int = 25) -> str:
    lines = [f"conformance diff {old} -> {new}", f"  {', '.join(headline(report, level))}"]

    def cell_rows(key: str, title: str) -> None:
        rows, more = _limited(report[key], max_rows)
        lines.extend([f"{title}:"] if rows else [])
        for e in rows:
            message = f"  {e['message']}" if e["message"] else ""
            lines.append(f"  {e['scenario']}{_kind(e)} [{_column(e)}]  {_outcomes(e)}  ({_level(e)}){message}")
        lines.extend(_more(more))

    for key, title in CELL_SECTIONS:
        cell_rows(key, title)
    for key, title in SCENARIO_SECTIONS:
        rows, more = _limited(by_scenario(report[key]), max_rows)
        lines.extend([f"{title}:"] if rows else [])
        lines += [f"  {r['scenario']}{r['where']}  ({', '.join(r['levels'])})  {r['cells']}" for r in rows]
        lines.extend(_more(more))
    for key, title in COLUMN_SECTIONS:
        lines.extend([f"{title}:"] if report[key] else [])
        lines += [f"  {_column_text(e)}" for e in report[key]]
    cell_rows(*REFERENCE_SECTION)
    return "\n".join(lines) + "\n"


def _md(value: str) -> str:
    """A table cell: no newlines, no pipes or tags to break the table."""
    return value.replace("\n", " ").replace("|", "\\|").replace("<", "&lt;").strip()


def _short(message: str, limit: int = 120) -> str:
    """Short enough that every table fits a pull-request comment (65,536 characters)."""
    return message if len(message) <= limit else message[:limit - 1] + "…"


def _md_rows(header: str, rows: "list[str]", more: int) -> "list[str]":
    columns = header.count("|") - 1
    return [header, "|---" * columns + "|", *rows] + ([f"| … and {more} more (`--format json` lists all)"
                                                      + " |" * columns] if more else [])


def markdown(report: dict, old: str, new: str, level: str = "must", max_rows: int = 25) -> str:
    counts = headline(report, level)
    if report["regressions"]:  # the first count, in bold
        counts[0] = f"**{counts[0].replace(' (', '** (', 1)}"
    lines = [f"### Conformance diff: `{_md(old)}` → `{_md(new)}`", "", " · ".join(counts), ""]

    def cell_table(key: str, title: str) -> None:
        if not report[key]:
            return
        rows, more = _limited(report[key], max_rows)
        body = [f"| `{e['scenario']}`{_kind(e)} | {_md(_column(e))} | {_outcomes(e, '→')} | {_level(e, '→')} "
                f"| {_md(_short(e['message']))} |" for e in rows]
        lines.extend(_section(f"{title} ({len(report[key])})",
                              _md_rows("| Scenario | Column | Before → after | Level | Message |", body, more),
                              key in OPEN_SECTIONS))

    for key, title in CELL_SECTIONS:
        cell_table(key, title)
    for key, title in SCENARIO_SECTIONS:
        grouped = by_scenario(report[key])
        rows, more = _limited(grouped, max_rows)
        body = [f"| `{r['scenario']}`{r['where']} | {_md(r['title'])} | {_md(r['cells'])} | {', '.join(r['levels'])} |"
                for r in rows]
        if grouped:
            lines.extend(_section(f"{title} ({len(grouped)})",
                                  _md_rows("| Scenario | Title | Cells | Level |", body, more), False))
    for key, title in COLUMN_SECTIONS:
        if report[key]:
            lines.extend(_section(f"{title} ({len(report[key])})",
                                  [f"- {_md(_column_text(e))}" for e in report[key]], True))
    cell_table(*REFERENCE_SECTION)
    return "\n".join(lines) + "\n"


def _section(title: str, body: "list[str]", open_: bool) -> "list[str]":
    if open_:
        return [f"#### {title}", "", *body, ""]
    return ["<details>", f"<summary>{title}</summary>", "", *body, "", "</details>", ""]


def as_json(report: dict, old: str, new: str, level: str = "must", max_rows: int = 0) -> str:
    """Every row, whatever max_rows says: the structured data is complete."""
    return json.dumps(dict(report, old=dict(report["old"], path=old), new=dict(report["new"], path=new),
                           level=level, regressions_at_level=len(regressions_at(report, level))), indent=1) + "\n"


RENDERERS = {"text": text, "markdown": markdown, "json": as_json}
