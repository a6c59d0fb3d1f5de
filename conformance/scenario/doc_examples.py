"""The spec page's own code examples, as scenarios of the `documentation` group.

The page has a connect and a disconnect section, each with one example per
tab (Python, Node.js, Go, Java, CLI, Curl, in the same order in both). Every
fence is labelled `python` whatever its language; the `docs` driver detects
the language and runs each example as written, with only host, port and
credentials substituted (drivers/docs/). Two scenarios per tab: the fence
label is right (should: a fence's label names its language; the docs driver
asks that language's own parser), and the example works (must: the page's
examples connect and disconnect)."""

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScenarioFormatError
from .model import Requirements, Scenario, Step

GROUP = "documentation"
DOCS_DRIVER = "docs"
TABS = ("python", "node", "go", "java", "cli", "curl")
TAB_STATEMENTS = {
    "python": ["connect.python.alias", "connect.python.user-password", "connect.python.host", "connect.python.port"],
    "node": ["connect.node.address", "connect.node.username-password", "connect.node.ssl-default-false"],
    "go": ["connect.go.addr"],
    "java": ["connect.java.host-port"],
    "cli": ["connect.cli.defaults", "connect.cli.disconnect-flag"],
    "curl": ["connect.curl.health", "ports.http-9091"],
}
SECTION_PATTERNS = {"connect": re.compile(r"连接到Milvus服务器|connect to a milvus server", re.I),
                    "disconnect": re.compile(r"断开连接|disconnect from a milvus server", re.I)}
FENCE = re.compile(r"^```(\S*)\s*$")
EXAMPLE_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Fence:
    section: str
    label: str
    code: str
    line: int


def _headings(lines):
    """(line index, text) of every heading, ATX (#) or setext (underlined)."""
    found = []
    for i, line in enumerate(lines):
        if re.match(r"^#{1,6}\s", line):
            found.append((i, line.lstrip("#").strip()))
        elif i > 0 and re.match(r"^(-{2,}|={2,})\s*$", line) and lines[i - 1].strip():
            found.append((i - 1, lines[i - 1].strip()))
    return found


def fences(text: str) -> "list[Fence]":
    lines = text.splitlines()
    top_level = [(i, t) for i, t in _headings(lines) if not lines[i].startswith("###")]
    section_at = {}
    for i, title in top_level:
        for name, pattern in SECTION_PATTERNS.items():
            if pattern.search(title):
                section_at[i] = name
    found, section, open_at, label, body = [], None, None, "", []
    for i, line in enumerate(lines):
        if open_at is None and i in dict(top_level):
            section = section_at.get(i)
        match = FENCE.match(line)
        if match and open_at is None:
            open_at, label, body = i, match.group(1), []
        elif line.strip() == "```" and open_at is not None:
            if section:
                found.append(Fence(section, label, "\n".join(body).strip("\n") + "\n", open_at + 1))
            open_at = None
        elif open_at is not None:
            body.append(line)
    return found


def example_scenarios(spec_path: Path) -> "list[Scenario]":
    try:
        text = spec_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioFormatError(f"cannot read the spec page: {exc.strerror}", where=str(spec_path))
    by_section = {"connect": [], "disconnect": []}
    for fence in fences(text):
        by_section[fence.section].append(fence)
    if len(by_section["connect"]) != len(TABS):
        raise ScenarioFormatError(
            f"expected {len(TABS)} examples ({', '.join(TABS)}) in the connect section, found "
            f"{len(by_section['connect'])}", where=str(spec_path))
    requires = Requirements(profile="plain", capabilities=("doc_examples",), drivers=(DOCS_DRIVER,))
    scenarios = []
    for index, (tab, connect) in enumerate(zip(TABS, by_section["connect"])):
        disconnect = by_section["disconnect"][index] if index < len(by_section["disconnect"]) else None
        spec = tuple(TAB_STATEMENTS[tab] + ["connect.example-values"] + (["disconnect.closes"] if disconnect else []))
        fence_list = [connect] + ([disconnect] if disconnect else [])
        scenarios.append(Scenario(
            id=f"docs.labels.{tab}", title=f"The {tab} tab's code fences are labelled with their language",
            spec=("norm.code-fence-label",), group=GROUP, tags=("quick", "docs"), requires=requires,
            path=str(spec_path), line=connect.line, level="should",
            steps=tuple(Step(op="classify_example", args={"code": f.code, "label": f.label, "tab": tab},
                             expect={"ok": True, "result": {"label_matches": True}}, line=f.line)
                        for f in fence_list),
        ))
        args = {"tab": tab, "code": connect.code, "host": "${server.host}", "grpc_port": "${server.grpc_port}",
                "http_port": "${server.http_port}", "user": "${server.user}", "password": "${server.password}",
                "timeout": EXAMPLE_TIMEOUT_SECONDS}
        if disconnect:
            args["disconnect_code"] = disconnect.code
        scenarios.append(Scenario(
            id=f"docs.example.{tab}",
            title=f"The {tab} tab's examples (connect{', then disconnect' if disconnect else ''}) run as written",
            spec=spec, group=GROUP, tags=("quick", "docs"), requires=requires, path=str(spec_path),
            line=connect.line, level="must",
            steps=(Step(op="run_example", args=args, expect={"ok": True}, line=connect.line,
                        deadline_seconds=EXAMPLE_TIMEOUT_SECONDS + 60),),
        ))
    return scenarios
