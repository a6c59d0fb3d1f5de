"""Results of a real `pytest conformance` run started by a test, and how two runs compare."""

import json
from pathlib import Path


class SuiteRun:
    def __init__(self, proc, report_root: Path):
        self.proc = proc
        self.report_root = report_root
        # read now: a later run into the same report root moves `latest` to its own report
        latest = report_root / "latest" / "results.json"
        self.report_dir = latest.parent.resolve() if latest.exists() else None

    @property
    def results(self) -> dict:
        if self.report_dir is None:
            raise AssertionError(f"the run wrote no results.json under {self.report_root}:\n"
                                 f"{self.proc.stdout[-3000:]}\n{self.proc.stderr[-3000:]}")
        return json.loads((self.report_dir / "results.json").read_text())

    def outcomes(self) -> "dict[str, str]":
        return {f"{o['scenario']['id']}[{o['driver']}]": o["outcome"] for o in self.results["outcomes"]}

    def port_taken_skips(self) -> "set[str]":
        """Cells skipped because a documented port was taken (by another test running at the same time)."""
        return {f"{o['scenario']['id']}[{o['driver']}]" for o in self.results["outcomes"]
                if o["outcome"] == "skip" and "which is taken" in o["message"]}


def messages(run: SuiteRun, cells) -> "dict[str, str]":
    """What each of these cells said (for an assertion message: why an outcome differs)."""
    def said(o):  # a flaky cell has no message of its own: what its attempts failed with
        attempts = "; ".join(f"attempt {n}: {a['outcome']} {a.get('failure') or ''}"
                             for n, a in enumerate(o.get("attempts") or [], 1))
        return ((o.get("message") or "") + (" " + attempts if attempts else ""))[:900]
    return {f"{o['scenario']['id']}[{o['driver']}]": said(o)
            for o in run.results["outcomes"] if f"{o['scenario']['id']}[{o['driver']}]" in cells}


def differences(a: SuiteRun, b: SuiteRun) -> dict:
    """Cells whose outcomes differ, leaving out those a taken port explains."""
    explained = a.port_taken_skips() | b.port_taken_skips()
    first, second = a.outcomes(), b.outcomes()
    return {cell: (first.get(cell), second.get(cell)) for cell in set(first) | set(second)
            if first.get(cell) != second.get(cell) and cell not in explained}


def agreeing_runs(make_a, make_b) -> "tuple[SuiteRun, SuiteRun, dict]":
    """Two runs (make_a(), make_b()) and their differences. When every difference is a cell one run
    calls flaky (its two attempts disagreed, both recorded), that run is made once more: a rare
    intermittent of an SDK or a loaded machine does not recur, a difference the run's way of running
    causes does (and stays a difference). The re-run is printed, so it is never silent."""
    a, b = make_a(), make_b()
    differ = differences(a, b)
    if differ and all("flaky" in pair for pair in differ.values()):
        print(f"intermittent, running again: {differ}; {messages(a, differ)}; {messages(b, differ)}")
        if any(pair[0] == "flaky" for pair in differ.values()):
            a = make_a()
        if any(pair[1] == "flaky" for pair in differ.values()):
            b = make_b()
        differ = differences(a, b)
    return a, b, differ


def assert_refused(run: SuiteRun, *said: str) -> None:
    """A run given an --sdk request it must refuse (a file that is no artifact of the SDK): it fails,
    and its output says each of `said` (the request, the file and what was expected)."""
    output = run.proc.stdout + run.proc.stderr
    assert run.proc.returncode != 0, output[-3000:]
    for expected in said:
        assert expected in output, (expected, output[-3000:])
