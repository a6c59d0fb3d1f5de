"""Which driver and SDK version a report column is: `python-3.0.2` is the python driver at 3.0.2
(a version column, --sdk python=3.0.2,...), `go-client-v2` a driver of its own."""

import re


def driver_and_version(name: str, info: dict) -> "tuple[str, str]":
    """(driver, SDK version) of the column driver `name`, whose entry in results.json's `drivers` is
    `info`. The entry says it when it can (instance_of, sdk.version); the name is read otherwise
    (a results.json without the entry): a version starts with a digit."""
    version = str((info.get("sdk") or {}).get("version") or "")
    if info.get("instance_of"):
        return info["instance_of"], version
    if version:
        return (name[: -len(version) - 1] if name.endswith(f"-{version}") else name), version
    match = re.fullmatch(r"(.+?)-(\d[\w.+-]*)", name)
    return (match[1], match[2]) if match else (name, "")
