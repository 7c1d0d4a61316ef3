#!/usr/bin/env python3
"""Writes RESULTS.md (and the gnuplot data files) from what run.sh gathered.

usage: report.py OUT_DIR RESULTS_DIR

OUT_DIR holds results.txt (one line per wrk run, key=value), settings.txt,
engine.json / engine.txt (Google Benchmark), memory.txt (slotd_memory_bench),
anchors/anchors.txt (bench/http/anchors.sh: nginx, Redis, pipelining).
"""
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys

SCENARIO_TEXT = {
    "v2_cycle": "v2 increment + decrement (one limit, one slot)",
    "v1_cycle": "v1 increment + decrement by task run",
    "lease_cycle": "increment-with-lease, renew, decrement-with-lease",
    "get_by_name": "GET /v2/concurrency_limits/{name}",
    "filter_200": "POST /v2/concurrency_limits/filter, 200 limits",
    "contended": "64 connections, limit 4, increment-with-lease + release",
}

ENGINE_NO_LEASE = "BM_AcquireRelease/own_limit"
ENGINE_LEASE = "BM_AcquireReleaseLease/own_limit"


def parse_results(path):
    runs = []
    with open(path) as f:
        for line in f:
            run = dict(field.split("=", 1) for field in line.split())
            for key, value in run.items():
                try:
                    run[key] = float(value) if "." in value else int(value)
                except ValueError:
                    pass
            runs.append(run)
    return runs


def parse_anchors(out_dir):
    """anchors.sh's medians: {"slotd": {"rps": ..., "p99_us": ...}, "nginx": ...}."""
    path = os.path.join(out_dir, "anchors", "anchors.txt")
    anchors = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                fields = dict(field.split("=", 1) for field in line.split())
                name = fields.pop("anchor")
                anchors[name] = {k: float(v) for k, v in fields.items()}
    return anchors


def good_rate(run):
    """Answers of the expected statuses per second (Prefect answers some
    requests 503 under concurrent writes)."""
    return (run["requests"] - run["unexpected"]) / run["duration_s"]


def select(runs, **where):
    return [r for r in runs if all(r.get(k) == v for k, v in where.items())]


def median(values):
    return statistics.median(values) if values else None


