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


def _timing(wall, idle, waiting, background_waiting, cells):
    items = {"builds": 1.0, "sdk": 10.0, "waiting": waiting}
    return {"wall_s": wall, "workers": 2, "capacity_s": 2 * wall, "idle_s": idle, "items": items,
            "background": {"waiting": background_waiting}, "background_cells": cells}


def test_the_suites_are_broken_down_and_the_background_compared_with_one_by_one():
    suites = {"drivers": ["python"],
              "full": {"wall_s": 50.0, "start_and_shutdown_s": 4.0, "breakdown": _timing(46.0, 3.0, 0.0, 80.5, 20)},
              "full_one_by_one": {"wall_s": 150.0, "start_and_shutdown_s": 4.0,
                                  "breakdown": _timing(146.0, 20.0, 90.25, 0.0, 0)},
              "full_cold": {"wall_s": 90.0, "failed": "no results.json (exit 4): boom"},
              "full_same_outcomes_as_one_by_one": {"same": 80, "different": {}},
              "full_speedup_from_background": 3.0}
    html = _benchmarks({"benchmarks": {"when": "now", "machine": {"cpus": 2}, "drivers": {}, "suites": suites}})
    assert "3.0× faster with the background" in html and "80 cells with the same outcome, 0 different" in html
    assert "50.0 s (4.0 s start-up and shutdown)" in html
    assert "<td>80.5</td>" in html and "<td>90.25</td>" in html  # background waiting; waiting one by one
    assert "2 × 46.0 s = 92.0 s; idle 3.0 s" in html and "20 cells side by side" in html
    assert "boom" in html  # a run that wrote no results says why
