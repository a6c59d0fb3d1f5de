"""The HTML report in a real headless Chromium: it loads without console
errors, the filters work (driven through the address), and a screenshot is
kept with the test output."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from conformance.report.html import render
from conformance.setup import chromium

SAMPLE = Path(__file__).parent / "fixtures" / "report" / "results.json"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not chromium(), reason="no Chromium here (python -m conformance.setup installs it)")


def browse(page: Path, tmp_path: Path, *args: str, fragment: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
                           "--v=0", *args, page.as_uri() + fragment],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def page(tmp_path):
    path = tmp_path / "index.html"
    path.write_text(render(json.loads(SAMPLE.read_text())))
    return path


def visible_rows(dom: str) -> "list[str]":
    rows = re.findall(r'<tr class="scenario( hidden)?" id="row-([^"]+)"', dom)
    return [row_id for hidden, row_id in rows if not hidden]


def test_the_report_loads_without_console_errors_and_is_screenshotted(page, tmp_path):
    shot = Path("reports") / "browser-check.png"
    shot.parent.mkdir(exist_ok=True)
    proc = browse(page, tmp_path, f"--screenshot={shot.resolve()}", "--window-size=1400,1800")
    assert shot.exists() and shot.stat().st_size > 10_000
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if re.search(r"error|uncaught", line, re.I)], console


def test_filters_hide_and_show_rows(page, tmp_path):
    every = visible_rows(browse(page, tmp_path, "--dump-dom").stdout)
    assert set(every) == {"connect.host-port", "raises.handler-not-grpc", "defaults.everything"}
    failing = visible_rows(browse(page, tmp_path, "--dump-dom", fragment="#outcome=fail").stdout)
    assert failing == ["raises.handler-not-grpc"]
    node_only = visible_rows(browse(page, tmp_path, "--dump-dom", fragment="#outcome=pass&driver=node").stdout)
    assert node_only == ["connect.host-port"]
    by_group = visible_rows(browse(page, tmp_path, "--dump-dom", fragment="#group=defaults").stdout)
    assert by_group == ["defaults.everything"]


def test_the_level_filter_and_the_reproducer_are_in_the_page(page, tmp_path):
    should_only = visible_rows(browse(page, tmp_path, "--dump-dom", fragment="#level=should").stdout)
    assert should_only == ["defaults.everything"]
    must_only = visible_rows(browse(page, tmp_path, "--dump-dom", fragment="#level=must").stdout)
    assert set(must_only) == {"connect.host-port", "raises.handler-not-grpc"}
    dom = browse(page, tmp_path, "--dump-dom").stdout
    assert "copy the program" in dom and "connections.connect('main', handler='HTTP')" in dom
    assert "reproduced outside the harness" in dom and "norm: a planted norm" in dom
