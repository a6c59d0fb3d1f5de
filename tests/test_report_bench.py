"""The report's benchmark table: a row per driver and workload, the ratio with its range and the target."""

from conformance.report.html import _benchmarks


def _workload(ratio, spread, within, direct=0.3):
    return {"calls": 500, "harness_median_ms": round(direct * ratio, 4), "sdk_median_ms": 0.33,
            "direct_median_ms": direct, "overhead_vs_direct": ratio, "overhead_vs_direct_range": spread,
            "overhead_vs_sdk": 1.2, "harness_cpu_us_per_step": 87.5, "within_target": within, "rounds": [{}] * 5}


def test_each_workload_is_a_row_with_ratio_range_and_target_verdict():
    bench = {"when": "2026-11-30T00:00:00Z", "machine": {"cpus": 2}, "servers": {"embedded_s": 3.1},
             "overhead_target": 1.1, "workloads": {"server_version": "cheapest", "connect_disconnect": "typical"},
             "drivers": {
                 "go": {"startup_s": 0.02, "noop_step_median_ms": 0.03, "noop_step_share_of_direct": 0.1,
                        "one_at_a_time_median_ms": 0.5,
                        "workloads": {"server_version": _workload(1.4, [1.3, 1.6], False),
                                      "connect_disconnect": _workload(1.05, [0.98, 1.2], True, direct=1.9)}},
                 "cli": {"startup_s": 0.9, "workloads": {"server_version": {
                     "calls": 500, "harness_median_ms": 50.0, "sdk_median_ms": 49.8, "overhead_vs_sdk": 1.004,
                     "direct": "not measured: the manifest has no bench.direct program", "rounds": [{}]}}},
                 "http": {"startup_s": 0.1, "skipped": "no server_version capability"}}}
    html = _benchmarks({"benchmarks": bench})
    assert html.count("<tr>") == 1 + 2 + 1 + 1  # header, go's two workloads, cli's one, http's reason
    assert "1.4 (target ≤ 1.1)" in html and "1.3–1.6 over 5 rounds" in html  # not within target: said so
    assert "1.05 ✓" in html  # within target
    assert "no bench.direct program" in html and "no server_version capability" in html
    assert "<td>87.5</td>" in html  # the harness's own CPU per step
    assert "0.03 (10%)" in html and "cheapest" in html and "typical" in html


def test_a_benchmark_from_the_older_format_asks_for_a_new_run():
    old = {"drivers": {"go": {"harness_median_ms": 0.4, "sdk_median_ms": 0.35}}}
    assert "run <code>python -m conformance.bench</code> again" in _benchmarks({"benchmarks": old})


def test_no_benchmark_says_how_to_get_one():
    assert "python -m conformance.bench" in _benchmarks({})
