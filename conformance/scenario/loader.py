"""Load scenario files: YAML -> JSON Schema check -> model, with line numbers.

Every problem is a ScenarioFormatError naming the file and line, never a
traceback: authors fix files from the message alone."""

import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from ..errors import ScenarioFormatError
from ..paths import SCENARIOS_DIR, SCHEMA_DIR
from .model import LEVELS, Requirements, Scenario, Statement, Step
from .values import KNOWN, references

SUPPORTED_SCHEMA_VERSIONS = (1,)
STATEMENTS_FILE = SCENARIOS_DIR / "spec-statements.yaml"
PEER_COVERAGE_FILE = SCENARIOS_DIR / "peer-coverage.yaml"  # the peers' tests mapped to scenarios: no scenarios


@lru_cache(maxsize=None)
def schema(version: int) -> dict:
    return json.loads((SCHEMA_DIR / f"v{version}.json").read_text())


@lru_cache(maxsize=None)
def spec_statements() -> "dict[str, Statement]":
    """Statement id -> Statement, from scenarios/spec-statements.yaml, each checked for its grounds:
    a must quotes the page, a should cites the SDK's documentation (sdk, link, quote) or argues a
    norm, an info says what it observes."""
    data = yaml.safe_load(STATEMENTS_FILE.read_text())
    statements = {}
    for raw in data["statements"]:
        where = f"{_display(STATEMENTS_FILE)}: statement '{raw.get('id')}'"
        level, source = raw.get("level"), raw.get("source") or {}
        if level not in LEVELS:
            raise ScenarioFormatError(f"level {level!r} is not one of {', '.join(LEVELS)}", where=where)
        grounded = {
            "must": bool(raw.get("zh") and raw.get("en") and raw.get("section")),
            "should": bool(source.get("norm") or (source.get("sdk") and source.get("link") and source.get("quote"))),
            "info": bool(raw.get("question")),
        }[level]
        if not grounded:
            raise ScenarioFormatError({
                "must": "a must statement quotes the page: section, zh and en",
                "should": "a should statement cites its source: source.sdk, source.link and source.quote, "
                          "or source.norm",
                "info": "an info statement says what it observes: question",
            }[level], where=where)
        statements[raw["id"]] = Statement(
            id=raw["id"], level=level, en=raw["en"], applies_to=tuple(raw.get("applies_to") or ()),
            section=raw.get("section", ""), zh=raw.get("zh", ""), source=source, question=raw.get("question", ""))
    return statements


def _node_at(node, path):
    """The YAML node a JSON path points at (as deep as it exists)."""
    for key in path:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == key]
            if not match:
                break
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
    return node


def _describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator in ("oneOf", "anyOf") and error.context:
        enums = [e for e in error.context if e.validator == "enum"]
        if enums:
            allowed = ", ".join(map(str, enums[0].validator_value))
            return f"at {where}: {error.instance!r} is not one of: {allowed}"
    if error.validator == "not":
        return (f"at {where}: these keys cannot be combined: `ok` with `error`, `one_of` with `ok` or `error`, "
                f"`result` with `error`, `message_contains` with `ok` (got {sorted(error.instance)})")
    if error.validator == "additionalProperties":
        return f"at {where}: {error.message} (see scenarios/FORMAT.md for the allowed keys)"
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return f"at {where}: {error.instance!r} is not one of: {allowed}"
    return f"at {where}: {error.message}"


def load_file(path: Path) -> "list[Scenario]":
    shown = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        context = getattr(exc, "context", None)
        context_mark = getattr(exc, "context_mark", None)
        started = f"{context} at line {context_mark.line + 1}: " if context and context_mark else ""
        raise ScenarioFormatError(f"not valid YAML: {started}{getattr(exc, 'problem', exc)}",
                                  where=f"{shown}{line}")
    except OSError as exc:
        raise ScenarioFormatError(f"cannot read: {exc.strerror}", where=shown)
    if not isinstance(data, dict):
        raise ScenarioFormatError("a scenario file is a mapping with `schema:` and `scenarios:`", where=f"{shown}:1")
    version = data.get("schema")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise ScenarioFormatError(
            f"`schema: {version}` is not a format this harness knows (it knows {list(SUPPORTED_SCHEMA_VERSIONS)})",
            where=f"{shown}:{_node_at(root, ['schema']).start_mark.line + 1}",
        )
    errors = sorted(jsonschema.Draft202012Validator(schema(version)).iter_errors(data),
                    key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))), reverse=True)
    if errors:
        first = errors[0]  # the deepest error is the most specific
        line = _node_at(root, list(first.absolute_path)).start_mark.line + 1
        more = f" ({len(errors) - 1} more problem(s) in this file)" if len(errors) > 1 else ""
        raise ScenarioFormatError(_describe(first) + more, where=f"{shown}:{line}")
    return _build(data, root, path, shown)


