"""Scenarios and spec statements as the runner sees them, after loading and validation."""

from dataclasses import dataclass, field
from typing import Optional

# Requirement levels, weakest first (scenarios/FORMAT.md, "Levels"): must - the spec page says so;
# should - the SDK's own documentation does, or a robustness norm argued in one sentence;
# info - an observation with no right answer, never a pass or a fail.
LEVELS = ("info", "should", "must")


@dataclass(frozen=True)
class Statement:
    id: str
    level: str
    en: str
    applies_to: tuple = ()  # page tabs or SDK APIs (a manifest's doc.tab / doc.api); empty: every driver
    section: str = ""
    zh: str = ""
    source: dict = field(default_factory=dict)  # should: {sdk, link, quote} or {norm}
    question: str = ""  # info: what is observed

    def speaks_for(self, doc: dict) -> bool:
        """Whether this statement applies to a driver whose manifest says `doc` ({tab, api})."""
        return not self.applies_to or bool({doc.get("tab"), doc.get("api")} & set(self.applies_to))

    def to_json(self) -> dict:
        return {k: v for k, v in {"id": self.id, "level": self.level, "en": self.en, "zh": self.zh,
                                  "section": self.section, "applies_to": list(self.applies_to),
                                  "source": self.source, "question": self.question}.items() if v}


@dataclass(frozen=True)
class Requirements:
    profile: str = "plain"
    server_version: Optional[str] = None  # PEP 440 range, e.g. ">=2.3"
    capabilities: tuple = ()
    sdk: dict = field(default_factory=dict)  # driver name -> version range
    drivers: tuple = ()  # only these drivers run it (documentation examples: the docs driver)
    private_server: bool = False  # a server of its own, which its steps may stop, pause, restart

    @classmethod
    def merged(cls, outer: dict, inner: dict) -> "Requirements":
        """File-level requirements, refined by the scenario's own."""
        data = {**outer, **inner}
        caps = tuple(dict.fromkeys(list(outer.get("capabilities", [])) + list(inner.get("capabilities", []))))
        return cls(
            profile=data.get("profile", "plain"),
            server_version=data.get("server_version"),
            capabilities=caps,
            sdk={**outer.get("sdk", {}), **inner.get("sdk", {})},
            drivers=tuple(data.get("drivers", ())),
            private_server=bool(data.get("private_server", False)),
        )


HARNESS_OPS = ("server", "proxy", "limit")  # steps the harness performs itself, between driver steps


@dataclass(frozen=True)
class Step:
    op: str
    args: dict
    expect: dict  # {"ok": True} when the file gives none
    line: int
    note: str = ""
    deadline_seconds: Optional[float] = None
    optional_args: tuple = ()


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    spec: tuple
    group: str
    tags: tuple
    requires: Requirements
    steps: tuple
    path: str
    line: int
    description: str = ""
    level: str = "must"  # the highest level a cell of this scenario can have (its statements decide per driver)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "spec": list(self.spec), "group": self.group,
                "tags": list(self.tags), "file": self.location, "description": self.description,
                "level": self.level}

