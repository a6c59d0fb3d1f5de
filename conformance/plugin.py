"""The pytest plugin: `pytest conformance` runs every scenario through every
selected driver against real servers, and writes the report.

Outcomes: a scenario's steps run in the item's setup, so a driver, build or
server problem is a pytest *error*; an unmet expectation is raised in the
call phase, a *fail* carrying the SDK's evidence; a missing capability or
server profile, a scenario whose statements do not speak for the driver, or
an expectation met by a driver-made answer is a *skip* with its reason; a
known deviation declared by the driver is an *xfail* (and a fail once it
stops deviating). A fail or an error is confirmed in a fresh driver process:
a different second outcome is *flaky*; a confirmed fail is reproduced by a
standalone program outside the harness, and one that does not reproduce is an
*error*. An info cell records what happened: *observed*."""

import json
import os
from pathlib import Path

import pytest

from .drivers.build import DriverUnavailable
from .drivers.registry import load_registry, select
from .sdk_versions import expand_requests, parse_sdk_requests, with_instances
from .errors import ConformanceError, DriverError, ScenarioFormatError, ServerStartError, ServerUnavailable
from .execution import run_scenario
from .ahead import prepare_ahead
from .overlap import Background, attempt_from_store, background_order, is_background
from .paths import CONFORMANCE_DIR, DEFAULT_REPORTS_DIR, SCENARIOS_DIR, SPEC_FILE
from .report import gate
from .report import results as report_results
from .run import (RunContext, check_server_option, new_run_id, new_scratch, remove_scratch, sweep_stale_scratch,
                  write_json)
from .repro import reproducer
from .scenario.doc_examples import example_scenarios
from .scenario.levels import cell_level, grounds_json, not_applicable_reason
from .scenario.loader import load_file, scenario_files, spec_statements
from .scenario.requirements import driver_gap, known_deviation, server_gap
from .servers.profiles import Endpoint
from .session import BuildFailed, ProcessState
from .timing import CellClock, cell_breakdown

STATE = pytest.StashKey[ProcessState]()
COLLECTOR = pytest.StashKey[report_results.Collector]()
RECORD_KEY = "conformance"


# -- options ---------------------------------------------------------------------

def pytest_addoption(parser):
    group = parser.getgroup("conformance", "milvus-conformance (pytest conformance)")
    group.addoption("--driver", action="append", default=[], metavar="NAME[,NAME]",
                    help="drivers to run (drivers/registry.yaml); default: all")
    group.addoption("--sdk", action="append", default=[], metavar="DRIVER=VERSION",
                    help="SDK version, range or local checkout per driver, e.g. python=2.4.9")
    group.addoption("--server", default="embedded", metavar="KIND[,KIND]",
                    help="the servers every scenario runs against: embedded Milvus processes (default) or "
                         "containers (Docker engine), and/or milvus-lite[=VERSION] (PyPI milvus-lite, another "
                         "implementation); several give one report column each")
    group.addoption("--milvus-version", default=None, help="embedded Milvus version (PyPI `milvus`), default 2.3.5")
    group.addoption("--image", default=None, metavar="REFERENCE",
                    help="with --server container: run this image (e.g. milvusdb/milvus:v2.3.5) instead of the one "
                         "built here; it keeps its own milvus.yaml, our settings reach it as environment variables")
    group.addoption("--milvus-uri", default="", help="run against this existing server instead "
                    "(http://[user:password@]host:port); scenarios needing another profile are skipped")
    group.addoption("--milvus-http-port", type=int, default=0, help="HTTP port of the --milvus-uri server (9091)")
    group.addoption("--suite", choices=("quick", "full"), default="full",
                    help="quick: scenarios tagged `quick`; full: all (default)")
    group.addoption("--full-scale", action="store_true",
                    help="run the full-scale connection-limit scenarios (up to 65,536 connections per driver)")
    group.addoption("--scenarios", default=str(SCENARIOS_DIR), help="scenario folder or file (default scenarios/)")
    group.addoption("--spec", default=None, help="spec page whose code examples run as the documentation group "
                    "(default: spec/manage-connections.zh.md with the default scenarios, none otherwise)")
    group.addoption("--baseline", default=None, metavar="RESULTS_JSON",
                    help="CI gate: compare with an earlier results.json; the exit status says whether a pass "
                         "became a fail (regression), whatever else fails")
    group.addoption("--gate-allow-skip", action="store_true",
                    help="with --baseline: accept cells that passed in the baseline and are skipped now (by "
                         "default they fail the gate: a check a release leaves by being skipped is not a pass)")
    group.addoption("--registry", default="", metavar="REGISTRY_YAML",
                    help="the drivers' registry (default drivers/registry.yaml): another one runs drivers from "
                         "elsewhere, e.g. a driver under development")
    group.addoption("--gate-level", choices=tuple(gate.GATE_LEVELS), default="must",
                    help="with --baseline: the levels whose regressions fail the gate: must (the spec page, "
                         "default) or should (must and should)")
    group.addoption("--background", type=int, default=4, metavar="SLOTS",
                    help="cells that mostly wait (timeouts, server restarts) run side by side, this many at once "
                         "per process (default 4; 0: every cell in its turn)")
    group.addoption("--report-dir", default=str(DEFAULT_REPORTS_DIR), help="where runs are written (reports/)")


