"""Latency benchmark of the HTTP service (issues 6 and 14): N concurrent clients on loopback.

Each round starts ``python -m classifier serve`` (default settings unless ``--settings`` says
otherwise) in a subprocess on a free 127.0.0.1 port and, for each ``--clients`` count, runs
that many client threads that POST the same 3,000-character page (built from the seed pages)
to ``/classify`` back to back for ``--duration`` seconds. Next to it, in the same round, a
fresh interpreter measures the in-process ``analyze()`` of that page (no HTTP): the baseline
every latency is compared with. ``--before REF`` also serves the tree of a git revision
(``git archive REF``, with its own in-process baseline) in every round, so "before" and
"after" come from the same run on the same (noisy, shared) machine. The report gives medians
over ``--rounds``.

The clients are deliberately cheap, because they share the machine's cores with the server:
one raw keep-alive socket per thread, a request prebuilt as bytes, and a response read by its
``content-length`` (no HTTP library); what they cost is measured (client CPU per request) and
reported, as is the server's CPU per request (all its processes, from ``/proc``).

    python bench/bench_serve.py --before HEAD --rounds 5 --out docs/SERVE_BENCH.md
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Not resolved: a copy of the tree that links this file in still benchmarks that copy.
ROOT = Path(os.path.abspath(__file__)).parents[1]
PAGE_CHARS = 3000
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


def build_page(root: Path = ROOT, chars: int = PAGE_CHARS) -> str:
    """A ``chars``-character page: the seed pages joined, cut at the nearest line end."""
    text = "\n".join(p.read_text("utf-8") for p in sorted((root / "seeds").glob("*.txt")))
    cut = text.rfind("\n", 0, chars)
    page = text[: cut if cut > chars // 2 else chars]
    return page + "。" * (chars - len(page))  # pad to exactly `chars` characters


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- in-process baseline -------------------------------------------------------------------------

def in_process_ms(page: str, model: str, repeats: int) -> float:
    """Median milliseconds of one in-process classify of ``page`` (no HTTP), after a warm-up,
    exactly as ``POST /classify`` calls it."""
    from classifier.labelling.analysis import analyze
    from classifier.labelling.options import Options
    from classifier.model.store import load_model
    from classifier.text.reader import articles_from_text

    m = load_model(model)
    times = []
    for i in range(repeats + 5):
        t0 = time.perf_counter()
        analyze(articles_from_text(page, source="<text>"), m, Options())
        if i >= 5:
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def baseline(tree: Path, page: str, model: str, repeats: int = 40) -> float:
    """``in_process_ms`` in a fresh interpreter running the code of ``tree``."""
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--in-process", "--model", model,
         "--repeats", str(repeats)],
        input=page.encode("utf-8"), capture_output=True, check=True, cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)})
    return float(out.stdout)


# -- the server under test ----------------------------------------------------------------------

def _group_pids(pgid: int) -> list[int]:
    """Processes of the server's process group (master, workers, helpers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                pids.append(int(entry.name))
    return pids


def group_cpu_seconds(pgid: int) -> tuple[float, float]:
    """User + system CPU seconds used so far by the live processes of a process group: by the
    group leader (the ``serve`` process) and by all the others (its workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    leader = others = 0
    for pid in _group_pids(pgid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used = int(fields[11]) + int(fields[12])  # utime, stime
        if pid == pgid:
            leader += used
        else:
            others += used
    return leader / tick, others / tick


@dataclass
class Server:
    """A running ``classifier serve`` in its own process group."""

    proc: subprocess.Popen[bytes]
    port: int
    workers: int  # processes serving HTTP
    analysis: int  # analysis processes behind them (0: they analyze themselves)
    log: Path

    def stop(self) -> int:
        """SIGTERM, then the exit code (SIGKILL to the whole group after 30 s)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait()


def start_server(tree: Path, model: str, setting: str, log: Path) -> Server:
    """``python -m classifier serve`` from ``tree`` with a ``setting`` ("default", or options
    and ``NAME=value`` environment variables, e.g. ``--workers 2``); returns when every worker
    has started."""
    port = free_port()
    cmd = [sys.executable, "-m", "classifier", "serve", "--host", "127.0.0.1", "--port",
           str(port), "--model", model]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    for token in setting.split() if setting != "default" else []:
        name, eq, value = token.partition("=")
        if eq and not name.startswith("-"):
            env[name] = value
        else:
            cmd.append(token)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=tree, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env=env)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            raise SystemExit(f"server did not start; see {log}")
        # uvicorn logs one "Application startup complete" per worker (one for a single process);
        # multiprocess workers are the children that run multiprocessing's spawn_main,
        # analysis processes (issue 14) run classifier.service.worker.
        children = [p for p in _group_pids(proc.pid) if p != proc.pid]
        uvicorn_workers = sum(b"spawn_main" in _cmdline(p) for p in children)
        # forked by the service's fork server, itself a child of the serve process
        analysis = sum(_parent(p) not in (proc.pid, 1) for p in children)
        ready = log.read_bytes().count(b"Application startup complete")
        if ready >= max(1, uvicorn_workers) and _answers(port):
            return Server(proc, port, max(1, uvicorn_workers), analysis, log)
        time.sleep(0.2)


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _answers(port: int) -> bool:
    try:
        with Connection(port) as c:
            return c.request(b"GET /health HTTP/1.1\r\nhost: bench\r\n\r\n")[0] == 200
    except OSError:
        return False


