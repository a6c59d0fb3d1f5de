"""Where things live: the repository's folders and the per-user build cache."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = REPO_ROOT / "scenarios"
SCHEMA_DIR = SCENARIOS_DIR / "schema"
DRIVERS_DIR = REPO_ROOT / "drivers"
DEFAULT_REPORTS_DIR = REPO_ROOT / "reports"
CONFORMANCE_DIR = REPO_ROOT / "conformance"
# A copy of the spec page, so a clean clone has it (the original: ../shared/spec).
SPEC_DIR = REPO_ROOT / "spec"
SPEC_FILE = SPEC_DIR / "manage-connections.zh.md"


def cache_dir() -> Path:
    """SDK builds and server binaries, keyed by version, reused across runs."""
    root = os.environ.get("MILVUS_CONFORMANCE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "milvus-conformance"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path