def _suite_requested(config) -> bool:
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == CONFORMANCE_DIR or CONFORMANCE_DIR in path.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    config.addinivalue_line("markers", "conformance: a scenario through a real SDK against a real server")
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        data = workerinput.get("conformance_run")
        if data:
            ctx = RunContext.from_json(data)
            config.stash[STATE] = ProcessState(ctx, with_instances(_registry(ctx.registry), ctx.sdk_instances),
                                               workerinput.get("workerid", "w"))
        return
    if not _suite_requested(config):
        return
    try:
        registry_file = config.getoption("registry")
        registry = _registry(registry_file)
        names = [n.strip() for value in config.getoption("driver") for n in value.split(",") if n.strip()]
        selected = [m.name for m in select(registry, names)]
        drivers, sdk_requests, sdk_instances = expand_requests(
            registry, selected, parse_sdk_requests(config.getoption("sdk"), selected))
        registry = with_instances(registry, sdk_instances)
        check_server_option(config.getoption("server"))
        image = config.getoption("image")
        if image and "container" not in config.getoption("server").split(","):
            raise ConformanceError("an image runs in a container: add --server container", where=f"--image {image}")
        if image and config.getoption("milvus_version"):
            raise ConformanceError("give the server either as --image or as --milvus-version, not both",
                                   where=f"--image {image}")
        scenarios = Path(config.getoption("scenarios"))
        if not scenarios.exists():
            raise ConformanceError(f"'{scenarios}' does not exist", where="--scenarios")
        baseline = config.getoption("baseline")
        if baseline:
            gate.load_baseline(baseline)
    except ConformanceError as exc:
        raise pytest.UsageError(str(exc))
    sweep_stale_scratch()
    run_id = new_run_id()
    ctx = RunContext(
        run_id=run_id, owner_pid=os.getpid(), scratch=str(new_scratch()),
        report_dir=str(Path(config.getoption("report_dir")).resolve() / run_id), drivers=drivers,
        sdk_requests=sdk_requests, sdk_instances=sdk_instances, milvus_uri=config.getoption("milvus_uri"), server=config.getoption("server"),
        milvus_http_port=config.getoption("milvus_http_port"), suite=config.getoption("suite"),
        scenarios=str(scenarios.resolve()), spec=_spec_option(config, scenarios),
        registry=str(Path(registry_file).resolve()) if registry_file else "",
        full_scale=config.getoption("full_scale"), background_slots=max(0, config.getoption("background")),
        **({"milvus_version": config.getoption("image") or config.getoption("milvus_version")}
           if config.getoption("image") or config.getoption("milvus_version") else {}),
    )
    config.stash[STATE] = ProcessState(ctx, registry, "main")
    config.stash[COLLECTOR] = report_results.Collector(ctx)
    # A malformed file must not stop the others: its error is reported, the rest runs.
    config.option.continue_on_collection_errors = True
    if not getattr(config.option, "xmlpath", None):
        config.option.xmlpath = str(Path(ctx.report_dir) / "junit.xml")


def _registry(path: str):
    """The drivers of this run: drivers/registry.yaml, or another registry (a driver under development,
    a copy of drivers/ with a planted fault in the harness's own tests)."""
    if not path:
        return load_registry()
    if not Path(path).is_file():
        raise ConformanceError(f"'{path}' is not a file", where="--registry")
    return load_registry(Path(path))


def _spec_option(config, scenarios: Path) -> str:
    spec = config.getoption("spec")
    if spec is None:
        return str(SPEC_FILE) if scenarios.resolve() == SCENARIOS_DIR else ""
    if not Path(spec).is_file():
        raise pytest.UsageError(f"--spec: '{spec}' is not a file")
    return str(Path(spec).resolve())


