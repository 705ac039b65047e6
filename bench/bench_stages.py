"""CPU time of each stage of labelling, in one warm process (where `label`'s time goes).

    python bench/bench_stages.py [--shared ../shared] [--model default] [--articles 1000]
                                 [--repeats 5]

Reads the first ``--articles`` People's Daily articles, runs each stage of what
``classifier.labelling.runner.label`` does per task on all of them, and prints the median
CPU seconds of
``--repeats`` warm runs per stage, and per MB (UTF-8 bytes of the JSONL lines). The stages
are timed one by one and then ``analyze`` as a whole (it repeats them); the total is reading
+ ``analyze`` + JSON. The garbage-collector threshold and BLAS threads are the ones ``label``
uses. Results go to docs/LABEL_BENCH.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def one_run(lines: list[str], model: Any) -> dict[str, float]:
    """CPU seconds of each stage over ``lines`` (one JSONL record each)."""
    from classifier.features.space import compose
    from classifier.features.wordcounts import WordTable, count_words
    from classifier.labelling.analysis import Options, analyze
    from classifier.labelling.output import format_records
    from classifier.summary.extract import summarize
    from classifier.summary.keyterms import keywords_many
    from classifier.text.jsonl import article_from_record

    t: dict[str, float] = {}
    t["read, normalize, clean"], arts = _timed(
        lambda: [article_from_record(json.loads(raw), source="pd", line=i + 1)
                 for i, raw in enumerate(lines)])
    fs = model.features.settings
    pairs = [(compose(a.title, "", fs.title_weight, normalized=True)[1], fs.head(a.text))
             for a in arts]
    t["count_words"], counts = _timed(lambda: [count_words(h, x) for h, x in pairs])
    t["WordTable"], table = _timed(lambda: WordTable.of(counts, model.features.word_index))
    items = [(a.title, a.text) for a in arts]
    t["predict_many"], _ = _timed(
        lambda: model.predict_many(items, normalized=True, words=table))
    t["summaries"], _ = _timed(lambda: [summarize(a.text) for a in arts])
    t["keywords"], _ = _timed(
        lambda: keywords_many(table, items, k=5, scorer=model.keyword_scorer()))
    t["analyze (all of the above but reading)"], records = _timed(
        lambda: analyze(arts, model, Options()))
    t["JSON records"], _ = _timed(lambda: format_records(records, "jsonl"))
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--model", default="default")
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    from classifier.labelling.runtime import labelling_process
    from classifier.model.store import load_model

    src = args.shared / "corpus/peoples_daily/articles.jsonl"
    if not src.exists():
        raise SystemExit(f"{src} not found: pass --shared DIR (the folder holding corpus/)")
    with src.open(encoding="utf-8") as f:
        lines = [line for _, line in zip(range(args.articles), f, strict=False)]
    mb = sum(len(line.encode()) for line in lines) / 1e6
    model = load_model(args.model)
    labelling_process()  # what a labelling worker sets: GC threshold, one BLAS thread
    one_run(lines, model)  # warm: segmenter, converter, lookup tables
    runs = [one_run(lines, model) for _ in range(args.repeats)]
    print(f"{len(lines)} articles, {mb:.2f} MB, medians of {args.repeats} warm runs")
    for stage in runs[0]:
        sec = statistics.median(r[stage] for r in runs)
        print(f"{stage:40s} {sec:7.3f} s {sec / mb:7.3f} s/MB")
    total = statistics.median(r["read, normalize, clean"] + r["analyze (all of the above but "
                                                              "reading)"] + r["JSON records"]
                              for r in runs)
    print(f"{'total (read + analyze + JSON)':40s} {total:7.3f} s {total / mb:7.3f} s/MB "
          f"= {mb / total:.2f} MB per CPU-second")


if __name__ == "__main__":
    main()
