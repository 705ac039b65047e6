"""Throughput of ``classifier label`` vs a hand-assembled baseline, measured in the same run.

    python bench/bench_label.py [--shared ../shared] [--model default] [--repeats 3]
                                [--subset 3000] [--full/--no-full] [--fasttext/--no-fasttext]
                                [--json results.json]

What is measured (results go to docs/LABEL_BENCH.md, then docs/BENCHMARKS.md):

* ``classifier.labelling.runner.label`` (what the ``label`` command calls), in a fresh
  process, over the
  first ``--subset`` People's Daily articles (median of ``--repeats`` runs) and, with
  ``--full``, once over all 24k articles. Articles/s and MB/s use the run's own timing (the
  ``label()`` call in a fresh process: model loaded, imports done), and per CPU-second (user +
  system of the process and its workers: robust on a busy machine); MB are UTF-8 bytes of
  title + text. Peak memory is the largest sum of PSS over the process tree (shared pages of
  forked workers counted once), sampled every ``SAMPLE_EVERY`` seconds from /proc. Reading
  ``smaps_rollup`` makes the kernel walk the page tables: ~25 ms of CPU per sample of a
  250 MB process tree, so sampling every 20 ms (as earlier runs did) took about half a core
  away from two workers on a 2-core machine; every 0.5 s it costs ~5 % of one core.
* The baseline: ``jieba.lcut`` + scikit-learn ``TfidfVectorizer`` + ``OneVsRestClassifier(
  LogisticRegression)`` trained on the labelled articles (corpus/labels/train.jsonl joined with
  articles.jsonl), timed predicting the same ``--subset`` articles (tokenize, vectorize,
  predict_proba; jieba's dictionary is loaded before timing), interleaved with our runs. It
  labels only: no normalization, summary, keywords or evidence, and writes nothing.
* The fastText baseline (what a user would pick for speed; issue 14): ``fasttext`` (from the
  ``bench`` extra: the fasttext-numpy2-wheel wheel) trained supervised with one-vs-rest loss
  (``FASTTEXT_PARAMS``: fixed seed, one thread) on the same labelled articles, tokens from
  ``classifier.text.tokens.words`` (rjieba). Timed, interleaved with the others on the same
  ``--subset`` articles: tokenize + ``predict(k=-1, threshold=0.5)``, one core. It labels
  only. Skipped with a message when ``fasttext`` is not installed (or with ``--no-fasttext``).
* Memory flat in the number of files: peak memory labelling 200 vs 2,000 small files.

The corpus is read from ../shared and never copied into the repository; temporary files go to
the system temp directory.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_EVERY = 0.5  # seconds between memory samples (see the module docstring)
# The fastText baseline (issue 14): one-vs-rest sigmoids, so an article can get several themes or
# none, as with `label`. 690 labelled articles need more epochs and a higher rate than the
# defaults (5 and 0.1 learn nothing here: held-out micro-F1 0 on a 4/5 split); word bigrams
# scored lower on that split (0.49 vs 0.62) and predict slower. One thread and a fixed seed
# make the model the same on every run.
FASTTEXT_PARAMS: dict[str, Any] = {"loss": "ova", "lr": 0.5, "epoch": 50, "dim": 100,
                                   "wordNgrams": 1, "minCount": 1, "seed": 1, "thread": 1,
                                   "verbose": 0}
FASTTEXT_NONE = "none"  # pseudo-label of the unlabelled training articles (see train_fasttext)


def load_articles(shared: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """People's Daily articles in file order (all, or the first ``limit``)."""
    out = []
    with (shared / "corpus/peoples_daily/articles.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
                if limit is not None and len(out) >= limit:
                    break
    return out


def text_mb(articles: list[dict[str, Any]]) -> float:
    """UTF-8 megabytes (10^6) of title + text."""
    return sum(len((a.get("title") or "").encode()) + len(a["text"].encode())
               for a in articles) / 1e6


def _tree_rss_kb(pid: int) -> int:
    """Proportional set size of ``pid`` and its descendants, in kB (0 once they are gone)."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            # PSS: pages shared by forked workers are counted once, not once per process.
            status = Path(f"/proc/{p}/smaps_rollup").read_text()
            total += int(re.search(r"Pss:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError, ValueError):
            continue
    return total


def child_run(spec: str) -> None:
    """In a fresh process: label as the CLI does, timing wall and CPU (self + workers)."""
    import resource

    from classifier.labelling.runner import label

    kw = json.loads(spec)
    c0 = time.process_time()
    ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    summary = label(**kw, progress=False)
    wall = time.perf_counter() - t0
    ch1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # pool workers are joined by now
    cpu = (time.process_time() - c0 + ch1.ru_utime - ch0.ru_utime + ch1.ru_stime
           - ch0.ru_stime)
    print(json.dumps({"seconds": wall, "cpu_s": cpu, "articles": summary.articles,
                      "files": summary.files, "errors": summary.errors}))


def run_label(inputs: list[str], out: Path, model: str, workers: int) -> dict[str, float]:
    """Label in a fresh process (the model loaded as the CLI does); times and peak tree RSS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    spec = json.dumps({"inputs": inputs, "out": str(out), "model": model, "workers": workers})
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child-run", spec],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(SAMPLE_EVERY)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"label failed ({proc.returncode}): {err}")
    return {**json.loads(stdout), "wall_s": wall, "peak_pss_mb": peak / 1024}


def summarize_runs(runs: list[dict[str, float]], workers: int, mb: float) -> dict[str, Any]:
    """Medians over repeats: articles/s and MB/s by wall time and per CPU-second."""
    sec = statistics.median(r["seconds"] for r in runs)
    cpu = statistics.median(r["cpu_s"] for r in runs)
    n = runs[0]["articles"]
    return {"workers": workers, "articles": n, "repeats": len(runs),
            "seconds_median": round(sec, 2), "cpu_s_median": round(cpu, 2),
            "wall_with_startup_median": round(statistics.median(r["wall_s"] for r in runs), 2),
            "articles_per_s": round(n / sec, 1), "mb_per_s": round(mb / sec, 3),
            "articles_per_cpu_s": round(n / cpu, 1), "mb_per_cpu_s": round(mb / cpu, 3),
            "peak_pss_mb": round(max(r["peak_pss_mb"] for r in runs), 1)}


def load_labelled(shared: Path) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The labelled articles (corpus/labels/train.jsonl joined with articles.jsonl) and labels."""
    labels: dict[str, list[str]] = {}
    with (shared / "corpus/labels/train.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                labels[row["id"]] = row["labels"]
    return [a for a in load_articles(shared) if a["id"] in labels], labels


def train_baseline(shared: Path) -> tuple[Any, Any, dict[str, Any]]:
    """Train the jieba + TF-IDF + one-vs-rest logistic regression baseline."""
    import logging

    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    jieba.setLogLevel(logging.WARNING)
    train, labels = load_labelled(shared)
    docs = [f"{a.get('title') or ''}\n{a['text']}" for a in train]
    mlb = MultiLabelBinarizer()
    y = mlb.fit_transform([labels[a["id"]] for a in train])
    y = y[:, y.sum(0) > 0]
    vec = TfidfVectorizer(tokenizer=jieba.lcut, lowercase=False, token_pattern=None,
                          sublinear_tf=True, min_df=2)
    t0 = time.perf_counter()
    x = vec.fit_transform(docs)
    clf = OneVsRestClassifier(LogisticRegression(max_iter=1000, C=10.0)).fit(x, y)
    info = {"train_articles": len(train), "train_seconds": round(time.perf_counter() - t0, 1)}
    return vec, clf, info


def time_baseline(vec: Any, clf: Any, subset: list[dict[str, Any]]) -> dict[str, float]:
    """One timed prediction pass of the baseline over ``subset`` (tokenize, vectorize, score)."""
    texts = [f"{a.get('title') or ''}\n{a['text']}" for a in subset]
    c0, t0 = time.process_time(), time.perf_counter()
    clf.predict_proba(vec.transform(texts))
    return {"seconds": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
            "articles": len(subset), "wall_s": 0.0, "peak_pss_mb": 0.0}


def fasttext_line(text: str) -> str:
    """One fastText input line: rjieba word tokens (``tokens.words``) joined by spaces."""
    from classifier.text.tokens import words

    # words() drops whitespace and punctuation, so the line has no "\n" (predict needs one line).
    return " ".join(words(text))


def train_fasttext(shared: Path, tmp: Path) -> tuple[Any, dict[str, Any]] | None:
    """Train the fastText one-vs-rest baseline on the labelled articles; None if not installed.

    fastText needs a label on every training line, so unlabelled articles get the pseudo-label
    ``FASTTEXT_NONE`` (they are the negatives every theme should learn from); it is dropped from
    the predictions.
    """
    try:
        import fasttext
    except ImportError:
        return None
    train, labels = load_labelled(shared)
    path = tmp / "fasttext-train.txt"
    with path.open("w", encoding="utf-8") as f:
        for a in train:
            tags = " ".join(f"__label__{t}" for t in labels[a["id"]] or [FASTTEXT_NONE])
            doc = f"{a.get('title') or ''}\n{a['text']}"
            f.write(f"{tags} {fasttext_line(doc)}\n")
    t0 = time.perf_counter()
    model = fasttext.train_supervised(input=str(path), **FASTTEXT_PARAMS)
    info = {"train_articles": len(train), "train_seconds": round(time.perf_counter() - t0, 1),
            "params": FASTTEXT_PARAMS, "labels": len(model.labels) - 1}
    return model, info


def time_fasttext(model: Any, subset: list[dict[str, Any]]) -> dict[str, float]:
    """One timed pass of the fastText baseline over ``subset``: rjieba tokens + ``predict``.

    ``predict`` gets the whole batch (a list: one C++ loop) with k=-1, threshold=0.5: every
    theme whose one-vs-rest probability reaches 0.5. The segmenter is loaded before timing.
    """
    texts = [f"{a.get('title') or ''}\n{a['text']}" for a in subset]
    c0, t0 = time.process_time(), time.perf_counter()
    found, _probs = model.predict([fasttext_line(t) for t in texts], k=-1, threshold=0.5)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    none = f"__label__{FASTTEXT_NONE}"
    labelled = sum(1 for tags in found if any(t != none for t in tags))
    return {"seconds": seconds, "cpu_s": cpu, "articles": len(subset), "wall_s": 0.0,
            "peak_pss_mb": 0.0, "labelled": labelled}


def small_files(root: Path, n: int, articles: list[dict[str, Any]]) -> Path:
    """``n`` small pages (title + first 300 characters of an article) in one folder."""
    root.mkdir()
    for k in range(n):
        a = articles[k % len(articles)]
        (root / f"{k:05d}.txt").write_text(f"{a.get('title') or '新闻'}\n{a['text'][:300]}\n",
                                           "utf-8")
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--model", default="default", help="model name or directory")
    ap.add_argument("--subset", type=int, default=3000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--full", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--fasttext", action=argparse.BooleanOptionalAction, default=True,
                    help="also time the fastText baseline (needs the bench extra)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--child-run", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_run:
        child_run(args.child_run)
        return
    full_path = args.shared / "corpus/peoples_daily/articles.jsonl"
    results: dict[str, Any] = {"cores": os.cpu_count(), "loadavg_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-label-") as tmp:
        t = Path(tmp)
        subset = load_articles(args.shared, args.subset)
        sub_path = t / "subset.jsonl"
        sub_path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in subset),
                            "utf-8")
        mb = text_mb(subset)
        results["subset"] = {"articles": len(subset), "text_mb": round(mb, 2)}
        vec, clf, info = train_baseline(args.shared)
        ft = train_fasttext(args.shared, t) if args.fasttext else None
        if args.fasttext and ft is None:
            print("fastText baseline skipped: the `fasttext` module is not installed "
                  "(pip install -e '.[bench]' installs it from the fasttext-numpy2-wheel "
                  "wheel)", file=sys.stderr)
            results["fasttext"] = {"skipped": "fasttext is not installed"}
        runs: dict[str, list[dict[str, float]]] = {"baseline": [], "fasttext": [], "w1": [],
                                                   "w2": []}
        for _ in range(args.repeats):  # interleaved, so machine noise hits all of them alike
            runs["baseline"].append(time_baseline(vec, clf, subset))
            if ft is not None:
                runs["fasttext"].append(time_fasttext(ft[0], subset))
            for w in (1, 2):
                runs[f"w{w}"].append(run_label([str(sub_path)], t / "out.jsonl", args.model, w))
        base = summarize_runs(runs["baseline"], 1, mb)
        results["baseline"] = {**info, **{k: v for k, v in base.items()
                                          if not k.startswith(("wall", "peak"))}}
        fast: dict[str, Any] | None = None
        if ft is not None:
            fast = summarize_runs(runs["fasttext"], 1, mb)
            results["fasttext"] = {
                **ft[1], **{k: v for k, v in fast.items() if not k.startswith(("wall", "peak"))},
                "labelled_articles": runs["fasttext"][0]["labelled"]}
        for w in (1, 2):
            r = summarize_runs(runs[f"w{w}"], w, mb)
            r["x_baseline_wall"] = round(r["articles_per_s"] / base["articles_per_s"], 2)
            r["x_baseline_cpu"] = round(r["articles_per_cpu_s"] / base["articles_per_cpu_s"], 2)
            if fast is not None:  # label / fastText: above 1 means `label` is faster
                r["x_fasttext_wall"] = round(r["articles_per_s"] / fast["articles_per_s"], 2)
                r["x_fasttext_cpu"] = round(r["articles_per_cpu_s"]
                                            / fast["articles_per_cpu_s"], 2)
            results[f"subset_workers{w}"] = r
        print(json.dumps(results), file=sys.stderr)
        if args.full:
            full_mb = text_mb(load_articles(args.shared))
            results["full_text_mb"] = round(full_mb, 1)
            for w in (1, 2):
                r = summarize_runs([run_label([str(full_path)], t / "out.jsonl", args.model,
                                              w)], w, full_mb)
                results[f"full_workers{w}"] = r
                print(json.dumps(r), file=sys.stderr)
        for n in (200, 2000):
            folder = small_files(t / f"files{n}", n, subset)
            r = run_label([str(folder)], t / "out.jsonl", args.model, 2)
            results[f"files{n}_workers2"] = {k: round(v, 2) for k, v in r.items()}
            print(json.dumps(results[f"files{n}_workers2"]), file=sys.stderr)
    results["loadavg_end"] = os.getloadavg()
    text = json.dumps(results, ensure_ascii=False, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
