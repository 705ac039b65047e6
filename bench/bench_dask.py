"""The Dask engine's overhead: ``label --engine dask`` vs the local engine, same run, same input.

    python bench/bench_dask.py [--shared ../shared] [--model default] [--repeats 3]
                               [--limit N] [--json results.json]

Each configuration is one ``classifier label`` command in a fresh process over People's Daily
(``corpus/peoples_daily/articles.jsonl``, 24,357 articles): ``--workers 1`` and ``--workers 2``
with the local engine (a forked process pool) and with ``--engine dask`` (a ``LocalCluster`` of
1 or 2 worker processes started by the command). Repeats are interleaved (round robin), so
load from other users of the machine spreads over all configurations; the table gives medians.

Per run: wall time of the whole command (interpreter start, model load, for Dask the cluster
start and each worker loading the model, labelling, shutdown), and CPU seconds (user + system
of the command and every process it started, from ``RUSAGE_CHILDREN``): the CPU figure is the
one to trust on a busy machine. Every output is compared byte for byte with the local
``--workers 1`` output of the same repeat (a repeat runs the same code; others may change the
package between repeats). The table is printed (and written with ``--json``) after every
repeat, so a run cut short still leaves its medians. Results go to docs/BENCHMARKS.md ("Dask
engine").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = (("local", 1), ("local", 2), ("dask", 1), ("dask", 2))


def run_once(corpus: Path, out: Path, engine: str, workers: int, model: str) -> dict[str, float]:
    """One ``classifier label`` command; its wall time and CPU time (with its children)."""
    cmd = [sys.executable, "-m", "classifier", "label", str(corpus), "--out", str(out),
           "--workers", str(workers), "--model", model, "--no-progress"]
    if engine == "dask":
        cmd += ["--engine", "dask"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


def main() -> None:
    """Run the configurations, check the outputs, print a table (and write JSON if asked)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--model", default="default")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0, help="only the first N articles (0: all)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    corpus = args.shared / "corpus" / "peoples_daily" / "articles.jsonl"
    if not corpus.is_file():
        raise SystemExit(f"needs the People's Daily corpus at {corpus}")
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        if args.limit:
            subset = Path(tmp) / "articles.jsonl"
            with corpus.open("rb") as src, subset.open("wb") as dst:
                for n, line in enumerate(src):
                    if n >= args.limit:
                        break
                    dst.write(line)
            corpus = subset
        articles = sum(1 for _ in corpus.open("rb"))
        runs: dict[str, list[dict[str, float]]] = {f"{e}-{w}": [] for e, w in CONFIGS}
        for repeat in range(args.repeats):
            reference: bytes | None = None
            for engine, workers in CONFIGS:
                out = Path(tmp) / f"{engine}-{workers}.jsonl"
                res = run_once(corpus, out, engine, workers, args.model)
                data = out.read_bytes()
                if reference is None:
                    reference = data
                # Recorded, not fatal: code edited by others during a long run also changes it.
                res["identical"] = float(data == reference)
                runs[f"{engine}-{workers}"].append(res)
                print(f"repeat {repeat + 1}: {engine:5} --workers {workers}: "
                      f"{res['wall']:6.1f} s wall, {res['cpu']:6.1f} s CPU, output "
                      f"{'identical' if res['identical'] else 'DIFFERS'}",
                      file=sys.stderr, flush=True)
            report(runs, articles, repeat + 1, args.json)


def report(runs: dict[str, list[dict[str, float]]], articles: int, repeats: int,
           out: Path | None) -> None:
    """Medians and ratios of the runs so far, printed (and written to ``out``)."""
    table: dict[str, Any] = {"articles": articles, "repeats": repeats,
                             "load_after": os.getloadavg(), "configs": {}}
    for name, results in runs.items():
        wall = statistics.median(r["wall"] for r in results)
        cpu = statistics.median(r["cpu"] for r in results)
        table["configs"][name] = {"wall_median": wall, "cpu_median": cpu,
                                  "articles_per_s": articles / wall,
                                  "walls": [r["wall"] for r in results],
                                  "cpus": [r["cpu"] for r in results],
                                  "identical": all(r["identical"] for r in results)}
    for workers in (1, 2):
        local = table["configs"][f"local-{workers}"]
        dask = table["configs"][f"dask-{workers}"]
        table[f"dask_over_local_{workers}"] = {"wall": dask["wall_median"] / local["wall_median"],
                                               "cpu": dask["cpu_median"] / local["cpu_median"]}
    print(json.dumps(table, indent=1), flush=True)
    if out:
        out.write_text(json.dumps(table, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