def _build(data: dict, root, path: Path, shown: str) -> "list[Scenario]":
    group = data.get("group", path.stem)
    known = spec_statements()
    scenarios = []
    for index, raw in enumerate(data["scenarios"]):
        node = _node_at(root, ["scenarios", index])
        for ref_index, ref in enumerate(raw["spec"]):
            if ref not in known:
                line = _node_at(root, ["scenarios", index, "spec", ref_index]).start_mark.line + 1
                raise ScenarioFormatError(
                    f"spec statement '{ref}' is not in scenarios/spec-statements.yaml", where=f"{shown}:{line}")
        for i, s in enumerate(raw["steps"]):
            unknown = [r for r in references([s.get("args", {}), s.get("expect", {})]) if r not in KNOWN]
            if unknown:
                line = _node_at(root, ["scenarios", index, "steps", i]).start_mark.line + 1
                raise ScenarioFormatError(
                    f"unknown reference ${{{unknown[0]}}}; known: " + ", ".join(f"${{{k}}}" for k in KNOWN),
                    where=f"{shown}:{line}")
        level = _level_of(raw, [known[ref] for ref in raw["spec"]], root, index, shown)
        requires = Requirements.merged(data.get("requires", {}), raw.get("requires", {}))
        for i, s in enumerate(raw["steps"]):
            if ("server" in s or "limit" in s) and not requires.private_server:
                line = _node_at(root, ["scenarios", index, "steps", i]).start_mark.line + 1
                what = f"server: {s['server']}" if "server" in s else "limit:"
                raise ScenarioFormatError(
                    f"`{what}` needs `requires: {{private_server: true}}`: a shared server "
                    f"cannot be stopped, paused or filled up", where=f"{shown}:{line}")
        steps = tuple(
            Step(op=_op_of(s), args=_args_of(s), expect=s.get("expect", {"ok": True}),
                 line=_node_at(root, ["scenarios", index, "steps", i]).start_mark.line + 1,
                 note=s.get("note", ""), deadline_seconds=s.get("deadline_seconds"),
                 optional_args=tuple(s.get("optional_args", ())))
            for i, s in enumerate(raw["steps"])
        )
        scenarios.append(Scenario(
            id=raw["id"], title=raw["title"], spec=tuple(raw["spec"]), group=group,
            tags=tuple(raw.get("tags", [])),
            requires=requires, steps=steps, path=shown, line=node.start_mark.line + 1,
            description=raw.get("description", ""), level=level,
        ))
    return scenarios


def _level_of(raw: dict, cited: list, root, index: int, shown: str) -> str:
    """The scenario's level: as declared, else the highest of its statements'. A scenario cannot
    claim more than its statements ground, and an info scenario judges nothing (no `expect`)."""
    strongest = max((s.level for s in cited), key=LEVELS.index)
    level = raw.get("level", strongest)
    if LEVELS.index(level) > LEVELS.index(strongest):
        line = _node_at(root, ["scenarios", index, "level"]).start_mark.line + 1
        raise ScenarioFormatError(
            f"level {level} needs a {level} statement among spec: {', '.join(raw['spec'])} "
            f"(the strongest is {strongest})", where=f"{shown}:{line}")
    if level == "info":
        for i, step in enumerate(raw["steps"]):
            if "expect" in step:
                line = _node_at(root, ["scenarios", index, "steps", i, "expect"]).start_mark.line + 1
                raise ScenarioFormatError("an info scenario records what happens and judges nothing: "
                                          "no `expect`", where=f"{shown}:{line}")
    return level


def _op_of(step: dict) -> str:
    return next((op for op in ("server", "proxy", "limit") if op in step), None) or step["op"]


def _args_of(step: dict) -> dict:
    if "server" in step:
        return {"action": step["server"]}
    if "proxy" in step or "limit" in step:
        return dict(step.get("proxy") or step["limit"])
    return step.get("args", {})


def scenario_files(root: Path) -> "list[Path]":
    """The scenario files under `root` (or the one file `root`)."""
    files = [root] if root.is_file() else sorted(root.rglob("*.yaml"))
    files = [f for f in files if f.name not in (STATEMENTS_FILE.name, PEER_COVERAGE_FILE.name)
             and "schema" not in f.relative_to(root).parts[:-1]]
    if not files:
        raise ScenarioFormatError("no scenario files (*.yaml) found", where=str(root))
    return files


def load_tree(root: Path) -> "list[Scenario]":
    """All scenarios under `root`, ids unique across files."""
    seen = {}
    scenarios = []
    for path in scenario_files(root):
        for scenario in load_file(path):
            if scenario.id in seen:
                raise ScenarioFormatError(
                    f"scenario id '{scenario.id}' is already used at {seen[scenario.id]}", where=scenario.location)
            seen[scenario.id] = scenario.location
            scenarios.append(scenario)
    return scenarios


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
