"""Render results.json as one self-contained HTML page: the compliance matrix
(scenarios down, drivers across), each cell opening its transcript, the spec
statements each result supports, and where SDKs disagree."""

import json
from html import escape

from ..scenario.loader import spec_statements
from ..scenario.model import LEVELS as STRENGTH
from ..timing import CATEGORIES
from .results import LEVEL_NAMES as LEVELS, OUTCOMES as OUTCOME_ORDER

SYMBOL = {"pass": "✔ pass", "fail": "✘ fail", "xfail": "≈ xfail", "flaky": "~ flaky", "observed": "◦ observed",
          "skip": "– skip", "error": "! error"}

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d1f23}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px}
table{border-collapse:collapse} th,td{border:1px solid #d5d8dd;padding:4px 8px;vertical-align:top}
th{background:#f3f4f6;text-align:left} td.cell{text-align:center;white-space:nowrap}
.pass{background:#dcf5e3}.fail{background:#fbdcdc}.xfail{background:#fff1c9}.skip{background:#eceef1;color:#555}
.error{background:#f6c6f0}.flaky{background:#ffe0b8}.observed{background:#e3ecfb}.group td{background:#e8ebf3;font-weight:600}
.level{display:inline-block;font-size:11px;padding:0 5px;border-radius:3px;border:1px solid #aab;margin-right:4px}
.level-must{background:#1d3a8a;color:#fff}.level-should{background:#dbe4ff}.level-info{background:#f3f4f6}
.source{font-size:12px;margin-top:2px} button.copy{font-size:11px;margin:2px 0}
a{color:inherit} .muted{color:#666} code,pre{font:12px/1.4 ui-monospace,monospace}
pre{background:#f7f7f9;border:1px solid #e2e4e8;padding:8px;overflow:auto;max-height:420px;white-space:pre-wrap}
details{margin:6px 0;border:1px solid #e2e4e8;padding:6px 10px} summary{cursor:pointer}
.filters{margin:12px 0;display:flex;gap:16px;flex-wrap:wrap} .hidden{display:none}
"""

JS = """
function applyFilters(){
  const outcomes=[...document.querySelectorAll('input[name=outcome]:checked')].map(e=>e.value);
  const levels=[...document.querySelectorAll('input[name=level]:checked')].map(e=>e.value);
  const driver=document.getElementById('f-driver').value, group=document.getElementById('f-group').value;
  document.querySelectorAll('tr.scenario').forEach(row=>{
    const cells=[...row.querySelectorAll('td.cell')].filter(c=>!driver||c.dataset.driver===driver)
      .filter(c=>!c.dataset.level||levels.includes(c.dataset.level));
    const hit=cells.some(c=>outcomes.includes(c.dataset.outcome));
    row.classList.toggle('hidden', !hit || !levels.includes(row.dataset.level) || (group && row.dataset.group!==group));
  });
  document.querySelectorAll('th.driver, td.cell').forEach(c=>c.classList.toggle('hidden', !!driver && c.dataset.driver!==driver));
}
document.addEventListener('change', e=>{ if(e.target.closest('.filters')) applyFilters(); });
// Filters from the address, to share a view: #outcome=fail,error&driver=python&group=auth
function filtersFromHash(){
  const params=new URLSearchParams(location.hash.slice(1));
  if(params.has('outcome')){ const wanted=params.get('outcome').split(',');
    document.querySelectorAll('input[name=outcome]').forEach(e=>{ e.checked=wanted.includes(e.value); }); }
  if(params.has('level')){ const wanted=params.get('level').split(',');
    document.querySelectorAll('input[name=level]').forEach(e=>{ e.checked=wanted.includes(e.value); }); }
  if(params.has('driver')) document.getElementById('f-driver').value=params.get('driver');
  if(params.has('group')) document.getElementById('f-group').value=params.get('group');
  applyFilters();
}
window.addEventListener('hashchange', filtersFromHash);
document.addEventListener('click', e=>{ const b=e.target.closest('button.copy'); if(!b) return;
  navigator.clipboard.writeText(document.getElementById(b.dataset.target).textContent).then(
    ()=>{ b.textContent='copied'; }, ()=>{ b.textContent='select and copy by hand'; }); });
filtersFromHash();
"""


def _column(entry) -> str:
    return entry.get("column") or entry["driver"]


def _cell_id(scenario_id: str, driver: str) -> str:
    return f"cell-{scenario_id}-{driver}".replace(".", "_")


def _pre(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return f"<pre>{escape(text)}</pre>"


def _transcript(entry) -> str:
    rows = []
    for step in entry.get("transcript") or []:
        response = step["response"]
        warnings = response.get("warnings") or []
        rows.append(
            f"<tr class='{'pass' if step['verdict'] == 'ok' else 'fail'}'><td>{step['step']}</td>"
            f"<td><code>{escape(step['op'])}</code><div class=muted>line {step['line']}</div></td>"
            f"<td>{_pre(step['args'])}</td><td>{_pre(step['expect'])}</td>"
            f"<td>{_pre({k: v for k, v in response.items() if k not in ('id', 'warnings')})}"
            + (f"<div class=muted>warnings: {escape('; '.join(warnings))}</div>" if warnings else "")
            + f"</td><td>{escape(str(step.get('reason') or 'as expected'))}"
            f"<div class=muted>{response.get('elapsed_ms')} ms in the SDK, {step['wall_ms']} ms round trip</div></td></tr>"
        )
    if not rows:
        return "<p class=muted>No step ran.</p>"
    return ("<table><tr><th>#</th><th>op</th><th>args</th><th>expected</th><th>response (raw)</th>"
            "<th>verdict</th></tr>" + "".join(rows) + "</table>")


def _level_badge(level) -> str:
    return f"<span class='level level-{escape(level)}'>{escape(level)}</span>" if level else ""


def _source(statement: dict) -> str:
    """Where an expectation comes from: the page's sentence, the SDK's documentation, a norm, a question."""
    source = statement.get("source") or {}
    if statement.get("level") == "must":
        text = f"the page: “{escape(statement.get('zh', ''))}” ({escape(statement.get('en', ''))})"
    elif source.get("link"):
        text = (f"{escape(source.get('sdk', ''))}'s documentation: <a href='{escape(source['link'])}'>"
                f"{escape(source['link'])}</a> — {escape(source.get('quote', ''))}")
    elif source.get("norm"):
        text = f"norm: {escape(source['norm'])}"
    else:
        text = f"observed: {escape(statement.get('question') or statement.get('en', ''))}"
    return f"<div class=source>{_level_badge(statement.get('level'))}<code>{escape(statement['id'])}</code> {text}</div>"


def _repro(entry) -> str:
    repro = entry.get("repro")
    if not repro:
        return ""
    cell = _cell_id(entry["scenario"]["id"], _column(entry))
    verdict = "reproduced outside the harness" if repro.get("reproduced") else "NOT reproduced outside the harness"
    parts = [f"<h4>Reproducer ({escape(repro.get('language') or '?')}): {verdict}</h4>",
             f"<p class=muted>{escape(repro.get('why') or '')}</p>"]
    if repro.get("program"):
        parts.append(f"<p><code>{escape(repro.get('path') or '')}</code> · run: "
                     f"<code>{escape(' '.join(repro.get('command') or []))}</code> "
                     f"<button class=copy data-target='{cell}-program'>copy the program</button></p>"
                     f"<pre id='{cell}-program'>{escape(repro['program'])}</pre>")
    if repro.get("output"):
        parts.append(f"<p>what it printed</p>{_pre(repro['output'])}")
    return "".join(parts)


def _attempts(entry) -> str:
    attempts = entry.get("attempts") or []
    if len(attempts) < 2:
        return ""
    parts = ["<h4>Both attempts (the second in a fresh driver process)</h4>"]
    for number, attempt in enumerate(attempts, 1):
        parts.append(f"<p>attempt {number}: <b class='{attempt['outcome']}'>&nbsp;{escape(attempt['outcome'])}&nbsp;</b> "
                     f"{escape(attempt.get('failure') or '')}</p>{_transcript({'transcript': attempt['transcript']})}")
    return "".join(parts)


def _details(entry, logs_kept: bool = False, history: str = "") -> str:
    scenario = entry["scenario"]
    parts = [
        f"<details id='{_cell_id(scenario['id'], _column(entry))}' class='{entry['outcome']}-border'>",
        f"<summary><b class='{entry['outcome']}'>&nbsp;{SYMBOL[entry['outcome']]}&nbsp;</b> "
        f"{_level_badge(entry.get('level'))}{escape(scenario['id'])} · <b>{escape(_column(entry))}</b> — "
        f"{escape(scenario['title'])}</summary>",
        f"<p class=muted>{escape(scenario['file'])} · spec: {escape(', '.join(scenario['spec']))} · "
        f"{entry['duration_s']} s · verdict from: {escape(entry.get('verdict_source') or '?')}</p>",
    ]
    parts += [_source(s) for s in entry.get("grounds") or []]
    if scenario.get("description"):
        parts.append(f"<p>{escape(scenario['description'])}</p>")
    if entry.get("message"):
        parts.append(_pre(entry["message"]))
    if entry.get("deviation"):
        parts.append(f"<p>Known deviation: {escape(json.dumps(entry['deviation']))}</p>")
    if entry.get("reference"):
        parts.append(_reference_note(entry["reference"]))
    if history and entry["outcome"] in ("fail", "xfail", "flaky"):
        parts.append(f"<p><a href='{escape(history)}#{escape(scenario['id'])}'>History of this scenario across the "
                     f"SDK's releases</a></p>")
    parts.append(_transcript(entry))
    parts.append(_attempts(entry))
    parts.append(_repro(entry))
    for key, label in (("stderr_tail", "driver stderr (tail)"), ("log_tail", "server log (tail)")):
        if entry.get(key):
            parts.append(f"<p>{label}</p>{_pre(entry[key])}")
    server = entry.get("server") or {}
    if logs_kept and server.get("profile") and server.get("provider") != "uri" \
            and "/private/" not in server.get("log_path", ""):  # a private server's log goes with its scenario
        name = f"server-{server['profile']}-{server.get('version', '')}.log"
        parts.append(f"<p><a href='logs/{escape(name)}'>server log ({escape(name)})</a></p>")
    parts.append("</details>")
    return "".join(parts)


def _reference_note(ref: dict) -> str:
    """What the reference client (no SDK logic) did in the same scenario on the same server."""
    verdict = {"pass": "the server alone does what is expected: the deviation is the SDK's",
               "fail": "the server alone deviates the same way: look at the server first",
               "xfail": "the server alone deviates the same way: look at the server first"}.get(ref["outcome"], "")
    who = f"{ref.get('driver', 'reference')} reference client"
    return (f"<p class=reference>Server alone ({escape(who)}): <b class='{escape(ref['outcome'])}'>"
            f"{escape(ref['outcome'])}</b>{' — ' + escape(verdict) if verdict else ''}"
            + (f"<span class=muted> ({escape(ref['message'].splitlines()[0])})</span>" if ref.get("message") else "")
            + (f"<br><span class=muted>{escape(' · '.join(ref['steps']))}</span>" if ref.get("steps") else "")
            + "</p>")


def _digest(artifact: dict) -> str:
    """"pymilvus-3.0.2-py3-none-any.whl sha256:1a2b3c4d…" (what an SDK or server was installed from)."""
    if not artifact:
        return "artifact unknown"
    digest = artifact.get("digest", "")
    short = digest[: digest.index(":") + 13] + "…" if ":" in digest else digest[:16]
    return f"{artifact.get('file', '')} {short}".strip()


def _provenance(prov) -> str:
    """The report's provenance line: suite commit, CI run, each SDK's and server's artifact."""
    if not prov:
        return ""
    suite = prov.get("suite") or {}
    parts = [f"suite {escape(str(suite.get('commit') or 'unknown')[:12])}"
             + (" <b>(uncommitted changes)</b>" if suite.get("dirty") else "")]
    if prov.get("ci_run"):
        parts.append(f"<a href='{escape(prov['ci_run'])}'>CI run</a>")
    sdks = "; ".join(f"{escape(col)}: {escape((v.get('sdk') or {}).get('name', '?'))} "
                     f"{escape(str((v.get('sdk') or {}).get('version', '?')))} ({escape(_digest(v.get('artifact')))})"
                     for col, v in (prov.get("sdks") or {}).items())
    servers = "; ".join(f"{escape(key)}: {escape(v.get('provider', ''))} {escape(str(v.get('version', '')))} "
                        f"({escape(_digest(v.get('artifact')))})" for key, v in (prov.get("servers") or {}).items())
    return (f"<p class='muted provenance'>Provenance: {' · '.join(parts)}<br>SDKs: {sdks or '—'}<br>"
            f"Servers: {servers or '—'}</p>")


def _server_label(target: str) -> str:
    return f"Milvus Lite {target[len('milvus-lite-'):]}" if target.startswith("milvus-lite-") else f"Milvus {target}"


def _findings(data, by_scenario) -> str:
    """Every scenario some SDK fails, strongest level first: who differs from what, who conforms."""
    items = []
    for scenario_id, (scenario, cells) in by_scenario.items():
        ran = {d: e for d, e in cells.items() if e["outcome"] in ("pass", "fail", "xfail") and e.get("role") != "reference"}
        failing = [d for d, e in ran.items() if e["outcome"] in ("fail", "xfail")]
        if not failing:
            continue
        level = max((ran[d].get("level") or "must" for d in failing), key=STRENGTH.index)
        what_from = {"must": "the page", "should": "the SDK's own documentation or the suite's norm"}.get(level, "")
        agree = [d for d, e in ran.items() if e["outcome"] == "pass"]
        what = (f"{', '.join(failing)} differ{'s' if len(failing) == 1 else ''} from {what_from}"
                + (f" while {', '.join(agree)} conform{'s' if len(agree) == 1 else ''}" if agree else ""))
        first = cells[failing[0]]
        evidence = (first.get("message") or "").splitlines()[0] if first.get("message") else ""
        if first.get("reference"):
            evidence += f" · server alone ({first['reference'].get('driver', 'reference')}): {first['reference']['outcome']}"
        items.append((STRENGTH.index(level), f"<li>{_level_badge(level)}<a href='#{_cell_id(scenario_id, failing[0])}'>"
                      f"{escape(scenario_id)}</a>: {escape(scenario['title'])} — {escape(what)}."
                      f"<div class=muted>{escape(evidence)}</div></li>"))
    if not items:
        return "<p>No finding: every scenario that ran conforms.</p>"
    return "<ul>" + "".join(html for _, html in sorted(items, key=lambda i: -i[0])) + "</ul>"  # must first


PLOT_SERIES = ((1, "server-side TCP connections", "#2563eb", ""),
               (2, "server memory", "#dc2626", " MiB"), (3, "client memory", "#16a34a", " MiB"))


def _plot(points, width=360, height=90) -> str:
    """Connections held by the server, and server and client memory, against time: inline SVG
    polylines, each scaled to its own maximum (labelled at the right). Samples are
    [seconds, connections] or [seconds, connections, server MiB, client MiB]."""
    if not points:
        return ""
    end = max(max(p[0] for p in points), 1)
    lines, labels = [], []
    for column, name, colour, unit in PLOT_SERIES:
        series = [(p[0], p[column]) for p in points if len(p) > column]
        if not series:
            continue
        top = max(max(v for _, v in series), 1)
        path = " ".join(f"{t / end * width:.1f},{height - v / top * height:.1f}" for t, v in series)
        lines.append(f"<polyline fill=none stroke='{colour}' stroke-width=2 points='{path}'><title>{name}</title>"
                     f"</polyline>")
        labels.append(f"<text x={width + 2} y={10 + 12 * len(labels)} font-size=10 fill='{colour}'>"
                      f"{top:,}{unit}</text>")
    return (f"<svg width={width + 70} height={height + 20} role=img aria-label='connections and memory over time'>"
            + "".join(lines) + "".join(labels) +
            f"<text x=0 y={height + 15} font-size=10>0 s</text><text x={width - 30} y={height + 15} font-size=10>"
            f"{end:.0f} s</text></svg>")


def _limits(data) -> str:
    rows = []
    for entry in data["outcomes"]:
        for step in entry.get("transcript") or []:
            result = (step.get("response") or {}).get("result") or {}
            if step["op"] != "limit" or "verified" not in result:
                continue
            rows.append(
                f"<tr><td>{escape(_column(entry))}</td><td>{escape(entry['scenario']['id'])}</td>"
                f"<td class={entry['outcome']}>{entry['outcome']}</td><td>{result['target']:,}</td>"
                f"<td>{result['ceiling']:,}</td><td>{result['verified']:,}</td>"
                f"<td>{result['server_tcp']['at_peak']:,}</td><td>{result['connect_rate_per_s']}</td>"
                f"<td>{result.get('latency_p50_ms')} / {result.get('latency_p99_ms')}</td>"
                f"<td>{result.get('server_bytes_per_connection')} / {result.get('client_bytes_per_connection')}</td>"
                f"<td>{result.get('server_cpu_ms_per_connection')} / {result.get('client_cpu_ms_per_connection')}"
                f"<br><span class=muted>bound {result.get('cpu_bound_per_s')}/s</span></td>"
                f"<td>{escape(json.dumps(result.get('first_error')) if result.get('first_error') else '-')}"
                f"{' after ' + str(result['first_error_after_s']) + ' s' if result.get('first_error_after_s') else ''}</td>"
                f"<td>{_plot(result.get('connections_over_time') or [])}</td></tr>")
    if not rows:
        return "<p>No full-scale limit scenario ran (run with <code>--full-scale</code>).</p>"
    return ("<table><tr><th>driver</th><th>scenario</th><th>outcome</th><th>target</th><th>ceiling</th>"
            "<th>verified</th><th>server TCP</th><th>connects/s</th><th>p50 / p99 ms</th>"
            "<th>bytes/conn server / client</th>"
            "<th title='CPU ms per verified connection; bound: the rate these costs allow on the cores of this machine'>"
            "CPU ms/conn server / client</th><th>first error</th><th>over time: <span style='color:#2563eb'>server TCP</span>, <span style='color:#dc2626'>server memory</span>, <span style='color:#16a34a'>client memory</span></th></tr>"
            + "".join(rows) + "</table>")


def _bench_rows(name: str, d: dict, target) -> str:
    """One row per workload of a driver (the first carries the driver's own numbers), or one saying why not."""
    workloads = d.get("workloads") or {}
    if not workloads:
        return (f"<tr><td>{escape(name)}</td><td>{d.get('startup_s', '')}</td>"
                f"<td colspan=9>{escape(d.get('skipped', ''))}</td></tr>")
    noop = (f"{d.get('noop_step_median_ms', '')}"
            f"{' (' + format(d['noop_step_share_of_direct'], '.0%') + ')' if d.get('noop_step_share_of_direct') else ''}")
    rows = []
    for index, (workload, w) in enumerate(workloads.items()):
        ratio = w.get("overhead_vs_direct")
        spread = w.get("overhead_vs_direct_range") or []
        verdict = "" if ratio is None else (" ✓" if w.get("within_target") else f" (target ≤ {target})")
        shown = (f"{ratio}{verdict}<br><span class=muted>{spread[0]}–{spread[1]} over "
                 f"{len(w.get('rounds') or [])} rounds</span>" if ratio is not None
                 else escape(w.get("direct") or w.get("skipped") or ""))
        first = index == 0
        rows.append(
            f"<tr><td>{escape(name) if first else ''}</td><td>{d.get('startup_s', '') if first else ''}</td>"
            f"<td>{escape(workload)} ×{w.get('calls', '')}</td><td>{w.get('harness_median_ms', '')}</td>"
            f"<td>{w.get('sdk_median_ms', '')}</td><td>{w.get('direct_median_ms', '')}</td><td>{shown}</td>"
            f"<td>{w.get('overhead_vs_sdk', '')}</td><td>{w.get('harness_cpu_us_per_step', '')}</td>"
            f"<td>{escape(str(d.get('one_at_a_time_median_ms', ''))) if first else ''}</td>"
            f"<td>{noop if first else ''}</td></tr>")
    return "".join(rows)


def _time_table(runs: dict) -> str:
    """Where the time went, one row per run: wall time, then the seconds per category (conformance/timing.py),
    the workers' own items and the background apart."""
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in CATEGORIES)
    rows = []
    for name, run in runs.items():
        t = run.get("breakdown") if "breakdown" in run else run
        if not t or "items" not in t:
            rows.append(f"<tr><td>{escape(name)}</td><td colspan=20>{escape(str(run.get('failed', '')))}</td></tr>")
            continue
        outside = (f"{run['wall_s']} s ({run.get('start_and_shutdown_s')} s start-up and shutdown)"
                   if "start_and_shutdown_s" in run else f"{t['wall_s']} s")
        for side in ("items", "background"):
            cells = "".join(f"<td>{t[side].get(c, 0)}</td>" for c in CATEGORIES)
            first = side == "items"
            workers = (f"{t['workers']} × {t['wall_s']} s = {t['capacity_s']} s; idle {t['idle_s']} s" if first
                       else f"{t.get('background_cells', 0)} cells side by side")
            rows.append(f"<tr><td>{escape(name) if first else ''}</td><td>{outside if first else ''}</td>"
                        f"<td>{workers}</td><td>{side}</td>{cells}</tr>")
    return (f"<table><tr><th>run</th><th>wall</th><th>workers</th><th>where</th>{head}</tr>{''.join(rows)}</table>"
            "<p class=muted>Seconds per category. <b>items</b>: what the workers' own test items spent (their sum and "
            "idle make up workers × wall); <b>background</b>: cells that mostly wait, run side by side in the "
            "background (their time overlaps the rest). <b>waiting</b>: a step that waited for its timeout or "
            "deadline to expire, or for the other cells sharing its server; <b>confirm</b>: a fail or error run again "
            "in a fresh driver process, and its reproducer.</p>")


def _run_time(data) -> str:
    timing = data.get("timing")
    if not timing or "items" not in timing:
        return "<p>This run recorded no breakdown.</p>"
    slowest = "".join(f"<li>{escape(s['nodeid'])}: {s['seconds']} s</li>" for s in timing.get("slowest") or [])
    return _time_table({"this run": timing}) + (f"<p class=muted>Slowest cells:</p><ul>{slowest}</ul>" if slowest else "")


def _bench_suites(bench: dict) -> str:
    suites = bench.get("suites")
    if not suites:
        return ""
    runs = {k: v for k, v in suites.items() if isinstance(v, dict) and ("breakdown" in v or "failed" in v)}
    same = suites.get("full_same_outcomes_as_one_by_one") or {}
    return (f"<p>Suites ({escape(', '.join(suites.get('drivers') or []))}): the full suite is "
            f"{suites.get('full_speedup_from_background', '?')}× faster with the background than without; "
            f"{same.get('same', '?')} cells with the same outcome, {len(same.get('different') or {})} different"
            f"{': ' + escape(json.dumps(same['different'])) if same.get('different') else ''}.</p>" + _time_table(runs))


def _benchmarks(data) -> str:
    bench = data.get("benchmarks")
    if not bench:
        return "<p>No benchmark yet (<code>python -m conformance.bench</code>).</p>"
    if any("workloads" not in d and "skipped" not in d for d in (bench.get("drivers") or {}).values()):
        return ("<p>The latest benchmark was written by an older version of the bench: run "
                "<code>python -m conformance.bench</code> again.</p>")
    if not bench.get("drivers"):  # --only-suites
        return (f"<p class=muted>{escape(bench.get('when', ''))} on {escape(json.dumps(bench.get('machine')))}</p>"
                + _bench_suites(bench))
    target = bench.get("overhead_target", "")
    rows = "".join(_bench_rows(name, d, target) for name, d in (bench.get("drivers") or {}).items())
    described = "; ".join(f"<b>{escape(k)}</b>: {escape(v)}" for k, v in (bench.get("workloads") or {}).items())
    return (f"<p class=muted>{escape(bench.get('when', ''))} on {escape(json.dumps(bench.get('machine')))}; "
            f"server start-up: {escape(json.dumps(bench.get('servers')))}"
            f"{'; <b>' + escape(bench['interrupted']) + '</b>' if bench.get('interrupted') else ''}</p>"
            f"<p class=muted>Per unit of work, medians in ms. {described}. The ratio is the harness's time over the "
            "plain program's, taken per round (each half a fresh process, warmed up alike) and its median shown with "
            "its range.</p>"
            "<table><tr><th>driver</th><th>start-up s</th><th>workload</th><th>through the harness (pipelined)</th>"
            "<th>SDK calls as the driver timed them</th><th>same calls, plain program</th>"
            "<th>ratio to the plain program</th><th>ratio to the driver's timing</th>"
            "<th title='user + system CPU of the harness process per step: on a machine with as many busy "
            "processes as cores, time the server and the SDK wait for a core'>harness CPU µs/step</th>"
            "<th>server_version one request at a time</th><th>no-op step (share of the plain call)</th></tr>"
            + rows + "</table>" + _bench_suites(bench))


def _coverage(by_scenario, statements: dict) -> str:
    rows = []
    for statement_id, statement in statements.items():
        checks = [sid for sid, (scenario, _) in by_scenario.items() if statement_id in scenario["spec"]]
        links = ", ".join(f"<a href='#row-{escape(s)}'>{escape(s)}</a>" for s in checks)
        rows.append(f"<tr class='{'pass' if checks else 'skip'}'><td>{_source(statement)}"
                    f"<div class=muted>applies to: {escape(', '.join(statement.get('applies_to') or ['every driver']))}"
                    f"</div></td><td>{links or 'not checked by any scenario in this run'}</td></tr>")
    return ("<table><tr><th>statement (level, source)</th><th>scenarios</th></tr>" + "".join(rows) + "</table>")


def _peer_coverage(data, by_scenario) -> str:
    """The peers' own connection tests (scenarios/peer-coverage.yaml): per repository how many are checked
    here, excluded or still proposed; the tests behind each scenario; the proposals; the exclusions."""
    peers = data.get("peer_coverage")
    if not peers:
        return "<p>No peer coverage map in this run.</p>"
    entries, proposals = peers["entries"], peers["proposals"]
    per_repo = {}
    for entry in entries:
        kind = next(k for k in ("scenarios", "excluded", "proposed") if entry.get(k))
        counts = per_repo.setdefault(entry["peer"]["repo"], {"scenarios": 0, "excluded": 0, "proposed": 0})
        counts[kind] += 1
    repos = "".join(f"<tr><td>{escape(repo)}</td><td>{c['scenarios']}</td><td>{c['proposed']}</td>"
                    f"<td>{c['excluded']}</td></tr>" for repo, c in sorted(per_repo.items()))

    def test_name(entry):
        return f"{escape(entry['peer']['repo'])}: {escape(entry['peer']['path'])} <b>{escape(entry['test'])}</b>"

    behind = {}
    for entry in entries:
        for sid in entry.get("scenarios") or []:
            behind.setdefault(sid, []).append(entry)
    def tests(found):
        return "".join(f"<li>{test_name(e)}: {escape(e['behaviour'])}</li>" for e in found)

    checked = "".join(
        f"<tr><td><a href='#row-{escape(sid)}'>{escape(sid)}</a>{'' if sid in by_scenario else ' (not in this run)'}"
        f"</td><td><ul>{tests(found)}</ul></td></tr>" for sid, found in sorted(behind.items()))
    asked = {}
    for entry in entries:
        named = entry.get("proposed") or []
        for pid in ([named] if isinstance(named, str) else named) + list(entry.get("gap") or []):
            asked.setdefault(pid, []).append(entry)
    proposed = "".join(
        f"<tr class='skip'><td>{escape(pid)} ({escape(p['level'])})</td><td>{escape(p['title'])}"
        f"<div class=muted>{escape(p.get('source', ''))}</div>"
        f"{'<div><b>disagrees:</b> ' + escape(p['disagrees']) + '</div>' if p.get('disagrees') else ''}</td>"
        f"<td>{len(asked.get(pid, []))}</td></tr>" for pid, p in sorted(proposals.items()))
    excluded = "".join(f"<li>{test_name(e)}: {escape(e['excluded'])}</li>" for e in entries if e.get("excluded"))
    return (f"<p>{len(entries)} connection tests of the SDKs and of Milvus itself, read and mapped "
            "(<code>scenarios/peer-coverage.yaml</code>).</p>"
            f"<table><tr><th>repository</th><th>checked here</th><th>proposed, not yet checked</th><th>excluded"
            f"</th></tr>{repos}</table><h3>Scenarios and the peer tests that check the same</h3>"
            f"<table><tr><th>scenario</th><th>peer tests</th></tr>{checked}</table>"
            f"<h3>Proposed: in scope, not yet checked here</h3><table><tr><th>proposal</th><th>what, on what grounds"
            f"</th><th>peer tests</th></tr>{proposed}</table>"
            f"<details><summary>Excluded peer tests, with the reason</summary><ul>{excluded}</ul></details>")


def _scenario_level(cells: dict, scenario: dict) -> str:
    """A row's level: the scenario's, or the highest its cells reached (a cell is capped by its statements)."""
    reached = [c.get("level") for c in cells.values() if c.get("level")]
    return max(reached, key=STRENGTH.index) if reached else scenario.get("level") or "must"


def _row_grounds(cells: dict) -> str:
    seen = {}
    for entry in cells.values():
        for statement in entry.get("grounds") or []:
            seen.setdefault(statement["id"], statement)
    strongest_first = sorted(seen.values(), key=lambda s: (-STRENGTH.index(s.get("level", "info")), s["id"]))
    return "".join(_source(s) for s in strongest_first)


def _summary_row(column: str, sdk: str, counts: dict) -> str:
    levels = counts.get("levels") or {}

    def score(level):
        c = levels.get(level) or {}
        return "n/a" if c.get("score") is None else f"{c['score']:.0%} <span class=muted>({c['pass']}/{c['ran']})</span>"
    info = (levels.get("info") or {}).get("observed", 0)
    return (f"<tr><td>{escape(column)}</td><td>{escape(sdk)}</td><td><b>{score('must')}</b></td><td>{score('should')}</td>"
            f"<td>{info} observed</td>"
            + "".join(f"<td class='{o if counts.get(o) else ''}'>{counts.get(o, 0)}</td>" for o in OUTCOME_ORDER)
            + "</tr>")


def render(data: dict) -> str:
    statements = data.get("statements") or {sid: s.to_json() for sid, s in spec_statements().items()}
    columns = data.get("columns") or [{"column": d, "driver": d, "server_version": ""} for d in data["drivers"]]
    drivers = [c["column"] for c in columns]
    driver_of = {c["column"]: c["driver"] for c in columns}
    several_versions = len({c["server_version"] for c in columns}) > 1
    by_scenario = {}
    for entry in data["outcomes"]:
        scenario = entry["scenario"]
        by_scenario.setdefault(scenario["id"], (scenario, {}))[1][_column(entry)] = entry

    def sdk_of(column: str) -> str:
        info = data["drivers"].get(driver_of[column], {})
        sdk, artifact = info.get("sdk") or {}, (info.get("build") or {}).get("artifact") or {}
        digest = artifact.get("digest", "")
        return f"{sdk.get('name', '?')} {sdk.get('version', '?')}" + (
            f" ({digest.split(':')[0]} {digest.split(':')[-1][:8]}…)" if digest else "")

    head = "".join(
        f"<th class=driver data-driver='{escape(c['column'])}'>{escape(c['driver'])}<div class=muted>"
        f"{escape(sdk_of(c['column']))}</div>"
        + (f"<div>{escape(_server_label(c['server_version']))}</div>" if several_versions else "")
        + ("<div class=muted>reference: the server alone</div>"
           if data["drivers"].get(driver_of[c["column"]], {}).get("role") == "reference" else "") + "</th>"
        for c in columns)
    rows, group = [], None
    for scenario_id, (scenario, cells) in sorted(by_scenario.items(), key=lambda kv: (kv[1][0]["group"], kv[1][0]["file"])):
        if scenario["group"] != group:
            group = scenario["group"]
            rows.append(f"<tr class=group><td colspan={len(drivers) + 2}>{escape(group)}</td></tr>")
        row_level = _scenario_level(cells, scenario)
        tds = []
        for d in drivers:
            entry = cells.get(d)
            if entry is None:
                tds.append(f"<td class=cell data-driver='{escape(d)}' data-outcome=none>·</td>")
                continue
            title = escape((entry.get("message") or "").splitlines()[0] if entry.get("message") else entry["outcome"])
            level = entry.get("level") or ""
            tds.append(f"<td class='cell {entry['outcome']}' data-driver='{escape(d)}' data-outcome='{entry['outcome']}' "
                       f"data-level='{escape(level)}' title='{title}'><a href='#{_cell_id(scenario_id, d)}' "
                       f"onclick=\"document.getElementById('{_cell_id(scenario_id, d)}').open=true\">"
                       f"{SYMBOL[entry['outcome']]}</a>"
                       + (f"<div class=muted>{escape(level)}</div>" if level and level != row_level else "") + "</td>")
        rows.append(f"<tr class=scenario id='row-{escape(scenario_id)}' data-group='{escape(scenario['group'])}' "
                    f"data-level='{escape(row_level)}'>"
                    f"<td>{_level_badge(row_level)}<code>{escape(scenario_id)}</code><div>{escape(scenario['title'])}</div></td>"
                    f"<td>{_row_grounds(cells) or escape(', '.join(scenario['spec']))}</td>{''.join(tds)}</tr>")
    summary_rows = "".join(_summary_row(d, sdk_of(d), c) for d, c in data["summary"].items())
    groups = sorted({s["group"] for s, _ in by_scenario.values()})
    filters = (
        "<div class=filters><span>level: " + " ".join(
            f"<label><input type=checkbox name=level value={lv} checked> {lv}</label>" for lv in LEVELS)
        + "</span><span>outcome: " + " ".join(
            f"<label><input type=checkbox name=outcome value={o} checked> {o}</label>"
            for o in OUTCOME_ORDER) + "</span>"
        "<label>driver <select id=f-driver><option value=''>all</option>"
        + "".join(f"<option>{escape(d)}</option>" for d in drivers) + "</select></label>"
        "<label>group <select id=f-group><option value=''>all</option>"
        + "".join(f"<option>{escape(g)}</option>" for g in groups) + "</select></label></div>")
    errors = "".join(f"<li>{_pre(e['message'])}</li>" for e in data.get("collection_errors", []))
    servers = ", ".join(f"{p}: {s['host']}:{s['grpc_port']} (http {s['http_port']}, Milvus {s['version'] or '?'})"
                        for p, s in data["servers"].items())
    histories = data.get("histories") or {}

    def history_of(entry) -> str:
        info = data["drivers"].get(entry.get("column", entry["driver"]).split("@", 1)[0]) or {}
        return histories.get(info.get("instance_of") or entry["driver"], "")

    details = "".join(_details(e, data.get("logs_kept", False), history_of(e)) for e in data["outcomes"])
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8>
<title>Milvus connection conformance — {escape(data['run']['id'])}</title><style>{CSS}</style></head><body>
<h1>Milvus connection conformance</h1>
<p class=muted>Spec: “Manage Milvus Connections” ({escape(data['spec']['file'])}, sha256 {data['spec']['sha256'][:12]}) ·
run {escape(data['run']['id'])} ({escape(data['run']['started'])} – {escape(data['run']['finished'])}) ·
server: {escape(data['server_source'])} · {escape(servers)} · suite {escape(data['run']['suite'])}
{' · <b>interrupted</b>' if data['run']['interrupted'] else ''}</p>
{_provenance(data.get('provenance'))}
<h2>Drivers</h2><table><tr><th>driver</th><th>SDK</th><th>must: what the page says</th><th>should: SDK docs and norms</th>
<th>info</th>{''.join(f'<th>{o}</th>' for o in OUTCOME_ORDER)}</tr>{summary_rows}</table>
<p class=muted>Scores: passes over the cells judged at that level (pass, fail, xfail); the headline is <b>must</b>, what the
page says. <b>should</b> cells rest on the SDK's own documentation or on a norm argued in one sentence; <b>info</b>
cells record what happened and are never judged. Every pass and fail is the SDK's own answer, confirmed in a fresh
driver process; every fail is reproduced by a standalone program. Flaky cells changed outcome between the two attempts.
Skips name their reason (a capability the SDK's API lacks, a statement that does not speak for that SDK, an answer
the driver had to make itself); errors are harness or driver problems.</p>
{'<h2>Scenario file errors</h2><ul>' + errors + '</ul>' if errors else ''}
<h2>Compliance matrix</h2>{filters}
<table><tr><th>scenario</th><th>spec</th>{head}</tr>{''.join(rows)}</table>
<h2>Findings</h2>{_findings(data, by_scenario)}
<h2>Connection limit</h2>{_limits(data)}
<h2>Spec coverage</h2>{_coverage(by_scenario, statements)}
<h2>Peer coverage</h2>{_peer_coverage(data, by_scenario)}
<h2>Where the time went</h2>{_run_time(data)}
<h2>Benchmarks</h2>{_benchmarks(data)}
<h2>Transcripts</h2>{details}
<script>{JS}</script></body></html>"""
