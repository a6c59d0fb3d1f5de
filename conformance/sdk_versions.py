"""Several versions of one SDK in one run: `--sdk python=2.4.15,2.6.17,3.0.2`,
`--sdk "python=each-minor:>=2.2"`, `--sdk python=latest`.

A driver asked for one version keeps its name as its report column. A driver
asked for several gets one column per resolved version, named
`<driver>-<version>` and placed together; each is a copy of the driver's
manifest with that name (`instance_of` = the driver), so builds, driver
processes and results stay apart per version while the build cache, the
scenario requirements (`requires.sdk`, `requires.drivers`) and the report's
grouping use the driver's own name."""

import json
import re
from pathlib import Path
from dataclasses import replace

from packaging.version import InvalidVersion, Version

from .drivers.build import _run, expand, resolve
from .drivers.registry import Manifest
from .errors import ConformanceError

EACH_MINOR = "each-minor"
_RANGE_OP = re.compile(r"[<>=!~^]")


def parse_sdk_requests(values: "list[str]", drivers: "list[str]") -> "dict[str, list[str]]":
    """--sdk NAME=REQUEST[,REQUEST...] (repeatable) -> driver -> its requests, in the order given.
    A PEP 440 or npm range may itself hold commas (">=2.4,<2.6"): a part that starts with a
    comparison continues the range before it."""
    requests: "dict[str, list[str]]" = {}
    for value in values:
        name, sep, request = value.partition("=")
        if not sep or not name or not request:
            raise ConformanceError(f"'{value}' is not NAME=VERSION[,VERSION...] (e.g. python=2.4.9, "
                                   f"python=2.4.15,2.6.17, \"python=>=2.4,<2.6\", \"python={EACH_MINOR}:>=2.2\" "
                                   f"or python=/path/to/checkout)", where="--sdk")
        if name not in drivers:
            raise ConformanceError(f"'{name}' is not a selected driver (selected: {', '.join(drivers)})",
                                   where=f"--sdk {value}")
        parts: "list[str]" = []
        for part in (p.strip() for p in request.split(",")):
            continues_range = parts and _RANGE_OP.match(part) and (
                _RANGE_OP.match(parts[-1]) or parts[-1].startswith(EACH_MINOR + ":"))
            if continues_range:
                parts[-1] += "," + part
            elif part:
                # a checkout or an artifact named relative to where the user is: the drivers' build commands
                # run in their own folders, so they get the absolute path
                parts.append(str(Path(part).resolve()) if Path(part).exists() else part)
        requests.setdefault(name, []).extend(parts)
    return requests


def published_versions(manifest: Manifest, spec: str) -> "list[str]":
    """Every release of the driver's SDK in `spec` (a range; "" = all), from its registry, through the
    manifest's `versions` command (PROTOCOL section 3)."""
    command = manifest.versions_command
    if not command:
        raise ConformanceError(f"driver '{manifest.name}' cannot list its SDK's releases (no `versions` command in "
                               f"its manifest), so '{EACH_MINOR}' does not apply to it", where=f"--sdk {manifest.name}")
    out = _run(expand(command, manifest, sdk=spec), manifest, 300, f"--sdk {manifest.name}={EACH_MINOR}:{spec}",
               "listing the SDK's releases")
    try:
        return list(json.loads(out.strip().splitlines()[-1])["versions"])
    except (ValueError, KeyError, IndexError):
        raise ConformanceError(f"the versions command of driver '{manifest.name}' printed no "
                               f"{{\"versions\": [...]}} line: {out.strip()[-200:]}", where=str(manifest.path))


def newest_of_each_minor(versions: "list[str]") -> "list[str]":
    """The newest final release of every major.minor line, oldest line first."""
    newest: "dict[tuple, Version]" = {}
    for text in versions:
        try:
            version = Version(text.lstrip("v"))
        except InvalidVersion:
            continue
        if version.is_prerelease or version.is_devrelease:
            continue
        line = version.release[:2]
        if line not in newest or version > newest[line]:
            newest[line] = version
    by_text = {str(Version(t.lstrip("v"))): t for t in versions if _parses(t)}
    return [by_text.get(str(newest[line]), str(newest[line])) for line in sorted(newest)]


def _parses(text: str) -> bool:
    try:
        Version(text.lstrip("v"))
        return True
    except InvalidVersion:
        return False


def expand_requests(registry: "dict[str, Manifest]", drivers: "list[str]",
                    requests: "dict[str, list[str]]") -> "tuple[list[str], dict, dict]":
    """(report columns in order, column -> SDK request, column -> driver for the version columns)."""
    columns, sdk_requests, instances = [], {}, {}
    for driver in drivers:
        asked = requests.get(driver, [])
        if len(asked) <= 1 and not any(a.startswith(EACH_MINOR + ":") or a == EACH_MINOR for a in asked):
            columns.append(driver)
            if asked:
                sdk_requests[driver] = asked[0]
            continue
        manifest = registry[driver]
        versions: "dict[str, str]" = {}  # resolved version -> the request that builds it
        for request in asked:
            if request == EACH_MINOR or request.startswith(EACH_MINOR + ":"):
                for version in newest_of_each_minor(published_versions(manifest, request.partition(":")[2])):
                    versions.setdefault(version, version)
            else:  # the request itself is built (a driver may resolve it to a label it cannot parse back)
                versions.setdefault(resolve(manifest, request), request)
        for version, request in versions.items():
            column = f"{driver}-{re.sub(r'[^A-Za-z0-9_.+-]', '_', version)}"
            columns.append(column)
            sdk_requests[column] = request
            instances[column] = driver
    return columns, sdk_requests, instances


def with_instances(registry: "dict[str, Manifest]", instances: dict) -> "dict[str, Manifest]":
    """The registry plus one manifest per version column (a copy named after the column)."""
    registry = dict(registry)
    for column, driver in instances.items():
        registry[column] = replace(registry[driver], name=column, instance_of=driver)
    return registry