def pytest_configure_node(node):
    """xdist: hand the run to each worker."""
    state = node.config.stash.get(STATE, None)
    node.workerinput["conformance_run"] = state.ctx.to_json() if state else None


# -- collection ------------------------------------------------------------------

@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path, parent):
    state = parent.config.stash.get(STATE, None)
    if state is not None and Path(path).resolve() == CONFORMANCE_DIR:
        return ScenarioSuite.from_parent(parent, path=Path(path))
    return None


class ScenarioSuite(pytest.Directory):
    def collect(self):
        state = self.config.stash[STATE]
        self.seen_ids = {}
        for path in scenario_files(Path(state.ctx.scenarios)):
            yield ScenarioFile.from_parent(self, path=path)
        if state.ctx.spec:
            yield DocExamplesFile.from_parent(self, path=Path(state.ctx.spec))


def pytest_collection_modifyitems(session, config, items):
    """The cells that mostly wait last, longest first: the background runs them from the start, while
    the items run the rest (the same order in every process, as xdist requires)."""
    if config.stash.get(STATE, None) is not None:
        items[:] = background_order(items)


def pytest_collection_finish(session):
    """Start the background (conformance/overlap.py) in each process that runs cells: an xdist worker,
    or the only process; never in an xdist controller, which runs none."""
    state = session.config.stash.get(STATE, None)
    controller = getattr(session.config.option, "dist", "no") != "no" and not hasattr(session.config, "workerinput")
    if state is None or controller or session.config.option.collectonly:
        return
    cells = [item for item in session.items if isinstance(item, ScenarioItem)]
    ahead = prepare_ahead(state, [item for item in cells if cell_level(item.scenario, spec_statements(),
                                                                 state.registry[item.driver].doc)[0]])
    waiting = [item for item in cells if is_background(item)]
    if waiting and state.ctx.background_slots:
        state.background = Background(state, waiting, after=ahead)


class ScenarioFile(pytest.File):
    def load(self):
        return load_file(self.path)

    def collect(self):
        state = self.config.stash[STATE]
        for scenario in self.load():
            first = self.parent.seen_ids.setdefault(scenario.id, scenario.location)
            if first != scenario.location:
                raise ScenarioFormatError(f"scenario id '{scenario.id}' is already used at {first}",
                                          where=scenario.location)
            if state.ctx.suite == "quick" and "quick" not in scenario.tags:
                continue
            for column, driver, version in state.ctx.columns():
                only = state.registry[driver].only_groups
                if (scenario.requires.drivers and state.registry[driver].base_name not in scenario.requires.drivers) or (
                        only and scenario.group not in only):
                    continue  # not this driver's subject: no cell at all, rather than a skip
                yield ScenarioItem.from_parent(self, name=f"{scenario.id}[{column}]", scenario=scenario,
                                               driver=driver, server_version=version, column=column)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ConformanceError):
            return f"{excinfo.value}"
        return super().repr_failure(excinfo)


class DocExamplesFile(ScenarioFile):
    """The spec page itself: its code examples, run by the docs driver."""

    def load(self):
        return example_scenarios(self.path)


class ScenarioFailure(AssertionError):
    """An expectation the SDK did not meet (the evidence is in the message)."""


class NotReproduced(Exception):
    """A failure that a standalone program did not show again: the harness's or the driver's, an error."""


def _attempt_outcome(run, error) -> str:
    if error is not None:
        return "error"
    if run.failure:
        return "fail"
    return "skip" if (run.driver_decided or run.skip_reason) else "pass"


