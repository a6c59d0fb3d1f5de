"""The same server, three providers: an embedded process, a container built
locally from the same PyPI `milvus` package, and a server given by URI. The
quick suite through the python driver gives the same outcome in every cell
that all three ran (a URI server is one profile, so the others are skipped
there, with that reason)."""

import json
import subprocess
import sys

import pytest

from conformance.paths import REPO_ROOT
from conformance.servers.container import engine_unavailable_reason

from suite_runs import agreeing_runs, messages

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("documented_ports")]


@pytest.fixture
def uri_server():
    """A plain server started by hand, as a user's existing server would be."""
    proc = subprocess.Popen([sys.executable, "-m", "conformance.servers", "--profile", "plain"], cwd=REPO_ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    endpoint = json.loads(proc.stdout.readline())
    yield endpoint
    proc.stdin.close()
    proc.wait(timeout=60)


def test_embedded_container_and_uri_agree(run_suite, uri_server):
    reason = engine_unavailable_reason()
    if reason:
        pytest.skip(f"no Docker engine: {reason}")
    common = ("--driver", "python", "--suite", "quick")
    embedded_run, container_run, differ = agreeing_runs(lambda: run_suite(*common),
                                                        lambda: run_suite(*common, "--server", "container"))
    assert differ == {}, (differ, messages(embedded_run, differ), messages(container_run, differ))
    embedded = embedded_run.outcomes()
    given = run_suite(*common, "--milvus-uri", f"http://127.0.0.1:{uri_server['grpc_port']}",
                      "--milvus-http-port", str(uri_server["http_port"])).outcomes()
    ran_everywhere = [cell for cell, outcome in given.items() if outcome != "skip"]
    assert len(ran_everywhere) >= 10
    assert {cell: given[cell] for cell in ran_everywhere} == {cell: embedded[cell] for cell in ran_everywhere}
    skipped = [cell for cell, outcome in given.items() if outcome == "skip" and embedded[cell] != "skip"]
    assert skipped  # auth and default-port scenarios cannot run on a single plain server
