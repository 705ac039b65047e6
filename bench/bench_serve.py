"""Load benchmark of the HTTP service (issue 6): N concurrent clients on loopback.

Starts ``python -m classifier serve`` in a subprocess on a free 127.0.0.1 port, then runs
``--clients`` threads that each POST a 3,000-character page (built from the seed pages) to
/classify for ``--duration`` seconds (also bounded by ``--max-requests``). Reports requests/s,
p50/p99 latency and errors (must be 0), for each ``--workers`` setting, next to an in-process
baseline measured in the same run (``analyze`` on the same page, one thread, no HTTP).

    python bench/bench_serve.py --workers 1 2 --out docs/SERVE_BENCH.md
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
PAGE_CHARS = 3000


def build_page(chars: int = PAGE_CHARS) -> str:
    """A ``chars``-character page: the seed pages joined, cut at the nearest line end."""
    text = "\n".join(p.read_text("utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    cut = text.rfind("\n", 0, chars)
    page = text[: cut if cut > chars // 2 else chars]
    return page + "。" * (chars - len(page))  # pad to exactly `chars` characters


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def baseline(page: str, model: str, repeats: int = 30) -> float:
    """Median seconds of one in-process classify of the page (no HTTP), after a warm-up."""
    from classifier.labelling.analysis import Options, analyze
    from classifier.model.store import load_model
    from classifier.text.reader import articles_from_text

    m = load_model(model)
    times = []
    for i in range(repeats + 3):
        t0 = time.perf_counter()
        analyze(articles_from_text(page), m, Options())
        if i >= 3:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def start_server(model: str, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "classifier", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--model", model, "--workers", str(workers)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
    pids: set[int] = set()
    deadline = time.monotonic() + 60
    while len(pids) < workers:  # every worker has loaded its model and answers
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            raise SystemExit(f"server did not start; see {log}")
        try:
            pids.add(httpx.get(url + "/health", timeout=2).json()["pid"])
        except httpx.HTTPError:
            time.sleep(0.2)
    return proc, url


def load(url: str, page: str, clients: int, duration: float, max_requests: int
         ) -> dict[str, Any]:
    body = json.dumps({"text": page}, ensure_ascii=False).encode("utf-8")
    headers = {"content-type": "application/json"}
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    budget = max_requests // clients
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(k: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            for _ in range(3):  # warm the connection
                c.post("/classify", content=body, headers=headers)
            start.wait()
            for _ in range(budget):
                if time.perf_counter() >= deadline[0]:
                    break
                t0 = time.perf_counter()
                try:
                    ok = c.post("/classify", content=body, headers=headers).status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies[k].append(time.perf_counter() - t0)
                errors[k] += not ok

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + duration
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join(duration + 120)
    elapsed = time.perf_counter() - t0
    lat = sorted(x for per in latencies for x in per)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [lat[0]] * 99
    return {"requests": len(lat), "seconds": round(elapsed, 2),
            "rps": round(len(lat) / elapsed, 1), "p50_ms": round(q[49] * 1000, 1),
            "p99_ms": round(q[98] * 1000, 1), "max_ms": round(lat[-1] * 1000, 1),
            "errors": sum(errors)}


def run(workers: int, args: argparse.Namespace, page: str) -> dict[str, Any]:
    log = Path(tempfile.mkdtemp(prefix="bench-serve-")) / "server.log"
    proc, url = start_server(args.model, workers, log)
    try:
        result = load(url, page, args.clients, args.duration, args.max_requests)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # master and workers: its own process group
            code = proc.wait()
    return {"workers": workers, **result, "exit_code": code,
            "load_avg_1min_after": round(os.getloadavg()[0], 1)}


def markdown(rows: list[dict[str, Any]], base: float, args: argparse.Namespace) -> str:
    lines = [
        "# HTTP service load benchmark (issue 6)",
        "",
        f"`python bench/bench_serve.py --workers {' '.join(map(str, args.workers))} "
        f"--duration {args.duration:g} --clients {args.clients}` — {args.clients} concurrent "
        f"clients (threads, one keep-alive connection each) POST one {PAGE_CHARS}-character "
        f"page (the seed pages joined) to `/classify` on loopback for {args.duration:g} s; "
        f"model `{args.model}`; {os.cpu_count()} cores, shared and noisy; the clients run on "
        "the same cores as the server. `load avg`: the machine's 1-minute load average after "
        "each run (other jobs were running).",
        "",
        f"Baseline in the same run: in-process `analyze()` of the same page, one thread, no "
        f"HTTP: median {base * 1000:.1f} ms → {1 / base:.1f} pages/s.",
        "",
        "| workers | requests | req/s | vs baseline | p50 ms | p99 ms | max ms | errors | "
        "exit code | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['workers']} | {r['requests']} | {r['rps']} | "
                     f"{r['rps'] * base:.2f}× | {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} | "
                     f"{r['errors']} | {r['exit_code']} | {r['load_avg_1min_after']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--max-requests", type=int, default=200_000)
    ap.add_argument("--model", default="default")
    ap.add_argument("--out", type=Path, help="write a markdown table here")
    args = ap.parse_args()
    page = build_page()
    base = baseline(page, args.model)
    rows = [run(w, args, page) for w in args.workers]
    print(json.dumps({"baseline_ms": round(base * 1000, 2), "runs": rows}, indent=1))
    if args.out:
        args.out.write_text(markdown(rows, base, args), "utf-8")


if __name__ == "__main__":
    main()