def _attempt_json(run, error) -> dict:
    return {"outcome": _attempt_outcome(run, error), "failure": run.failure if run else str(error),
            "transcript": run.transcript if run else []}


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario, driver, server_version, column, **kwargs):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.driver = driver
        self.column = column
        self.server_version = server_version
        self.run = None
        self.flaky = False
        self.deviation = None
        self.control = None  # a private server's controls (fault scenarios)
        self.add_marker(pytest.mark.conformance)
        # level: the cell's requirement level (None: not applicable); verdict_source: whose answers the
        # outcome rests on - sdk, driver (a driver-made answer or a driver problem) or harness (no step ran)
        # role: sdk, or reference (a client without SDK logic: shown beside SDK findings, never gated)
        self.record = {"scenario": scenario.to_json(), "driver": driver, "column": column,
                       "role": self.config.stash[STATE].registry[driver].role, "server_version": server_version,
                       "driver_info": None, "level": None, "grounds": [],
                       "verdict_source": "harness", "server": None, "transcript": [], "deviation": None,
                       "stderr_tail": "", "log_tail": "", "attempts": [], "repro": None}
        self.user_properties.append((RECORD_KEY, self.record))

    def reportinfo(self):
        return self.path, self.scenario.line - 1, f"{self.scenario.id} [{self.driver}]: {self.scenario.title}"

    def setup(self):
        try:
            self._setup()
            return
        except (DriverError, ServerStartError, BuildFailed, ConformanceError, NotReproduced) as exc:
            problem = self._problem(exc)
        # An error (not a fail): one clear paragraph, the tail of the log that explains it.
        pytest.fail(problem, pytrace=False)

    def _problem(self, exc) -> str:
        if isinstance(exc, NotReproduced):
            self.record["verdict_source"] = "driver"
            return str(exc)
        if isinstance(exc, DriverError):
            self.record["verdict_source"] = "driver"
            self.record["stderr_tail"] = exc.stderr_tail or self.record["stderr_tail"]
            return f"driver error: {exc}\n--- driver stderr (tail) ---\n{self.record['stderr_tail']}"
        if isinstance(exc, ServerStartError):
            self.record["log_tail"] = exc.log_tail
            return f"server error: {exc}\n--- server log (tail) ---\n{exc.log_tail}"
        return f"build error: {exc}"

    def _setup(self):
        state = self.config.stash[STATE]
        self.clock = CellClock(state.worker)
        # Which statements speak for this driver decide the cell's level, before anything is built or run.
        statements, doc = spec_statements(), state.registry[self.driver].doc
        level, grounds = cell_level(self.scenario, statements, doc)
        if level is None:
            pytest.skip(not_applicable_reason(self.scenario, statements, self.driver, doc))
        self.record.update(level=level, grounds=grounds_json(grounds))
        if "full-scale" in self.scenario.tags and not state.ctx.full_scale:
            pytest.skip("a full-scale limit scenario (up to 65,536 connections, minutes per driver): "
                        "run with --full-scale")
        try:
            with self.clock.phase("build"):
                build = state.build(self.driver)
        except DriverUnavailable as exc:
            pytest.skip(str(exc))
        with self.clock.phase("driver_start"):
            proc = state.process(self.driver)
        hello = proc.hello
        self.record["driver_info"] = {
            "name": self.driver, "language": hello.get("language"), "runtime": hello.get("runtime"),
            "sdk": hello.get("sdk"), "capabilities": hello.get("capabilities"), "build": build.to_json(),
            "limitations": list(proc.manifest.limitations), "role": proc.manifest.role,
        }
        sdk_version = (hello.get("sdk") or {}).get("version", "")
        gap = driver_gap(self.scenario, proc.manifest.base_name, hello.get("capabilities") or [], sdk_version)
        if gap:
            pytest.skip(gap)
        # run in the background already (conformance/overlap.py), or by this item now
        with self.clock.phase("background"):
            background = state.background.take(self) if state.background and is_background(self) else None
        if background is not None and "declined" in background:
            # why the background left it to this item (a stall there shows in the timing: say what it was)
            self.record["background_declined"] = background["declined"]
            background = None
        if background is not None:
            endpoint = Endpoint.from_json(background["endpoint"])
            self.record["timing_background"] = background["timing"]
        else:
            endpoint = self._endpoint(state)
        self.record["server"] = {k: v for k, v in endpoint.to_json().items() if k not in ("password", "root_password")}
        gap = server_gap(self.scenario, endpoint)
        if gap:
            pytest.skip(gap)
        self.deviation = known_deviation(self.scenario, proc.manifest.known_deviations, sdk_version)
        self.record["deviation"] = self.deviation
        judge = level != "info"
        if background is not None:
            first, first_error = attempt_from_store(background)
        else:
            with self.clock.phase("attempt"):
                first, first_error = self._attempt(proc, endpoint, judge)
        self.first_transcript = first.transcript if first else []
        if first_error is None and not first.failure:
            self.run = first
        elif background is not None and background.get("second"):  # confirmed in the background already
            self._judge_attempts(first, first_error, *attempt_from_store(background["second"]))
        else:  # confirm it in a fresh driver process, and reproduce it there
            with self.clock.phase("confirm"):
                self._confirm(state, proc, build, endpoint, judge, first, first_error)
        self.record["transcript"] = self.run.transcript
        self.record["verdict_source"] = "driver" if self.run.driver_decided else "sdk"

    def _endpoint(self, state):
        """The server this cell runs against: the run's shared one for its profile, or a private one."""
        try:
            with self.clock.phase("server"):
                if self.scenario.requires.private_server:
                    endpoint, self.control = state.pool.private(self.scenario.requires.profile, self.nodeid,
                                                                self.server_version)
                    return endpoint
                return state.pool.get(self.scenario.requires.profile, self.server_version)
        except ServerUnavailable as exc:
            pytest.skip(str(exc))

    def _confirm(self, state, proc, build, endpoint, judge, first, first_error):
        proc.stop()
        if self.control is not None:
            self.control.restore()
        elif self.scenario.requires.private_server:  # the first attempt ran in the background, on its server
            endpoint = self._endpoint(state)
        second, second_error = self._attempt(proc, endpoint, judge, reproducer(proc, build, self.scenario, self.column,
                                                                          endpoint, state.ctx.report_path / "repro"))
        self._judge_attempts(first, first_error, second, second_error)

    def _judge_attempts(self, first, first_error, second, second_error):
        """Two attempts: flaky if they differ; else the second's error, or its failure with its reproducer
        (a failure the reproducer did not show again is the harness's or the driver's: an error)."""
        self.record["attempts"] = [_attempt_json(first, first_error), _attempt_json(second, second_error)]
        self.flaky = _attempt_outcome(first, first_error) != _attempt_outcome(second, second_error)
        if not self.flaky and second_error is not None:
            raise second_error
        self.run = second or first
        self.record["repro"] = self.run.repro
        if not self.flaky and self.run.repro is not None and not self.run.repro["reproduced"]:
            raise NotReproduced(
                f"not reproduced outside the harness: the failure did not show again in a standalone "
                f"program ({self.run.repro.get('path') or 'not rendered'}): {self.run.repro['why']}. "
                f"The failure came from the harness or the driver, not from the SDK: {self.run.failure}")

    def _attempt(self, proc, endpoint, judge: bool, on_failure=None):
        """One run of the scenario: (run, None), or (None, the DriverError that stopped it)."""
        try:
            return run_scenario(self.scenario, proc, endpoint, self.control, judge=judge,
                                on_failure=on_failure), None
        except DriverError as exc:
            self.record["stderr_tail"] = exc.stderr_tail or proc.stderr_tail()
            return None, exc

    def teardown(self):
        if self.control is not None:
            self.control.close()
            self.control = None
        clock = getattr(self, "clock", None)
        if clock is not None:
            timing = clock.to_json()
            timing["breakdown"] = cell_breakdown(timing, getattr(self, "first_transcript", []),
                                                 timing["ended"] - timing["started"])
            background = self.record.pop("timing_background", None)
            if background:
                timing["background"] = background
            self.record["timing"] = timing

    def runtest(self):
        _allure_story(self)
        if self.flaky:  # counted apart: both transcripts are in the record, neither outcome is the verdict
            self.record["outcome_override"] = "flaky"
            return
        if self.run.driver_decided:
            pytest.skip(f"decided by the driver, not the SDK: {self.run.driver_decided}")
        if not self.run.judged:
            self.record["outcome_override"] = "observed"
            return
        if self.run.skip_reason and not self.run.failure:
            pytest.skip(self.run.skip_reason)
        if self.run.failure:
            if self.deviation:
                pytest.xfail(f"known deviation of driver '{self.driver}': {self.deviation.get('reason')}")
            raise ScenarioFailure(self.run.failure)
        if self.deviation:
            raise ScenarioFailure(
                f"known deviation no longer happens: the scenario passes with driver '{self.driver}'; "
                f"remove its known_deviations entry from {self.config.stash[STATE].registry[self.driver].path} "
                f"({self.deviation.get('reason')})")

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailure):
            return f"{excinfo.value}\n\n{_transcript_text(self.record['transcript'])}"
        return super().repr_failure(excinfo)


