"""Summary quality and speed: character-level ROUGE-1/2/L F1 (rouge-chinese), issue 4.

1. LCSTS part III, the 725 pairs with human_label >= 3, one-sentence summaries: lead-1, every
   method in ``classifier.summary.extract.METHODS``, and the oracle (the single sentence
   with the best
   ROUGE-L against the reference; an upper bound for one-sentence extraction).
2. People's Daily, a fixed sample (default 2,000 articles, seed 0), against
   " ".join(title_lines) as a pseudo-reference: lead-1, lead-3 and each method at 1 and 3
   sentences (default 150-character budget).

Characters are separated by spaces (punctuation included, whitespace dropped). Means are the
usual corpus-level numbers; medians are shown too. Runtime is the median of ``--repeat`` timed
passes over the summaries alone (ROUGE excluded). Prints Markdown for docs/SUMMARIES.md.

    python bench/bench_summaries.py [--shared ../shared] [--sample 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rouge_chinese import Rouge

from classifier.summary.extract import METHODS, body_sentences, summarize
from classifier.text.sentences import split_sentences

Pair = tuple[str, str]  # (text, reference)
_rouge = Rouge()


def chars(text: str) -> str:
    """Space-separated characters, whitespace removed: ROUGE at character level."""
    return " ".join(c for c in text if not c.isspace())


def rouge(hyp: str, ref: str) -> tuple[float, float, float]:
    """ROUGE-1/2/L F1 x100 of one pair; an empty summary scores 0."""
    h, r = chars(hyp), chars(ref)
    if not h or not r:
        return (0.0, 0.0, 0.0)
    s = _rouge.get_scores(h, r)[0]
    return (100 * s["rouge-1"]["f"], 100 * s["rouge-2"]["f"], 100 * s["rouge-l"]["f"])


def load_lcsts(shared: Path, *, test: bool = True) -> list[Pair]:
    """LCSTS part III pairs: the standard test set (label >= 3) or the rest (label < 3)."""
    pairs = []
    with open(shared / "corpus/lcsts/part3.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if (d["human_label"] >= 3) == test:
                pairs.append((d["text"], d["summary"]))
    return pairs


def load_peoples_daily(shared: Path, sample: int, seed: int) -> list[Pair]:
    """A fixed random sample of People's Daily articles with their headline as reference."""
    with open(shared / "corpus/peoples_daily/articles.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    rows = [r for r in rows if r["text"].strip() and r["title_lines"]]
    picked = random.Random(seed).sample(rows, min(sample, len(rows)))
    return [(r["text"], " ".join(r["title_lines"])) for r in picked]


def oracle(text: str, ref: str) -> str:
    """The single candidate sentence with the best ROUGE-L against the reference."""
    sents = body_sentences(text) or split_sentences(text)
    return max(sents, key=lambda s: rouge(s, ref)[2], default="")


def score(pairs: list[Pair], system: Callable[[str, str], str]) -> dict[str, float]:
    """Mean and median ROUGE-1/2/L of ``system(text, reference)`` over ``pairs``."""
    rows = [rouge(system(t, r), r) for t, r in pairs]
    out: dict[str, float] = {}
    for k, name in enumerate(("R1", "R2", "RL")):
        col = [row[k] for row in rows]
        out[name] = statistics.fmean(col)
        out[name + "_med"] = statistics.median(col)
    return out


def timed(texts: list[str], repeat: int, **kw: object) -> float:
    """Median milliseconds per article over ``repeat`` passes."""
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for t in texts:
            summarize(t, **kw)  # type: ignore[arg-type]
        runs.append((time.perf_counter() - t0) * 1000 / max(len(texts), 1))
    return statistics.median(runs)


def systems(n: int) -> dict[str, dict[str, object]]:
    """Method settings at ``n`` sentences (default character budget)."""
    return {f"{m}-{n}": {"method": m, "sentences": n} for m in METHODS}


def table(title: str, pairs: list[Pair], runs: dict[str, dict[str, object]],
          with_oracle: bool, repeat: int) -> str:
    """One Markdown table of ROUGE means (medians) and speed for ``runs`` on ``pairs``."""
    lines = [f"### {title} ({len(pairs)} pairs)", "",
             "| system | R-1 | R-2 | R-L | R-L median | ms/article |",
             "|---|---:|---:|---:|---:|---:|"]
    texts = [t for t, _ in pairs]
    for name, kw in runs.items():
        s = score(pairs, lambda t, r, kw=kw: summarize(t, **kw).text)  # type: ignore[misc]
        ms = timed(texts, repeat, **kw)
        lines.append(f"| {name} | {s['R1']:.1f} | {s['R2']:.1f} | {s['RL']:.1f} "
                     f"| {s['RL_med']:.1f} | {ms:.2f} |")
        print(f"  {name}: {s['R1']:.1f}/{s['R2']:.1f}/{s['RL']:.1f}", file=sys.stderr)
    if with_oracle:
        s = score(pairs, oracle)
        lines.append(f"| oracle-1 (uses the reference) | {s['R1']:.1f} | {s['R2']:.1f} "
                     f"| {s['RL']:.1f} | {s['RL_med']:.1f} | – |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run both benchmarks and print Markdown tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dev", action="store_true",
                    help="LCSTS pairs with human_label < 3 (for tuning) instead of the test set")
    args = ap.parse_args()
    if not (args.shared / "corpus").is_dir():
        sys.exit(f"no corpus under {args.shared}; pass --shared PATH")
    t0 = time.perf_counter()
    lcsts = load_lcsts(args.shared, test=not args.dev)
    label = "LCSTS part III, human_label < 3 (dev)" if args.dev else \
        "LCSTS part III, human_label >= 3, one sentence"
    print(table(label, lcsts, systems(1), True, args.repeat))
    if args.dev:
        return
    pd = load_peoples_daily(args.shared, args.sample, args.seed)
    runs = {**systems(1), **systems(3)}
    print(table(f"People's Daily vs title_lines, sample seed {args.seed}", pd, runs, True,
                args.repeat))
    print(f"total wall time {time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
