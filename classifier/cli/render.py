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


def _themes_table(record: dict[str, Any], names: dict[str, dict[str, str]], top: int) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("theme", "", "score", "", "why"):
        table.add_column(column)
    scores: dict[str, float] = record["scores"]
    chosen = set(record["labels"])
    ranked = sorted(scores, key=lambda label: -scores[label])[:top]
    for label in ranked:
        name = names.get(label, {})
        why = "、".join(str(term) for term, _ in record["evidence"].get(label, []))
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
) -> None:
    """Print one panel per article: predicted themes (bold), runners-up, summary, keywords."""
    for record in records:
        labels = "，".join(names.get(lab, {}).get("zh") or lab
                          for lab in record["labels"]) or "—"
        parts: list[Text | Table] = [
            Text(f"主题: {labels}", style="bold"),
            _themes_table(record, names, top),
            Text(f"摘要: {record['summary'] or '—'}"),
            Text(f"关键词: {'、'.join(record['keywords']) or '—'}", style="dim"),
        ]
        title = record["title"] or "(无标题)"
        console.print(Panel(Group(*parts), title=title, subtitle=record["id"], expand=True))