def _transcript_text(transcript) -> str:
    lines = []
    for step in transcript:
        response = step["response"]
        shown = response.get("result") if response.get("ok") else response.get("error")
        lines.append(f"  step {step['step']} {step['op']} {json.dumps(step['args'])}\n"
                     f"    -> {'ok' if response.get('ok') else 'error'} {json.dumps(shown)} "
                     f"({response.get('elapsed_ms')} ms) [{step['verdict']}]")
    return "transcript:\n" + "\n".join(lines)


def _allure_story(item) -> None:
    """Allure labels, steps and attachments (no-ops unless --alluredir is given)."""
    try:
        import allure
    except ImportError:
        return
    allure.dynamic.feature(item.scenario.group)
    allure.dynamic.story(item.scenario.id)
    allure.dynamic.title(f"{item.scenario.title} [{item.driver}]")
    allure.dynamic.tag(item.driver, *item.scenario.tags)
    for ref in item.scenario.spec:
        allure.dynamic.label("spec", ref)
    level = item.record.get("level")
    if level:  # the requirement level as allure's severity: what the page says is critical
        allure.dynamic.label("level", level)
        allure.dynamic.severity({"must": allure.severity_level.CRITICAL, "should": allure.severity_level.NORMAL,
                                 "info": allure.severity_level.TRIVIAL}[level])
    for step in item.record["transcript"]:
        with allure.step(f"{step['op']} {json.dumps(step['args'])} -> {step['verdict']}"):
            allure.attach(json.dumps(step, indent=2, default=str), name="transcript",
                          attachment_type=allure.attachment_type.JSON)
    repro = item.record.get("repro") or {}
    if repro.get("program"):  # the standalone program that shows the failure without the harness
        allure.attach(repro["program"], name=f"reproducer ({repro.get('language')}, "
                      f"{'reproduced' if repro.get('reproduced') else 'not reproduced'})",
                      attachment_type=allure.attachment_type.TEXT)
    log_path = (item.record.get("server") or {}).get("log_path")
    if log_path and Path(log_path).exists():  # the server's log so far, for the story of this cell
        allure.attach(Path(log_path).read_text(errors="replace")[-20000:], name="server log (tail)",
                      attachment_type=allure.attachment_type.TEXT)


