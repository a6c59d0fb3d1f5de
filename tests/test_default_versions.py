"""The manifests' default SDK versions are the newest releases their registries serve (pinned in the
manifests, so runs are reproducible; this test says when a pin has fallen behind)."""

import pytest
from packaging.version import InvalidVersion, Version

from conformance.drivers.build import resolve
from conformance.drivers.registry import load_registry
from conformance.errors import ConformanceError

REGISTRIES = ("pypi", "npm", "go", "maven")
MANIFESTS = {name: m for name, m in load_registry().items() if m.sdk_registry in REGISTRIES and m.resolve_command}


def _version(text: str) -> Version:
    return Version(text.lstrip("v"))


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_default_version_is_the_newest_release(name):
    manifest = MANIFESTS[name]
    try:
        newest = resolve(manifest, "latest")
    except ConformanceError as exc:
        pytest.skip(f"the {manifest.sdk_registry} registry did not answer: {exc}")
    try:
        behind = _version(manifest.default_version) < _version(newest)
    except InvalidVersion:
        pytest.fail(f"{manifest.path}: default_version {manifest.default_version!r} or the newest release "
                    f"{newest!r} is not a version")
    assert not behind, (f"{manifest.path}: default_version {manifest.default_version} is older than the newest "
                        f"release {newest} that `resolve latest` finds; pin the newest")


def test_the_docs_driver_runs_each_example_with_its_siblings_default():
    """The spec page's examples run with the SDK versions the language drivers default to."""
    import importlib.util

    from conformance.paths import DRIVERS_DIR

    spec = importlib.util.spec_from_file_location("docs_build", DRIVERS_DIR / "docs" / "build.py")
    docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(docs)
    registry = load_registry()
    siblings = {"python": "python", "cli": "cli", "node": "node", "go": "go", "java": "java"}
    assert {lang: registry[name].default_version for lang, name in siblings.items()} == docs.DEFAULTS
