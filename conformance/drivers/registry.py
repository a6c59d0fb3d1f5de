"""drivers/registry.yaml and each driver's manifest (drivers/PROTOCOL.md, sections 1-2)."""

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import yaml

from ..errors import ConformanceError
from ..paths import DRIVERS_DIR

REGISTRY_FILE = DRIVERS_DIR / "registry.yaml"
MANIFEST_VERSIONS = (1,)
REQUIRED = ("manifest", "name", "language", "sdk", "build", "run", "capabilities")


@dataclass(frozen=True)
class Manifest:
    name: str
    language: str
    sdk_name: str
    sdk_registry: str
    default_version: str
    run_command: tuple
    build_command: tuple
    build_timeout: float
    path: Path
    resolve_command: Optional[tuple] = None
    capabilities: tuple = ()
    known_deviations: tuple = ()
    limitations: tuple = ()
    requires_tools: tuple = ()
    only_groups: tuple = ()  # a driver for some groups only (the docs driver: documentation)
    direct_bench_command: Optional[tuple] = None  # the same SDK call in a plain program (conformance.bench)
    doc: dict = field(default_factory=dict)  # {tab, api}: which spec statements speak for this driver
    repro_command: Optional[tuple] = None  # renders a transcript as a standalone program (PROTOCOL section 8)
    versions_command: Optional[tuple] = None  # lists the SDK's releases in a range (PROTOCOL section 3)
    role: str = "sdk"  # sdk | reference (a client without SDK logic, shown beside findings, never scored)
    instance_of: str = ""  # a version column of this driver (conformance/sdk_versions.py); "" = the driver itself
    extra: dict = field(default_factory=dict)

    @property
    def base_name(self) -> str:
        """The driver's registry name, also for a version column of it."""
        return self.instance_of or self.name

    @property
    def driver_dir(self) -> Path:
        return self.path.parent

    def missing_tools(self) -> "list[str]":
        return [tool for tool in self.requires_tools if shutil.which(tool) is None]


def _manifest(name: str, path: Path) -> Manifest:
    where = str(path.relative_to(DRIVERS_DIR.parent)) if path.is_relative_to(DRIVERS_DIR.parent) else str(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConformanceError(f"cannot read the manifest of driver '{name}': {exc}", where=where)
    missing = [key for key in REQUIRED if key not in (data or {})]
    if missing:
        raise ConformanceError(f"manifest lacks {', '.join(missing)} (drivers/PROTOCOL.md, section 2)", where=where)
    if data["manifest"] not in MANIFEST_VERSIONS:
        raise ConformanceError(f"manifest version {data['manifest']} is unknown (known: {MANIFEST_VERSIONS})", where=where)
    if data["name"] != name:
        raise ConformanceError(f"manifest name '{data['name']}' differs from its registry key '{name}'", where=where)
    resolve = data.get("resolve", {}).get("command")
    versions = (data.get("versions") or {}).get("command")
    return Manifest(
        name=name, language=data["language"], sdk_name=data["sdk"]["name"],
        sdk_registry=data["sdk"].get("registry", ""), default_version=str(data["sdk"]["default_version"]),
        run_command=tuple(data["run"]["command"]), build_command=tuple(data["build"]["command"]),
        build_timeout=float(data["build"].get("timeout_seconds", 900)), path=path,
        resolve_command=tuple(resolve) if resolve else None,
        capabilities=tuple(data["capabilities"]), known_deviations=tuple(data.get("known_deviations") or ()),
        limitations=tuple(data.get("limitations") or ()), requires_tools=tuple(data.get("requires_tools") or ()),
        only_groups=tuple(data.get("only_groups") or ()),
        direct_bench_command=tuple(data["bench"]["direct"]) if (data.get("bench") or {}).get("direct") else None,
        doc={**(data.get("doc") or {}), "role": str(data.get("role", "sdk"))},
        repro_command=tuple(data["repro"]["render"]) if (data.get("repro") or {}).get("render") else None,
        versions_command=tuple(versions) if versions else None, role=str(data.get("role", "sdk")),
    )


def load_registry(registry_file: Path = REGISTRY_FILE) -> "dict[str, Manifest]":
    data = yaml.safe_load(registry_file.read_text()) or {}
    return {name: _manifest(name, registry_file.parent / rel) for name, rel in (data.get("drivers") or {}).items()}


def select(registry: "dict[str, Manifest]", requested: "list[str]") -> "list[Manifest]":
    """The drivers named by --driver (all when none), in the order given."""
    if not requested:
        return list(registry.values())
    unknown = [name for name in requested if name not in registry]
    if unknown:
        raise ConformanceError(
            f"unknown driver '{unknown[0]}'; the registry (drivers/registry.yaml) has: {', '.join(registry)}",
            where="--driver",
        )
    return [registry[name] for name in dict.fromkeys(requested)]