# -- results -------------------------------------------------------------------------

def pytest_runtest_logreport(report):
    collector = _collector_of(report)
    if collector is not None:
        collector.add_test_report(report)


def pytest_collectreport(report):
    collector = _collector_of(report)
    if collector is not None and report.failed:
        collector.add_collection_error(report)


_CONFIG = {}


def _collector_of(report):
    config = _CONFIG.get("config")
    return config.stash.get(COLLECTOR, None) if config is not None else None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    _CONFIG["config"] = session.config


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    state = session.config.stash.get(STATE, None)
    if state is None:
        return
    if state.background is not None:
        state.background.stop(interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
    state.stop_drivers()
    collector = session.config.stash.get(COLLECTOR, None)
    if collector is None:  # an xdist worker: the controller writes the report
        return
    report_dir = state.ctx.report_path
    endpoints = state.pool.started()
    # The report first: whatever happens while servers stop, what ran is on disk.
    results = collector.write(report_dir, endpoints, interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
    state.pool.shutdown(keep_logs_in=report_dir / "logs" if collector.any_problem() else None)
    baseline = session.config.getoption("baseline")
    if baseline:
        verdict = gate.compare(gate.load_baseline(baseline), results, session.config.getoption("gate_level"),
                               session.config.getoption("gate_allow_skip"))
        write_json(report_dir / "gate.json", verdict)
        collector.gate_lines = gate.summary_lines(verdict, baseline)
        if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            session.exitstatus = pytest.ExitCode.OK if verdict["passed"] else pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config):
    state = config.stash.get(STATE, None)
    if state is not None and config.stash.get(COLLECTOR, None) is not None:
        state.pool.shutdown()
        remove_scratch(state.ctx.scratch)


def pytest_terminal_summary(terminalreporter):
    collector = terminalreporter.config.stash.get(COLLECTOR, None)
    if collector is None:
        return
    for line in collector.summary_lines():
        terminalreporter.write_line(line)


def pytest_report_header(config):
    state = config.stash.get(STATE, None)
    if state is None or config.stash.get(COLLECTOR, None) is None:
        return None
    ctx = state.ctx
    server = ctx.milvus_uri or f"{ctx.server} Milvus {ctx.milvus_version}"
    sdks = ", ".join(f"{d}={ctx.sdk_requests.get(d) or state.registry[d].default_version}" for d in ctx.drivers)
    return [f"milvus-conformance: run {ctx.run_id}; server: {server}; drivers: {sdks}; suite: {ctx.suite}"]

