"""Which requirement level a scenario's cell has, and on what grounds (scenarios/FORMAT.md, "Levels").

A cell's level is the highest level among the statements its scenario cites that speak for the
driver (its manifest's doc.tab or doc.api), capped by the scenario's own `level`. When none of them
speaks for the driver, the scenario does not apply to it: the cell is skipped with that reason, so
that no driver is judged by a sentence written for another SDK."""

from typing import Optional

from .model import LEVELS, Scenario, Statement


def cell_level(scenario: Scenario, statements: "dict[str, Statement]", doc: dict) -> "tuple[Optional[str], list]":
    """(level or None when the scenario does not apply, the statements that ground it, strongest first)."""
    applying = [statements[ref] for ref in scenario.spec if statements[ref].speaks_for(doc)]
    if doc.get("role") == "reference":
        # The server alone is judged by the page's sentences about the server and by the norms, never by an
        # SDK's own documentation; every other scenario it can express is recorded (info) to show beside findings.
        applying = [s for s in applying if not s.source]
        if not applying:
            return "info", []
    if not applying:
        return None, []
    strongest = max(LEVELS.index(s.level) for s in applying)
    level = LEVELS[min(strongest, LEVELS.index(scenario.level))]
    grounds = sorted((s for s in applying if LEVELS.index(s.level) >= LEVELS.index(level)),
                     key=lambda s: -LEVELS.index(s.level))
    return level, grounds


def not_applicable_reason(scenario: Scenario, statements: "dict[str, Statement]", driver: str, doc: dict) -> str:
    spoken_for = sorted({t for ref in scenario.spec for t in statements[ref].applies_to})
    return (f"does not apply to driver '{driver}' (tab {doc.get('tab') or '?'}, API {doc.get('api') or '?'}): "
            f"the statements it checks ({', '.join(scenario.spec)}) speak for {', '.join(spoken_for)} only")


def grounds_json(grounds: list) -> list:
    """What the report shows as a cell's grounds: each statement's level and source."""
    return [{"id": s.id, "level": s.level, "en": s.en, **({"zh": s.zh} if s.zh else {}),
             **({"source": s.source} if s.source else {}), **({"question": s.question} if s.question else {})}
            for s in grounds]
