"""conformance.history: an SDK's releases side by side, and when each outcome changed."""

import json
import subprocess
import sys

import pytest

from conformance.history import Store, changes, page
from conformance.paths import REPO_ROOT


def test_changes_name_the_release_where_the_judged_outcome_changed():
    row = [("0.3.2", "pass"), ("0.3.3", "pass"), ("0.4.0", "fail"), ("0.4.1", "skip"), ("1.0.0", "fail")]
    assert changes(row) == ["fails since 0.4.0"]
    assert changes([("1", "fail"), ("2", "pass"), ("3", "fail")]) == ["passes since 2", "fails since 3"]
    assert changes([("1", "skip"), ("2", None)]) == []


def test_a_stored_result_is_reused_only_for_the_same_file_and_driver(tmp_path):
    store = Store("cli", "embedded", "driver-hash-1", str(tmp_path))
    store.put("0.3.3", "scenarios/a.yaml", "h1", [{"scenario": "a.x", "outcome": "pass"}])
    assert store.get("0.3.3", "scenarios/a.yaml", "h1")["outcomes"][0]["outcome"] == "pass"
    assert store.get("0.3.3", "scenarios/a.yaml", "h2") is None  # the file changed
    assert Store("cli", "embedded", "driver-hash-2", str(tmp_path)).get("0.3.3", "scenarios/a.yaml", "h1") is None


def test_the_page_shows_each_release_and_the_change():
    html = page("cli", "embedded", ["0.3.3", "0.4.0"], {"docs.example.cli": {"0.3.3": "pass", "0.4.0": "fail"}},
                {"docs.example.cli": "the CLI example"})
    assert "fails since 0.4.0" in html and "0.3.3" in html and "the CLI example" in html


@pytest.mark.slow
def test_the_doc_cli_syntax_fails_from_the_release_that_dropped_it_and_a_second_call_reuses(tmp_path):
    """milvus-cli 0.3.3 takes the page's `connect -h ... -p ... -a ...`; 0.4.0 dropped -h/-p for -uri. Found by the
    suite (the doc's own CLI example, run with each release), then the same call again runs nothing."""
    def history():
        proc = subprocess.run([sys.executable, "-m", "conformance.history", "--driver", "cli", "--versions",
                               ">=0.3.3,<0.4.1", "--store", str(tmp_path / "store"), "--report-dir",
                               str(tmp_path / "reports")], cwd=REPO_ROOT, capture_output=True, text=True, timeout=3000)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc.stdout, json.loads((tmp_path / "reports" / "history" / "cli" / "history.json").read_text())

    out, first = history()
    assert first["versions"] == ["0.3.3", "0.4.0"] and first["ran"] == 2, out
    assert first["outcomes"]["docs.example.cli"] == {"0.3.3": "pass", "0.4.0": "fail"}, out
    assert first["changes"]["docs.example.cli"] == ["fails since 0.4.0"], out
    assert len(first["outcomes"]) > 20  # the cli driver's own scenarios too
    out, second = history()
    assert second["ran"] == 0 and second["outcomes"] == first["outcomes"], out
    assert "all results reused from the store, nothing run" in out
    assert (tmp_path / "reports" / "history" / "cli" / "index.html").exists()