# -- the cheap client ---------------------------------------------------------------------------

class Connection:
    """One raw HTTP/1.1 keep-alive connection: send prebuilt bytes, read one response by its
    ``content-length`` (the service always sends one)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send one request; (status, body) of its response."""
        self.sock.sendall(raw)
        buf = self.buf
        while (end := buf.find(b"\r\n\r\n")) < 0:
            buf += self._recv()
        head = buf[:end]
        match = CONTENT_LENGTH.search(head)
        if match is None:
            raise ConnectionError(f"response without content-length: {head[:200]!r}")
        total = end + 4 + int(match.group(1))
        while len(buf) < total:
            buf += self._recv()
        self.buf = buf[total:]
        return int(head[9:12]), buf[end + 4:total]

    def _recv(self) -> bytes:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("server closed the connection")
        return chunk


def classify_request(page: str) -> bytes:
    """The prebuilt ``POST /classify`` request for ``page``."""
    body = json.dumps({"text": page}, ensure_ascii=False).encode("utf-8")
    return (b"POST /classify HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def load(port: int, raw: bytes, clients: int, duration: float) -> dict[str, Any]:
    """``clients`` threads sending ``raw`` back to back for ``duration`` seconds."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    pids = [0] * clients
    ready = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(k: int) -> None:
        with Connection(port) as c:
            _, health = c.request(b"GET /health HTTP/1.1\r\nhost: bench\r\n\r\n")
            pids[k] = json.loads(health)["pid"]  # the worker serving this connection
            for _ in range(3):  # warm the connection and the server's caches
                c.request(raw)
            ready.wait()
            while (t0 := time.perf_counter()) < deadline[0]:
                try:
                    ok = c.request(raw)[0] == 200
                except OSError:
                    ok = False
                latencies[k].append(time.perf_counter() - t0)
                if not ok:
                    errors[k] += 1
                    break

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + duration
    ready.wait()
    cpu0, t0 = time.process_time(), time.perf_counter()
    for t in threads:
        t.join(duration + 120)
    elapsed, client_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    lat = sorted(x for per in latencies for x in per)
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
    per_worker = sorted(Counter(pids).values(), reverse=True)
    return {"requests": len(lat), "rps": len(lat) / elapsed, "p50_ms": q[49] * 1000,
            "p99_ms": q[98] * 1000, "max_ms": lat[-1] * 1000, "errors": sum(errors),
            "client_cpu_ms": client_cpu / max(1, len(lat)) * 1000,
            "connections": "/".join(map(str, per_worker))}


def _sets_env(setting: str) -> bool:
    return any("=" in t and not t.startswith("-") for t in setting.split())


def measure(tree: Path, label: str, setting: str, args: argparse.Namespace, page: str
            ) -> list[dict[str, Any]]:
    """One server of ``tree``, loaded with each ``--clients`` count in turn."""
    log = Path(tempfile.mkdtemp(prefix="bench-serve-")) / "server.log"
    server = start_server(tree, args.model, setting, log)
    raw = classify_request(page)
    rows = []
    try:
        for clients in args.clients:
            main0, rest0 = group_cpu_seconds(server.proc.pid)
            result = load(server.port, raw, clients, args.duration)
            main1, rest1 = group_cpu_seconds(server.proc.pid)
            per = 1000 / max(1, result["requests"])
            rows.append({"tree": label, "setting": setting, "processes": server.workers,
                         "analysis_processes": server.analysis, "clients": clients, **result,
                         "server_cpu_ms": (main1 - main0 + rest1 - rest0) * per,
                         "main_cpu_ms": (main1 - main0) * per})
    finally:
        code = server.stop()
    for row in rows:
        row["exit_code"] = code
    return rows


def prepare_before(ref: str) -> Path:
    """The tree to serve as "before": a folder as it is, or the files of git revision ``ref``
    extracted to a temporary folder (``git archive``; the checkout is not touched)."""
    if Path(ref).is_dir():
        return Path(ref).resolve()
    target = Path(tempfile.mkdtemp(prefix="bench-serve-before-"))
    archive = subprocess.Popen(["git", "archive", "--format=tar", ref], cwd=ROOT,
                               stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {ref} failed")
    return target


# -- report -------------------------------------------------------------------------------------

KEYS = ("rps", "p50_ms", "p99_ms", "max_ms", "server_cpu_ms", "main_cpu_ms", "client_cpu_ms")


def summarize(rounds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Medians over rounds for each (tree, setting, clients), with the tree's baseline."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for rnd in rounds:
        for row in rnd["rows"]:
            groups.setdefault((row["tree"], row["setting"], row["clients"]), []).append(
                {**row, "base_ms": rnd["baseline_ms"][row["tree"]]})
    out = []
    for (tree, setting, clients), rows in groups.items():
        med = {k: statistics.median(r[k] for r in rows) for k in (*KEYS, "base_ms")}
        # the ratio is taken per round (same moment on the machine), then the median
        ratio = statistics.median(r["p99_ms"] / r["base_ms"] for r in rows)
        ratio50 = statistics.median(r["p50_ms"] / r["base_ms"] for r in rows)
        out.append({"tree": tree, "setting": setting, "processes": rows[0]["processes"],
                    "analysis_processes": rows[0]["analysis_processes"],
                    "clients": clients, "rounds": len(rows), **med, "p99_ratio": ratio,
                    "p50_ratio": ratio50, "errors": sum(r["errors"] for r in rows),
                    "exit_codes": sorted({r["exit_code"] for r in rows}),
                    # how the clients' connections fell on the HTTP processes, each round
                    "connections": " ".join(dict.fromkeys(r["connections"] for r in rows))})
    return out


def markdown(summary: list[dict[str, Any]]) -> str:
    """The results table (medians over rounds)."""
    lines = [
        "| tree | settings | processes: HTTP + analysis | clients | in-process ms | p50 ms | "
        "p99 ms | p50 ÷ in-process | p99 ÷ in-process | req/s | server CPU ms/req (HTTP "
        "process) | client CPU ms/req | errors | connections per HTTP process |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in summary:
        lines.append(
            f"| {s['tree']} | {s['setting']} | {s['processes']} + {s['analysis_processes']} | "
            f"{s['clients']} | {s['base_ms']:.1f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | "
            f"{s['p50_ratio']:.1f}× | {s['p99_ratio']:.1f}× | {s['rps']:.0f} | "
            f"{s['server_cpu_ms']:.1f} ({s['main_cpu_ms']:.1f}) | {s['client_cpu_ms']:.2f} | "
            f"{s['errors']} | {s['connections']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--settings", nargs="+", default=["default"],
                    help="server settings to run: 'default', or serve options and NAME=value "
                         "environment variables in one string, e.g. '--workers 2'; the "
                         "--before tree runs those without environment variables")
    ap.add_argument("--clients", type=int, nargs="+", default=[8, 16])
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--before", metavar="REF",
                    help="also serve this git revision (or folder) each round")
    ap.add_argument("--model", default="default")
    ap.add_argument("--out", type=Path, help="append the markdown table to this file")
    ap.add_argument("--json", type=Path, help="write every round's raw numbers here")
    ap.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--repeats", type=int, default=40, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.in_process:  # the baseline child: page on stdin, median ms on stdout
        print(in_process_ms(sys.stdin.buffer.read().decode("utf-8"), args.model, args.repeats))
        return
    page = build_page()
    trees = [("after", ROOT)]
    if args.before:
        trees.insert(0, (f"before ({args.before})", prepare_before(args.before)))
    rounds = []
    for i in range(args.rounds):
        rnd: dict[str, Any] = {"round": i + 1, "load_avg_1min": os.getloadavg()[0],
                               "baseline_ms": {}, "rows": []}
        for label, tree in trees:
            # Measured before and after the tree's servers, the mean: the machine changes.
            first = baseline(tree, page, args.model)
            for setting in args.settings:
                if label == "after" or not _sets_env(setting):
                    rnd["rows"] += measure(tree, label, setting, args, page)
            rnd["baseline_ms"][label] = (first + baseline(tree, page, args.model)) / 2
        rounds.append(rnd)
        print(json.dumps(rnd), file=sys.stderr, flush=True)
    summary = summarize(rounds)
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"rounds": rounds, "summary": summary}, indent=1),
                             "utf-8")
    if args.out:
        with args.out.open("a", encoding="utf-8") as f:
            f.write(markdown(summary))


if __name__ == "__main__":
    main()
