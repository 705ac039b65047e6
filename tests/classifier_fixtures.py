"""A tiny synthetic labelled dataset and a model trained on it once per test session.

The data is generated from the packaged taxonomy (terms in template sentences) plus off-topic
sentences, so the tests need neither ../shared nor the shipped model.
"""

from __future__ import annotations

import json
import random
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

from classifier.model.taxonomy import load_taxonomy

OFF_TOPIC = [
    "国家队在世界杯预选赛中以二比一击败对手，主教练赛后表示球员发挥出色。",
    "央行公布最新货币政策报告，市场利率保持稳定，股市小幅上涨。",
    "新型电动汽车发布会在上海举行，续航里程达到七百公里。",
    "气象台发布暴雨预警，提醒市民注意出行安全。",
    "博物馆推出文物特展，展出青铜器和瓷器两百余件。",
    "科学家在深海发现新物种，相关论文发表在国际期刊。",
]
TEMPLATES = [
    "某市总工会近日开展{a}活动，围绕{b}推出多项举措，受到广大职工欢迎。",
    "记者从市总工会获悉，今年以来{a}和{b}工作取得新进展。",
    "{a}！区总工会负责人介绍，下一步将继续深化{b}。",
]


def make_rows(seed: int = 0, per_theme: int = 6, negatives: int = 24) -> list[dict[str, object]]:
    """Deterministic JSONL rows {"id","title","text","labels"}."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for theme in load_taxonomy().themes:
        for k in range(per_theme):
            a, b = rng.sample(list(theme.terms), 2)
            text = "".join(rng.choice(TEMPLATES).format(a=a, b=b) for _ in range(3))
            rows.append({"id": f"{theme.id}-{k}", "title": f"{a}工作推进会召开",
                         "text": text + rng.choice(OFF_TOPIC), "labels": [theme.id]})
    for k in range(negatives):
        text = "".join(rng.sample(OFF_TOPIC, 3))
        rows.append({"id": f"neg-{k}", "title": "新闻速递", "text": text, "labels": []})
    rng.shuffle(rows)
    return rows


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    """Write rows as JSONL and return the path."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@lru_cache(maxsize=1)
def tiny_model_dir(root: str) -> tuple[Path, dict[str, object]]:
    """Train the tiny model once (cached across test modules): (model dir, metrics)."""
    from classifier.training.trainer import TrainSettings, train

    base = Path(root)
    data = write_jsonl(base / "tiny.jsonl", make_rows())
    metrics = train([data], out_dir=base / "tiny-model", settings=TrainSettings(cv=3, seed=0))
    return base / "tiny-model", metrics


# -- editing saved models (the hardening, persistence and model-format tests) ------------------

def copy_model(src: Path, dst: Path) -> Path:
    """A copy of the model directory ``src`` at ``dst``."""
    shutil.copytree(src, dst)
    return dst


def resave_v1(src: Path, dst: Path) -> Path:
    """The model re-saved in format 1 (vocab.json + arrays.npz), as older packages wrote."""
    from classifier.model.store import load_examples, load_model, save_model

    return save_model(load_model(src), dst, load_examples(src), format_version=1)


def read_meta(root: Path) -> dict[str, Any]:
    """A model's meta.json."""
    meta: dict[str, Any] = json.loads((root / "meta.json").read_text("utf-8"))
    return meta


def write_meta(root: Path, meta: Any) -> None:
    """Overwrite a model's meta.json, as a hand edit could."""
    (root / "meta.json").write_text(json.dumps(meta), "utf-8")


def rehash(root: Path, name: str) -> None:
    """Put the sha256 of an edited file ``name`` into meta.json."""
    from classifier.model.store import _sha256

    meta = read_meta(root)
    meta["files"][name] = _sha256(root / name)
    write_meta(root, meta)
