"""Human-readable rendering of labelled records for a terminal (rich)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

__all__ = ["render_records"]

BAR_WIDTH = 20


def _bar(score: float) -> str:
    filled = round(max(0.0, min(1.0, score)) * BAR_WIDTH)
    return "█" * filled + "·" * (BAR_WIDTH - filled)


def _why(record: dict[str, Any], label: str, chosen: set[str],
         thresholds: dict[str, float] | None) -> str:
    """The terms that raised a theme's score; for a listed theme that was not assigned, first
    that its score stayed below its decision point (``thresholds`` None: a single-label
    model's, the best score)."""
    terms = "、".join(str(term) for term, _ in record["evidence"].get(label, []))
    if label in chosen:
        return terms
    point = (max(record["scores"].values()) if thresholds is None
             else thresholds.get(label, 0.5))
    below = f"below {point:.2f}"
    return f"{below}: {terms}" if terms else below


def _themes_table(record: dict[str, Any], names: dict[str, dict[str, str]], top: int,
                  thresholds: dict[str, float] | None) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("theme", "", "score", "", "why"):
        table.add_column(column)
    scores: dict[str, float] = record["scores"]
    chosen = set(record["labels"])
    ranked = sorted(scores, key=lambda label: -scores[label])[:top]
    for label in ranked:
        name = names.get(label, {})
        why = _why(record, label, chosen, thresholds)
        style = "bold green" if label in chosen else "dim"
        table.add_row(
            Text(name.get("zh") or label, style=style),  # a new theme has no name: its id
            Text(name.get("en", ""), style="dim"),
            f"{scores[label]:.2f}",
            Text(_bar(scores[label]), style=style),
            why,
        )
    return table


def render_records(
    records: Sequence[dict[str, Any]],
    names: dict[str, dict[str, str]],
    *,
    console: Console,
    top: int = 5,
    thresholds: dict[str, float] | None = None,
    single_label: bool = False,
) -> None:
    """Print one panel per article: predicted themes (bold), runners-up, summary, keywords.

    A runner-up's "why" says that its score stayed below its decision point (``thresholds``
    by theme, 0.5 for a theme not in it: every calibrated model's point; for a
    ``single_label`` model's articles the best score) and which terms raised it, when the
    records carry its evidence (``Options(explain_unassigned=...)``)."""
    for record in records:
        labels = "，".join(names.get(lab, {}).get("zh") or lab
                          for lab in record["labels"]) or "—"
        parts: list[Text | Table] = [
            Text(f"主题: {labels}", style="bold"),
            _themes_table(record, names, top, None if single_label else thresholds or {}),
            Text(f"摘要: {record['summary'] or '—'}"),
            Text(f"关键词: {'、'.join(record['keywords']) or '—'}", style="dim"),
        ]
        title = record["title"] or "(无标题)"
        console.print(Panel(Group(*parts), title=title, subtitle=record["id"], expand=True))
