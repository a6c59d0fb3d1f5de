"""Driver builds: cached per version, a checkout rebuilt once per run, clear errors."""

from pathlib import Path

import pytest

from conformance.drivers.build import DriverUnavailable, prepare
from conformance.drivers.registry import Manifest
from conformance.errors import ConformanceError

COUNTER = Path(__file__).parent / "fakes" / "build_counter.py"


@pytest.fixture
def manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("MILVUS_CONFORMANCE_CACHE", str(tmp_path / "cache"))
    return Manifest(name="counter", language="python", sdk_name="none", sdk_registry="test",
                    default_version="1.0", run_command=("true",),
                    build_command=("{python}", str(COUNTER), "build", "{sdk}", "{build_dir}"),
                    resolve_command=("{python}", str(COUNTER), "resolve", "{sdk}"), build_timeout=60,
                    path=COUNTER)


def builds(tmp_path) -> "list[str]":
    log = tmp_path / "cache" / "drivers" / "counter" / "builds.log"
    return log.read_text().split() if log.exists() else []


def test_a_version_is_built_once_and_then_reused(manifest, tmp_path):
    first = prepare(manifest, "1.0", run_id="a")
    again = prepare(manifest, "", run_id="b")  # "" = the manifest's default, 1.0
    assert first == again and first.version == "1.0-built"
    assert builds(tmp_path) == ["1.0"]
    prepare(manifest, "2.0", run_id="b")
    assert builds(tmp_path) == ["1.0", "2.0"]


def test_a_local_checkout_is_rebuilt_once_per_run(manifest, tmp_path):
    checkout = tmp_path / "sdk-checkout"
    checkout.mkdir()
    for run_id in ("one", "one", "two"):
        prepare(manifest, str(checkout), run_id=run_id)
    assert builds(tmp_path) == [str(checkout)] * 2


def test_a_version_that_does_not_exist_names_the_setting(manifest):
    with pytest.raises(ConformanceError) as info:
        prepare(manifest, "missing", run_id="a")
    assert str(info.value) == ("--sdk counter=missing: resolving the SDK version of driver 'counter' failed: "
                               "sdk missing does not exist (newest: 1.0)")


def test_a_missing_toolchain_makes_the_driver_unavailable(manifest):
    import dataclasses

    needy = dataclasses.replace(manifest, requires_tools=("no-such-tool-here",))
    with pytest.raises(DriverUnavailable, match="needs no-such-tool-here, not found on PATH"):
        prepare(needy, "1.0", run_id="a")

