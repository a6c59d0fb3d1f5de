"""Several SDK versions in one run (conformance/sdk_versions.py): parsing --sdk, each-minor, columns."""

import pytest

from conformance.drivers.registry import load_registry
from conformance.errors import ConformanceError
from conformance.sdk_versions import expand_requests, newest_of_each_minor, parse_sdk_requests, with_instances


def test_parse_keeps_ranges_with_commas_and_splits_versions():
    requests = parse_sdk_requests(["python=2.4.15,2.6.17", "node=>=2.4,<2.6", "go=each-minor:>=2.2,<2.5",
                                   "python=3.0.2"], ["python", "node", "go"])
    assert requests == {"python": ["2.4.15", "2.6.17", "3.0.2"], "node": [">=2.4,<2.6"],
                        "go": ["each-minor:>=2.2,<2.5"]}


@pytest.mark.parametrize("value", ["python", "python=", "=2.4", "ruby=1.0"])
def test_parse_refuses_malformed_or_unselected(value):
    with pytest.raises(ConformanceError) as info:
        parse_sdk_requests([value], ["python"])
    assert "--sdk" in str(info.value)


def test_newest_of_each_minor_skips_prereleases_and_orders_lines():
    assert newest_of_each_minor(["2.2.0", "2.2.16", "2.3.0rc1", "2.3.7", "3.0.0b1", "2.10.1", "v2.4.2"]) == \
        ["2.2.16", "2.3.7", "v2.4.2", "2.10.1"]


def test_one_request_keeps_the_driver_as_its_column():
    registry = load_registry()
    columns, requests, instances = expand_requests(registry, ["python", "node"], {"python": ["2.6.17"]})
    assert columns == ["python", "node"] and requests == {"python": "2.6.17"} and instances == {}


def test_version_columns_are_copies_named_after_the_version(monkeypatch):
    registry = load_registry()
    monkeypatch.setattr("conformance.sdk_versions.resolve", lambda manifest, request: {"latest": "3.0.2"}.get(
        request, request))
    columns, requests, instances = expand_requests(registry, ["python", "node"],
                                                   {"python": ["2.6.17", "latest", "3.0.2"]})
    assert columns == ["python-2.6.17", "python-3.0.2", "node"]  # grouped, duplicates once
    assert requests == {"python-2.6.17": "2.6.17", "python-3.0.2": "latest"}  # the request is what is built
    expanded = with_instances(registry, instances)
    assert expanded["python-3.0.2"].base_name == "python" and expanded["python-3.0.2"].name == "python-3.0.2"
    assert expanded["python-3.0.2"].driver_dir == registry["python"].driver_dir


def test_each_minor_needs_a_versions_command():
    registry = load_registry()
    without = [name for name, m in registry.items() if m.versions_command is None]
    assert without, "every driver lists its versions: pick another test subject"
    with pytest.raises(ConformanceError) as info:
        expand_requests(registry, [without[0]], {without[0]: ["each-minor:>=1"]})
    assert "each-minor" in str(info.value)


def test_each_minor_resolves_from_the_real_registry():
    """The python driver's versions command against PyPI (skipped when PyPI does not answer)."""
    from conformance.sdk_versions import published_versions

    registry = load_registry()
    try:
        listed = published_versions(registry["python"], ">=2.5,<3")
    except ConformanceError as exc:
        pytest.skip(f"PyPI not reachable: {exc}")
    columns, requests, _ = expand_requests(registry, ["python"], {"python": ["each-minor:>=2.5,<3"]})
    assert [requests[c] for c in columns] == newest_of_each_minor(listed)
    assert [c.rsplit(".", 1)[0] for c in columns] == ["python-2.5", "python-2.6"]


def test_a_file_or_folder_named_relative_to_the_user_reaches_the_driver_absolute(tmp_path, monkeypatch):
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "pymilvus-3.0.2-py3-none-any.whl").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    requests = parse_sdk_requests(["python=dist/pymilvus-3.0.2-py3-none-any.whl"], ["python"])
    assert requests == {"python": [str(tmp_path / "dist" / "pymilvus-3.0.2-py3-none-any.whl")]}
