"""Cold start of a one-page ``classifier classify`` against ``python -c "import numpy"``.

Issue 14's target: classifying one page from a fresh process takes at most 4x the time of a
bare ``import numpy`` (which stands for "the least any numpy program pays"). Both commands run
alternately ``--repeats`` times in fresh processes (the machine is shared: alternating spreads
the noise over both); the report gives the medians and their ratio, and, with
``--importtime``, the heaviest imports of one classify run (``python -X importtime``).

    python bench/bench_startup.py --repeats 15
    python bench/bench_startup.py --page seeds/002_01dc0b6c6b646c2c.txt --importtime
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PAGE = ROOT / "seeds" / "002_01dc0b6c6b646c2c.txt"


def wall(cmd: list[str]) -> float:
    """Wall seconds of one run of ``cmd`` (stdout discarded; a failure stops the benchmark)."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def heaviest_imports(page: Path, top: int) -> list[tuple[int, int, str]]:
    """(cumulative µs, self µs, module) of the ``top`` heaviest top-level-ish imports."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "classifier", "classify",
                           str(page)], capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:"):].split("|")
        depth = (len(name) - len(name.lstrip(" "))) // 2
        if depth <= 2:
            rows.append((int(cum_us), int(self_us), name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", type=Path, default=DEFAULT_PAGE)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--importtime", action="store_true",
                        help="also list the heaviest imports of one classify run")
    args = parser.parse_args()
    numpy_cmd = [sys.executable, "-c", "import numpy"]
    classify_cmd = [sys.executable, "-m", "classifier", "classify", str(args.page)]
    wall(classify_cmd)  # warm the page cache and the .pyc files once
    base, ours = [], []
    for _ in range(args.repeats):
        base.append(wall(numpy_cmd))
        ours.append(wall(classify_cmd))
    b, o = statistics.median(base), statistics.median(ours)
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
          f"{args.repeats} alternating runs; page {args.page.name}")
    print(f"python -c 'import numpy'   median {b * 1000:6.0f} ms "
          f"(min {min(base) * 1000:.0f}, max {max(base) * 1000:.0f})")
    print(f"classifier classify PAGE   median {o * 1000:6.0f} ms "
          f"(min {min(ours) * 1000:.0f}, max {max(ours) * 1000:.0f})")
    print(f"ratio classify / numpy     {o / b:.2f}x (target <= 4x)")
    if args.importtime:
        print("\nheaviest imports of one classify run (cumulative ms / self ms):")
        for cum, own, name in heaviest_imports(args.page, 15):
            print(f"  {cum / 1000:7.1f} {own / 1000:7.1f}  {name}")


if __name__ == "__main__":
    main()
