"""The suite's own power, measured the way mutation testing does: break one behaviour in a local
copy of the real SDK and check that the scenarios about that behaviour, and only they, turn red,
each with a reproducer that shows it. The mutant is pymilvus itself (its released wheel, one
method changed), run through `--sdk python=<checkout>` as an SDK team's CI gate would."""

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("documented_ports")]  # runs the default_port scenarios

VERSION = "3.0.2"  # the python driver's default (drivers/python/driver.yaml)
# What pymilvus 3.0.2 itself fails (the suite's findings against it): red before any mutation.
KNOWN_FINDINGS = {"raises.handler-not-grpc", "raises.pool-unsupported", "params.port-65535-is-valid",
                  "connect.uri-malformed", "defaults.connect-after-failed-default"}


def mutant_checkout(tmp_path: Path, module: str, old: str, new: str) -> Path:
    """pymilvus's released wheel, unpacked into a source tree pip can install, with `old` -> `new`."""
    wheels = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--disable-pip-version-check",
                    f"pymilvus=={VERSION}", "-d", str(wheels)], check=True, timeout=300)
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(next(wheels.glob("*.whl"))).extractall(unpacked)
    checkout = tmp_path / "pymilvus-mutant"
    shutil.copytree(unpacked / "pymilvus", checkout / "pymilvus")
    metadata = next(unpacked.glob("pymilvus-*.dist-info")).joinpath("METADATA").read_text().splitlines()
    requires = [line.split(": ", 1)[1] for line in metadata if line.startswith("Requires-Dist:") and "extra ==" not in line]
    (checkout / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "pymilvus"\nversion = "{VERSION}"\nrequires-python = ">=3.8"\n'
        f"dependencies = {json.dumps(requires)}\n\n"  # a JSON array of strings is a TOML array
        + '[tool.setuptools.packages.find]\ninclude = ["pymilvus*"]\n\n'
        '[tool.setuptools.package-data]\n"*" = ["*.pyi"]\n')
    target = checkout / module
    text = target.read_text()
    assert text.count(old) == 1, f"the mutation's anchor is not unique in {module}"
    target.write_text(text.replace(old, new))
    return checkout


ADDRESS_READERS = {"aliases.registry-lists-all", "aliases.reconnect-after-disconnect-new-address"}


def test_a_registry_that_reports_no_address_turns_exactly_the_registry_scenarios_red(run_suite, tmp_path):
    """The mutant's get_connection_addr drops the address it was given; connecting, calling and
    disconnecting are untouched, so the scenarios that read a connected alias's address, and only they,
    turn red (the unknown alias's empty answer is still empty)."""
    mutant = mutant_checkout(
        tmp_path, "pymilvus/orm/connections.py",
        "        return self._alias_config.get(alias, {})\n",
        "        return {k: v for k, v in self._alias_config.get(alias, {}).items() if k != \"address\"}  # mutant\n")
    run = run_suite("--driver", "python", "--sdk", f"python={mutant}", "-n", "2", timeout=1500)
    assert run.results["drivers"]["python"]["build"]["source"] == str(mutant), run.proc.stdout[-3000:]
    red = {o["scenario"]["id"] for o in run.results["outcomes"] if o["outcome"] in ("fail", "error", "flaky")}
    assert red - KNOWN_FINDINGS == ADDRESS_READERS, run.proc.stdout[-3000:]
    assert KNOWN_FINDINGS <= red  # and what was red before stays red
    (cell,) = [o for o in run.results["outcomes"] if o["scenario"]["id"] == "aliases.registry-lists-all"]
    assert cell["outcome"] == "fail" and cell["level"] == "should" and cell["repro"]["reproduced"] is True
    assert "expected result.address to match" in cell["message"]


DATABASE_READERS = {"db.selected-at-connect", "db.reconnect-to-default"}


def test_a_connection_that_ignores_its_database_turns_exactly_the_database_scenarios_red(run_suite, tmp_path):
    """The mutant's calls carry no database (pymilvus 3 sends the alias's db_name with each call), so the server
    answers them from `default`, whatever db_name the connect was given: the scenarios that list a named database's
    collections, and only they, turn red; the one that connects without a database stays green."""
    mutant = mutant_checkout(
        tmp_path, "pymilvus/orm/connections.py",
        "        db_name = config.get(\"db_name\", \"\")\n",
        "        db_name = \"\"  # mutant\n")
    run = run_suite("--driver", "python", "--sdk", f"python={mutant}", "-n", "2", timeout=1500)
    red = {o["scenario"]["id"] for o in run.results["outcomes"] if o["outcome"] in ("fail", "error", "flaky")}
    assert red - KNOWN_FINDINGS == DATABASE_READERS, run.proc.stdout[-3000:]
    (cell,) = [o for o in run.results["outcomes"] if o["scenario"]["id"] == "db.selected-at-connect"]
    assert cell["outcome"] == "fail" and cell["level"] == "should" and cell["repro"]["reproduced"] is True
    (green,) = [o for o in run.results["outcomes"] if o["scenario"]["id"] == "db.default-when-omitted"]
    assert green["outcome"] == "pass"
