"""The report's full-scale limit table: what was reached, its costs, and the plot over time."""

from conformance.report.html import _limits


def _entry(result):
    return {"outcome": "skip", "driver": "go", "column": "go", "scenario": {"id": "limits.documented-limit"},
            "transcript": [{"op": "limit", "response": {"ok": True, "result": result}}]}


def test_a_limit_row_shows_reach_costs_first_error_and_three_series_over_time():
    result = {"target": 65536, "ceiling": 19744, "verified": 19744, "server_tcp": {"at_peak": 19744},
              "connect_rate_per_s": 698.0, "latency_p50_ms": 151.5, "latency_p99_ms": 570.8,
              "server_bytes_per_connection": 167726, "client_bytes_per_connection": 84259,
              "server_cpu_ms_per_connection": 1.142, "client_cpu_ms_per_connection": 1.54, "cpu_bound_per_s": 746,
              "first_error": {"category": "unavailable"}, "first_error_after_s": 12.5,
              "connections_over_time": [[0, 0, 300, 20], [10.0, 9000, 1800, 700], [20.0, 19744, 3400, 1600]]}
    html = _limits({"outcomes": [_entry(result)]})
    for shown in ("19,744", "698.0", "151.5 / 570.8", "1.142 / 1.54", "bound 746/s", "after 12.5 s",
                  "3,400 MiB", "1,600 MiB"):
        assert shown in html, shown
    assert html.count("<polyline") == 3


def test_older_samples_with_connections_only_still_plot():
    result = {"target": 100, "ceiling": 100, "verified": 100, "server_tcp": {"at_peak": 100},
              "connect_rate_per_s": 50.0, "connections_over_time": [[0, 0], [1.0, 100]]}
    html = _limits({"outcomes": [_entry(result)]})
    assert html.count("<polyline") == 1 and ">100<" in html


def test_no_limit_run_says_how_to_get_one():
    assert "--full-scale" in _limits({"outcomes": []})
