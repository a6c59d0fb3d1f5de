"""The `open_many` result (drivers/PROTOCOL.md, section 5) from what a Python driver measured: one
place for the counts, the earliest failure and the latency percentiles (nearest rank)."""


def summary(requested: int, opened: int, outcomes: list, failures: list, latencies: list) -> dict:
    """outcomes: 1 verified, 0 failed, None not attempted; failures: [(seconds after start, error)];
    latencies: ms per verified connection."""
    failures, latencies = sorted(failures, key=lambda f: f[0]), sorted(latencies)
    return {"requested": requested, "opened": opened, "verified": outcomes.count(1), "failed": outcomes.count(0),
            "not_attempted": outcomes.count(None), "first_error": failures[0][1] if failures else None,
            "first_error_after_s": round(failures[0][0], 3) if failures else None,
            "latency_p50_ms": round(latencies[len(latencies) // 2], 3) if latencies else None,
            "latency_p99_ms": round(latencies[int(len(latencies) * 0.99)], 3) if latencies else None}