def command_output(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine():
    model, cores = "", os.cpu_count()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    os_name = ""
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    httplib = ""
    if os.path.exists("/usr/include/httplib.h"):
        with open("/usr/include/httplib.h") as f:
            m = re.search(r'CPPHTTPLIB_VERSION "([^"]+)"', f.read(4096))
            httplib = m.group(1) if m else ""
    wrk = command_output("sh", "-c", "wrk -v 2>&1 | head -1")
    nginx = command_output("sh", "-c", "nginx -v 2>&1")
    redis = command_output("sh", "-c", "redis-server --version 2>&1")
    compiler = command_output("sh", "-c", "c++ --version | head -1")
    commit = command_output("git", "rev-parse", "--short", "HEAD")
    # The report's own outputs do not count as changes to what was measured.
    if command_output("git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                      ":!bench/RESULTS.md", ":!bench/*.png"):
        commit += " (with uncommitted changes)"
    return [
        ("CPU", f"{model}, {cores} cores"),
        ("memory", f"{mem_kib / 1024 / 1024:.1f} GiB"),
        ("OS", f"{os_name}, Linux {platform.release()}"),
        ("compiler", compiler),
        ("cpp-httplib", httplib),
        ("wrk", wrk),
        ("nginx", nginx),
        ("Redis", redis),
        ("slotd commit", commit),
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
    ]


def fmt_rps(x):
    return "n/a" if x is None else f"{x:,.0f}"


def fmt_us(x):
    if x is None:
        return "n/a"
    return f"{x / 1000:.2f} ms" if x >= 1000 else f"{x:.0f} µs"


def verdict(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**missed**")


def engine_results(out_dir):
    path = os.path.join(out_dir, "engine.json")
    if not os.path.exists(path):
        return None, []
    with open(path) as f:
        data = json.load(f)
    # With --benchmark_repetitions, the medians (named as the runs are);
    # otherwise the single runs.
    medians = [dict(b, name=b["run_name"]) for b in data["benchmarks"]
               if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"]
    rows = medians or [b for b in data["benchmarks"]
                       if b.get("run_type", "iteration") == "iteration"]
    return data.get("context", {}), rows


def engine_rate(rows, family, threads):
    for b in rows:
        name = b["name"]
        if name.startswith(family + "/") and f"threads:{threads}" in name:
            return b.get("items_per_second")
    return None


def family_of(name):
    return re.sub(r"/(real_time|threads:\d+|process_time)", "", name)


def memory_results(out_dir):
    path = os.path.join(out_dir, "memory.txt")
    result = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                name, *fields = line.split()
                result[name] = {k: float(v) for k, v in (x.split("=") for x in fields)}
    return result


def callgrind_inclusive(path):
    """Function name -> inclusive instructions, from callgrind_annotate's
    output. A function listed more than once (its code attributed to several
    source files) keeps its largest figure."""
    costs = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(\S.*)$", line)
            if not m:
                continue
            name = m.group(2)
            name = re.sub(r" \[[^\]]*\]$", "", name)  # the object file
            name = name.split(":", 1)[1] if ":" in name.split("(")[0] else name
            cost = int(m.group(1).replace(",", ""))
            costs[name] = max(costs.get(name, 0), cost)
    return costs


def callgrind_sum(costs, pattern):
    """Sum over the distinct functions whose name matches `pattern`."""
    return sum(c for name, c in costs.items() if re.match(pattern, name))


# Where slotd's instructions go: (label, pattern), the slotd handler's parts
# indented under it. Patterns match the start of callgrind's function names.
PROFILE_PARTS = [
    ("cpp-httplib: read headers", r"httplib::detail::read_headers\("),
    ("cpp-httplib: read body", r"httplib::Server::read_content\("),
    ("cpp-httplib: write response", r"httplib::Server::write_response_core\("),
    ("slotd request handler (Serve)", r"slotd::api::HttpServer::Impl::Serve\("),
    ("  of which JSON parsing (simdjson + typed request)", r"slotd::api::BodyParser::Parse\(|slotd::api::Parse\w+\("),
    ("  of which engine calls", r"slotd::SlotEngine::\w+\("),
    ("  of which JSON writing", r"slotd::api::\w+Json\[abi:cxx11\]\("),
]


def profile_section(out_dir, w):
    base = os.path.join(out_dir, "profile")
    if not os.path.isdir(base):
        return
    scenarios = [s for s in SCENARIO_TEXT if os.path.exists(os.path.join(base, s, "per_request.txt"))]
    if not scenarios:
        return
    w("## Instructions per request (callgrind)\n")
    w("Both servers under `valgrind --tool=callgrind` at low load (wrk, 4 connections),")
    w("counters zeroed after start-up (`bench/http/profile.sh`). Instruction counts")
    w("repeat run to run where req/s does not; they leave out the kernel (each request")
    w("costs both servers the same system calls: cpp-httplib makes about 11 per")
    w("request, 6 of them poll).\n")
    w("| scenario | slotd | floor | floor / slotd |\n|---|---|---|---|")
    per = {}
    for scenario in scenarios:
        rows = {}
        with open(os.path.join(base, scenario, "per_request.txt")) as f:
            for line in f:
                name, requests, total = line.split()
                rows[name] = int(total) / max(int(requests), 1)
        per[scenario] = rows
        s, fl = rows.get("slotd"), rows.get("floor")
        w(f"| `{scenario}` | {s:,.0f} | {fl:,.0f} | {fl / s:.2f} |" if s and fl else f"| `{scenario}` | n/a | n/a | n/a |")
    w("")
    w("Where slotd's instructions go, per request (inclusive costs; the rest is")
    w("cpp-httplib's connection loop, routing and allocation):\n")
    w("| | " + " | ".join(f"`{s}`" for s in scenarios) + " |")
    w("|---|" + "---|" * len(scenarios))
    table = {}
    for scenario in scenarios:
        path = os.path.join(base, scenario, "slotd.inclusive.txt")
        requests = None
        with open(os.path.join(base, scenario, "per_request.txt")) as f:
            for line in f:
                if line.startswith("slotd "):
                    requests = int(line.split()[1])
        if not os.path.exists(path) or not requests:
            continue
        costs = callgrind_inclusive(path)
        table[scenario] = {label: callgrind_sum(costs, pattern) / requests for label, pattern in PROFILE_PARTS}
        table[scenario]["total"] = per[scenario]["slotd"]
    for label in ["total"] + [label for label, _ in PROFILE_PARTS]:
        cells = []
        for scenario in scenarios:
            v = table.get(scenario, {}).get(label)
            t = table.get(scenario, {}).get("total")
            cells.append("n/a" if v is None else f"{v:,.0f} ({100 * v / t:.0f}%)")
        w(f"| {label.replace('  ', '&nbsp;&nbsp;')} | " + " | ".join(cells) + " |")
    w("")


def main():
    out_dir, results_dir = sys.argv[1], sys.argv[2]
    settings = dict(
        line.rstrip("\n").split("=", 1) for line in open(os.path.join(out_dir, "settings.txt"))
    )
    runs = parse_results(os.path.join(out_dir, "results.txt"))
    main_runs = select(runs, phase="main")

    def stat(server, scenario, key):
        return median([r[key] for r in select(main_runs, server=server, scenario=scenario)])

    anchors = parse_anchors(out_dir)
    redis = anchors.get("redis", {}).get("rps")
    nginx = anchors.get("nginx", {}).get("rps")
    anchor_slotd = anchors.get("slotd", {}).get("rps")
    prefect_best = median([good_rate(r) for r in select(runs, phase="prefect1", server="prefect")])
    v2_slotd = stat("slotd", "v2_cycle", "rps")
    v2_floor = stat("floor", "v2_cycle", "rps")
    v2_ratio = v2_slotd / v2_floor if v2_slotd and v2_floor else None
    v2_p99 = stat("slotd", "v2_cycle", "p99_us")
    round_ratios = []
    for r in sorted({run["round"] for run in main_runs}):
        s_r = select(main_runs, server="slotd", scenario="v2_cycle", round=r)
        f_r = select(main_runs, server="floor", scenario="v2_cycle", round=r)
        if s_r and f_r:
            round_ratios.append(s_r[0]["rps"] / f_r[0]["rps"])

    ctx, engine_rows = engine_results(out_dir)
    no_lease_1 = engine_rate(engine_rows, ENGINE_NO_LEASE, 1)
    no_lease_2 = engine_rate(engine_rows, ENGINE_NO_LEASE, 2)
    lease_1 = engine_rate(engine_rows, ENGINE_LEASE, 1)
    scaling = no_lease_2 / no_lease_1 if no_lease_1 and no_lease_2 else None

    memory = memory_results(out_dir)
    per_lease = memory.get("lease", {}).get("rss_bytes_per_object")
    per_limit = memory.get("limit", {}).get("rss_bytes_per_object")

    def check(value, good):
        return None if value is None else good(value)

    out = []
    w = out.append
    w("# slotd benchmark results\n")
    w("Written by `bench/http/run.sh` (see the README's *Benchmarks*); every number")
    w("below was measured in the same run, on this machine. Do not edit by hand:")
    w("run the script again.\n")
    w("## Machine and settings\n")
    w("| | |\n|---|---|")
    for key, value in machine():
        w(f"| {key} | {value} |")
    pin = settings["pin"] == "1"
    w(f"| load | wrk 4.1, one thread (`-t1`), keep-alive, {settings['connections']} connections "
      f"({settings['contended_connections']} for the contended cycle), "
      f"{settings['duration_s']} s per run, {settings['rounds']} rounds, the servers in turn "
      f"(slotd, the floor{', Prefect' if settings.get('prefect_version') else ''}; the first rotates "
      f"round by round); medians over rounds |")
    w(f"| CPUs | {'servers pinned to CPU 0, wrk to CPU 1 (taskset)' if pin else 'not pinned: servers and wrk share both cores'}"
      f"{', run at nice ' + settings['nice'] if settings.get('nice', '0') != '0' else ''} |")
    w(f"| load average (1, 5, 15 min) | {settings.get('load_before', '?')} before the HTTP runs, "
      f"{settings.get('load_after', '?')} after all runs (above ~0.5 other work shared the CPUs) |")
    if settings.get("prefect_version"):
        w(f"| Prefect server | {settings['prefect_version']} (the pinned release: uvicorn on its app, "
          "SQLite in a temporary folder, in-memory leases, web server only) |")
    if settings.get("slotd_args") or settings.get("floor_args"):
        w(f"| server flags | slotd `{settings.get('slotd_args', '')}`, floor `{settings.get('floor_args', '')}` |")
    w("")

    w("## Targets\n")
    w("| target | measured | |\n|---|---|---|")
    w(f"| v2 cycle through slotd >= 0.9 x the floor's req/s (same run) | "
      f"{fmt_rps(v2_slotd)} / {fmt_rps(v2_floor)} = **{v2_ratio:.2f}x** (rounds: "
      f"{', '.join(f'{x:.2f}' for x in round_ratios)}) | {verdict(check(v2_ratio, lambda x: x >= 0.9))} |"
      if v2_ratio else "| v2 cycle >= 0.9 x floor | n/a | n/a |")
    if v2_slotd and prefect_best:
        w(f"| v2 cycle >= 100 x the real Prefect server at its best (1 connection, SQLite; same run) | "
          f"{fmt_rps(v2_slotd)} / {fmt_rps(prefect_best)} = **{v2_slotd / prefect_best:,.0f}x** | "
          f"{verdict(v2_slotd / prefect_best >= 100)} |")
    else:
        w("| v2 cycle >= 100 x the real Prefect server | n/a (SKIP_PREFECT) | n/a |")
    if anchor_slotd and redis:
        w(f"| v2 cycle >= 0.9 x Redis's Lua semaphore (redis-benchmark -c {settings['connections']}, "
          f"bench/http/anchors.sh) | {fmt_rps(anchor_slotd)} / {fmt_rps(redis)} = "
          f"**{anchor_slotd / redis:.2f}x** | {verdict(anchor_slotd / redis >= 0.9)} |")
    w(f"| p99 of the v2 cycle at {settings['connections']} connections < 1 ms | {fmt_us(v2_p99)} | "
      f"{verdict(check(v2_p99, lambda x: x < 1000))} |")
    w(f"| engine, one thread, acquire + release without lease >= 5M pairs/s | "
      f"{fmt_rps(no_lease_1)} | {verdict(check(no_lease_1, lambda x: x >= 5e6))} |")
    w(f"| engine, one thread, acquire + release with lease >= 1M pairs/s | "
      f"{fmt_rps(lease_1)} | {verdict(check(lease_1, lambda x: x >= 1e6))} |")
    w(f"| engine, two threads on distinct limits >= 1.6 x one thread | "
      + (f"{fmt_rps(no_lease_2)} / {fmt_rps(no_lease_1)} = **{scaling:.2f}x**" if scaling else "n/a")
      + f" | {verdict(check(scaling, lambda x: x >= 1.6))} |")
    w(f"| <= 256 resident bytes per lease (1M leases held) | "
      + (f"{per_lease:.0f} B" if per_lease else "n/a")
      + f" | {verdict(check(per_lease, lambda x: x <= 256))} |")
    w(f"| <= 512 resident bytes per limit (100k limits) | "
      + (f"{per_limit:.0f} B" if per_limit else "n/a")
      + f" | {verdict(check(per_limit, lambda x: x <= 512))} |")
    w("")

    w("## Against the anchors (v2 cycle, req/s, all measured in this run)\n")
    w("slotd's and the floor's figures are the scenario runs below; Prefect's are the")
    w("answers of the expected status per second. nginx and Redis ran in")
    w("`bench/http/anchors.sh` after the scenarios, with slotd again beside them (its")
    w("own figure there is the ratio's numerator).\n")
    w("| | req/s | p99 | slotd / it |\n|---|---|---|---|")
    w(f"| **slotd** | **{fmt_rps(v2_slotd)}** | {fmt_us(v2_p99)} | |")
    w(f"| bare cpp-httplib floor (`bench/http/floor_server.cc`) | {fmt_rps(v2_floor)} | "
      f"{fmt_us(stat('floor', 'v2_cycle', 'p99_us'))} | " + (f"{v2_ratio:.2f}x |" if v2_ratio else "n/a |"))
    prefect16 = median([good_rate(r) for r in select(main_runs, server="prefect", scenario="v2_cycle")])
    if prefect16:
        w(f"| real Prefect server, SQLite, {settings['connections']} connections | {fmt_rps(prefect16)} | "
          f"{fmt_us(stat('prefect', 'v2_cycle', 'p99_us'))} | {v2_slotd / prefect16:,.0f}x |")
    if prefect_best:
        p99_1 = median([r["p99_us"] for r in select(runs, phase="prefect1", server="prefect")])
        w(f"| real Prefect server, SQLite, 1 connection (its best) | {fmt_rps(prefect_best)} | "
          f"{fmt_us(p99_1)} | {v2_slotd / prefect_best:,.0f}x |")
    if anchor_slotd:
        w(f"| slotd again, beside nginx and Redis (`anchors.sh`) | {fmt_rps(anchor_slotd)} | "
          f"{fmt_us(anchors['slotd']['p99_us'])} | |")
        for name, label in [("redis", "Redis, Lua semaphore (`redis_semaphore.lua`, redis-benchmark)"),
                            ("nginx", "nginx, fixed JSON (`nginx.conf`, the same wrk script)")]:
            if name in anchors:
                w(f"| {label} | {fmt_rps(anchors[name]['rps'])} | {fmt_us(anchors[name]['p99_us'])} | "
                  f"{anchor_slotd / anchors[name]['rps']:.2f}x |")
    w("")
    if "slotd_p16" in anchors and "nginx_p16" in anchors:
        p16, n16 = anchors["slotd_p16"]["rps"], anchors["nginx_p16"]["rps"]
        w("### Pipelining at depth 16 (`wrk/pipeline16.lua`)\n")
        w("16 requests written at once per connection (8 v2 increment / decrement pairs),")
        w(f"{settings['connections']} connections. wrk counts every answer, so req/s are HTTP requests.\n")
        w("| | req/s | pipelines/s |\n|---|---|---|")
        w(f"| slotd | {fmt_rps(p16)} | {fmt_rps(p16 / 16)} |")
        w(f"| nginx, fixed JSON | {fmt_rps(n16)} | {fmt_rps(n16 / 16)} |")
        w(f"\nslotd / nginx at depth 16: {p16 / n16:.2f}x.\n")

    w("## HTTP scenarios\n")
    w("Requests per second and latency per request (wrk's, from sending a request")
    w("to its full answer), medians over the rounds; the range is min-max of req/s.")
    w("The floor answers the same routes with fixed bytes of the same shape.\n")
    w("The CPU columns are the server's own CPU time per request (user + system,")
    w("system in brackets), from /proc over the run.\n")
    w("| scenario | conns | slotd req/s (range) | p50 | p99 | CPU/req | floor req/s | p50 | p99 | CPU/req | slotd / floor |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    tick_us = 1e6 / float(settings.get("clock_ticks_per_s", 100))

    def cpu_per_request(rows):
        requests = sum(r["requests"] for r in rows)
        if not rows or "cpu_ticks" not in rows[0] or not requests:
            return "n/a"
        cpu = sum(r["cpu_ticks"] for r in rows) * tick_us / requests
        sys_ = sum(r["sys_ticks"] for r in rows) * tick_us / requests
        return f"{cpu:.1f} µs ({sys_:.1f})"
    notes = []
    for scenario in SCENARIO_TEXT:
        srows = select(main_runs, server="slotd", scenario=scenario)
        if not srows:
            continue
        frows = select(main_runs, server="floor", scenario=scenario)
        s_rps = median([r["rps"] for r in srows])
        f_rps = median([r["rps"] for r in frows])
        rng = f"{min(r['rps'] for r in srows):,.0f}-{max(r['rps'] for r in srows):,.0f}"
        cells = [
            f"`{scenario}`: {SCENARIO_TEXT[scenario]}", str(srows[0]["connections"]),
            f"{fmt_rps(s_rps)} ({rng})", fmt_us(median([r["p50_us"] for r in srows])),
            fmt_us(median([r["p99_us"] for r in srows])), cpu_per_request(srows),
        ]
        if frows:
            cells += [fmt_rps(f_rps), fmt_us(median([r["p50_us"] for r in frows])),
                      fmt_us(median([r["p99_us"] for r in frows])), cpu_per_request(frows),
                      f"{s_rps / f_rps:.2f}x"]
        else:
            cells += ["-", "-", "-", "-", "-"]
        w("| " + " | ".join(cells) + " |")
        bad = sum(r["unexpected"] + r["socket_errors"] for r in srows + frows)
        if bad:
            notes.append(f"`{scenario}`: {bad} unexpected answers or socket errors over all rounds "
                         f"(codes: {', '.join(r['server'] + ' ' + str(r['codes']) for r in srows + frows)})")
        if scenario == "contended":
            seconds = sum(r["duration_s"] for r in srows)
            granted = sum(r.get("granted", 0) for r in srows)
            locked = sum(r.get("locked", 0) for r in srows)
            increments = granted + locked
            notes.append(
                f"`contended`: {granted / seconds:,.0f} grants (full cycles) per second; "
                f"{locked:,} of {increments:,} increments answered 423 Locked "
                f"({100 * locked / max(increments, 1):.1f}%), counted as expected answers, not errors. "
                f"Clients retry at once, ignoring Retry-After.")
        if scenario == "lease_cycle":
            overtaken = sum(r.get("renew_overtaken", 0) for r in srows)
            notes.append(f"`lease_cycle`: {overtaken} renews answered 410 because their lease's release "
                         f"overtook them on another connection (a limit of driving per-connection state "
                         f"from one wrk thread, see `wrk/lease_cycle.lua`).")
    w("")
    for note in notes:
        w(f"- {note}")
    w("")

    prefect_rows = select(main_runs, server="prefect")
    if prefect_rows:
        w("## Against the real Prefect server\n")
        w(f"The pinned Prefect {settings.get('prefect_version', '')} with SQLite, driven by the same wrk")
        w("scripts in the same rounds. Prefect answers some requests")
        w('`503 {"exception_message":"Service Unavailable"}` when SQLite reports "database')
        w('is locked" under concurrent writes (its client retries them) and closes the')
        w("connection; those are not counted: the rates below are answers of the expected")
        w("statuses per second. In `lease_cycle` Prefect's release follows its renew 64")
        w("requests later (slotd's: 4096), or no lease would be released in a run.\n")
        w("| scenario | conns | slotd req/s | Prefect answers/s | Prefect p50 | p99 | Prefect 503s (share) | slotd / Prefect |")
        w("|---|---|---|---|---|---|---|---|")
        for scenario in SCENARIO_TEXT:
            prows = select(prefect_rows, scenario=scenario)
            srows = select(main_runs, server="slotd", scenario=scenario)
            if not prows or not srows:
                continue
            s_rps = median([r["rps"] for r in srows])
            p_rate = median([good_rate(r) for r in prows])
            answers = sum(r["requests"] for r in prows)
            unavailable = sum(int(c.split(":")[1]) for r in prows for c in str(r["codes"]).split(",")
                              if c.startswith("503:"))
            w(f"| `{scenario}` | {prows[0]['connections']} | {fmt_rps(s_rps)} | {p_rate:,.1f} | "
              f"{fmt_us(median([r['p50_us'] for r in prows]))} | {fmt_us(median([r['p99_us'] for r in prows]))} | "
              f"{unavailable:,} ({100 * unavailable / max(answers, 1):.0f}%) | "
              + (f"{s_rps / p_rate:,.0f}x |" if p_rate else "n/a |"))
        best = select(runs, phase="prefect1", server="prefect")
        if best:
            w(f"| `v2_cycle`, Prefect at 1 connection | 1 | {fmt_rps(v2_slotd)} (at {settings['connections']}) | "
              f"{prefect_best:,.1f} | {fmt_us(median([r['p50_us'] for r in best]))} | "
              f"{fmt_us(median([r['p99_us'] for r in best]))} | "
              f"{sum(r['unexpected'] for r in best):,} unexpected | {v2_slotd / prefect_best:,.0f}x |")
        w("")

    sweep = select(runs, phase="sweep")
    if sweep:
        w("## Connection sweep (v2 cycle)\n")
        w(f"{settings.get('sweep_rounds', '1')} sweeps of {settings.get('sweep_duration_s', '?')} s per point "
          "and server, alternating which server goes first; medians.\n")
        w("![req/s against connections](sweep.png)\n")
        w("| connections | slotd req/s | p99 | floor req/s | p99 | slotd / floor |")
        w("|---|---|---|---|---|---|")
        lines = []
        for c in sorted({r["connections"] for r in sweep}):
            s = select(sweep, server="slotd", connections=c)
            f = select(sweep, server="floor", connections=c)
            s_rps, f_rps = median([r["rps"] for r in s]), median([r["rps"] for r in f])
            s_p99, f_p99 = median([r["p99_us"] for r in s]), median([r["p99_us"] for r in f])
            w(f"| {c} | {fmt_rps(s_rps)} | {fmt_us(s_p99)} | {fmt_rps(f_rps)} | {fmt_us(f_p99)} | "
              + (f"{s_rps / f_rps:.2f}x |" if s_rps and f_rps else "n/a |"))
            lines.append(f"{c} {s_rps or 0} {f_rps or 0} {s_p99 or 0} {f_p99 or 0}")
        with open(os.path.join(out_dir, "sweep.dat"), "w") as f:
            f.write("connections slotd floor slotd_p99_us floor_p99_us\n" + "\n".join(lines) + "\n")
        errors = sum(r["unexpected"] + r["socket_errors"] for r in sweep)
        if errors:
            w(f"\nSocket errors or unexpected answers during the sweep: {errors}.")
        w("")

    if engine_rows:
        w("## Engine (`build/slotd_engine_bench`, Google Benchmark)\n")
        w("One item is one take-and-give-back pair; items/s is over all threads.")
        reps = engine_rows[0].get("repetitions", 1)
        if reps > 1:
            w(f"Medians of {reps} repetitions (two threads share this machine's two")
            w("cores with everything else, so single runs of them vary by a third).")
        if ctx:
            w(f"Run on {ctx.get('num_cpus')} CPUs at {ctx.get('mhz_per_cpu')} MHz.\n")
        w("![engine operations/s against threads](engine_threads.png)\n")
        w("| benchmark | time per iteration | items/s |\n|---|---|---|")
        for b in engine_rows:
            unit = b.get("time_unit", "ns")
            rate = b.get("items_per_second")
            w(f"| `{b['name']}` | {b['real_time']:,.1f} {unit} | "
              + (fmt_rps(rate) if rate else "-") + " |")
        families = {}
        for b in engine_rows:
            m = re.search(r"threads:(\d+)", b["name"])
            if m and b.get("items_per_second"):
                families.setdefault(family_of(b["name"]), {})[int(m.group(1))] = b["items_per_second"]
        families = {k: v for k, v in families.items() if len(v) > 1}
        if families:
            threads = sorted({t for v in families.values() for t in v})
            names = list(families)
            with open(os.path.join(out_dir, "engine_threads.dat"), "w") as f:
                f.write("threads " + " ".join(n.replace("BM_", "") for n in names) + "\n")
                for t in threads:
                    f.write(f"{t} " + " ".join(str(families[n].get(t, "NaN")) for n in names) + "\n")
        w("")

    if memory:
        w("## Memory (`build/slotd_memory_bench`)\n")
        w("Each figure is measured in a fresh process: VmRSS (and heap bytes in use,")
        w("mallinfo2) before and after creating the objects through the engine API,")
        w("divided by their number.\n")
        w("| objects | count | resident bytes each | heap bytes each |\n|---|---|---|---|")
        labels = {
            "lease": "lease, one slot on one limit, no holder",
            "lease_with_holder": "lease with a task_run holder",
            "limit": "limit, 18-byte name",
            "limit_short_name": "limit, 10-byte name (fits the string's inline buffer)",
        }
        for name, fields in memory.items():
            w(f"| {labels.get(name, name)} | {fields['objects']:,.0f} | "
              f"{fields['rss_bytes_per_object']:.0f} | {fields['heap_bytes_per_object']:.0f} |")
        w("")

    profile_section(out_dir, w)

    with open(os.path.join(results_dir, "RESULTS.md"), "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
