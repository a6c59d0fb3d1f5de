"""Several SDK versions and server implementations side by side in one real run (sdk_versions.py, servers/lite.py),
and the reference client beside the SDKs."""

import pytest


@pytest.mark.slow
def test_two_sdk_versions_on_two_server_implementations_give_four_labelled_columns(run_suite):
    run = run_suite("--driver", "python", "--sdk", "python=2.6.17,3.0.2", "--server", "embedded,milvus-lite",
                    "--scenarios", "scenarios/connect/host-port.yaml", "-n", "2", timeout=1500)
    columns = [c["column"] for c in run.results["columns"]]
    assert columns == ["python-2.6.17@2.3.5", "python-2.6.17@milvus-lite-3.2.2",
                       "python-3.0.2@2.3.5", "python-3.0.2@milvus-lite-3.2.2"], run.proc.stdout[-3000:]
    by_column = {}
    for outcome in run.results["outcomes"]:
        by_column.setdefault(outcome["column"], []).append(outcome)
    for column in columns:
        ran = [o for o in by_column[column] if o["outcome"] == "pass"]
        assert ran, f"{column}: nothing passed\n{run.proc.stdout[-3000:]}"
        assert all(o["outcome"] != "error" for o in by_column[column]), run.proc.stdout[-3000:]
    versions = {c: {o["driver_info"]["sdk"]["version"] for o in by_column[c] if o.get("driver_info")} for c in columns}
    assert versions["python-2.6.17@milvus-lite-3.2.2"] == {"2.6.17"} and versions["python-3.0.2@2.3.5"] == {"3.0.2"}
    servers = {o["column"]: (o.get("server") or {}).get("provider") for o in run.results["outcomes"] if o.get("server")}
    assert servers["python-3.0.2@milvus-lite-3.2.2"] == "milvus-lite" and servers["python-3.0.2@2.3.5"] == "embedded"
    html = (run.report_dir / "index.html").read_text()
    assert "Milvus Lite 3.2.2" in html and "python-2.6.17" in html
    # provenance: the suite's commit, each SDK's wheel and digest, the Milvus binary's digest
    provenance = run.results["provenance"]
    assert len(provenance["suite"]["commit"]) == 40 and provenance["suite"]["dirty"] in (True, False)
    wheel = provenance["sdks"]["python-3.0.2"]["artifact"]
    assert wheel["file"] == "pymilvus-3.0.2-py3-none-any.whl" and wheel["digest"].startswith("sha256:"), wheel
    embedded = [s for s in provenance["servers"].values() if s["provider"] == "embedded"]
    assert embedded and all(s["artifact"]["digest"].startswith("sha256:") for s in embedded)
    assert "Provenance: suite " in html and "pymilvus-3.0.2-py3-none-any.whl sha256:" in html


@pytest.mark.slow
def test_what_milvus_lite_has_no_option_for_is_skipped_with_the_reason(run_suite):
    run = run_suite("--driver", "python", "--server", "milvus-lite", "--scenarios", "scenarios/auth/credentials.yaml",
                    "-k", "auth.wrong-password or auth.credentials-on-plain-server", timeout=900)
    outcomes = {o["scenario"]["id"]: o for o in run.results["outcomes"]}
    assert outcomes["auth.wrong-password"]["outcome"] == "skip", run.proc.stdout[-3000:]
    assert "authorization" in outcomes["auth.wrong-password"]["message"] and "milvus-lite" in \
        outcomes["auth.wrong-password"]["message"]
    assert outcomes["auth.credentials-on-plain-server"]["outcome"] == "pass", run.proc.stdout[-3000:]


def test_an_unknown_server_kind_is_a_clear_error(run_suite):
    run = run_suite("--server", "embedded,mongo", "--driver", "python", timeout=120)
    assert run.proc.returncode != 0
    assert "--server embedded,mongo" in run.proc.stderr + run.proc.stdout
    assert "'mongo' is not a server kind" in run.proc.stderr + run.proc.stdout


def test_an_image_needs_the_container_server(run_suite):
    run = run_suite("--image", "milvusdb/milvus:v2.3.5", "--driver", "python", timeout=120)
    assert run.proc.returncode != 0
    assert "--image milvusdb/milvus:v2.3.5" in run.proc.stderr + run.proc.stdout
    assert "add --server container" in run.proc.stderr + run.proc.stdout


@pytest.mark.slow
def test_the_reference_client_runs_against_both_server_implementations(run_suite):
    run = run_suite("--driver", "grpc", "--server", "embedded,milvus-lite", "--scenarios",
                    "scenarios/connect/host-port.yaml", timeout=900)
    by_column = {}
    for outcome in run.results["outcomes"]:
        by_column.setdefault(outcome["column"], []).append(outcome)
    assert set(by_column) == {"grpc@2.3.5", "grpc@milvus-lite-3.2.2"}, run.proc.stdout[-3000:]
    for column, outcomes in by_column.items():
        assert any(o["outcome"] == "pass" for o in outcomes), f"{column}\n{run.proc.stdout[-3000:]}"
        assert all(o["outcome"] != "error" and o["role"] == "reference" for o in outcomes), run.proc.stdout[-3000:]
