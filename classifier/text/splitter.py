"""Split a cleaned page into articles, in reading order, from layout cues.

A headline block is a run of short lines without sentence-final punctuation. It opens an
article when it is followed by a lead (本报讯, 本报X月X日电…), a byline line, or — for
photo news — one caption paragraph and a photographer credit; or when it has three lines or
more (kicker, headline, subtitle: a sidebar's headline); or when it is one short line over a
list of bullet points that runs to the end of the page or to the next headline (a fact box,
五年掠影 / ●… / ●…). The first block of a page always opens one. Other title-like lines are
subheads and stay in the body (a box under a column label and a one-line title, 新闻链接 /
背景, stays with its story).

Known limit: a page that interleaves articles (seed 002 prints a headline, another whole
article, then the first one's body under a bare 本报讯) is repaired only when the orphan
body's opening shares clearly more characters with a stranded headline line than that line
shares with the article it was attached to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from classifier.text.article import Article, Dropped
from classifier.text.clean import (
    BULLETS,
    CAPTION,
    CREDIT,
    SUMMARY,
    SUMMARY_LABEL,
    TEXT,
    Para,
    clean_page,
    is_byline,
    is_lead,
    is_terminal,
    looks_like_title,
)

__all__ = ["split_articles"]

_COLUMNS = frozenset(
    "新闻特写 新闻观察 图片新闻 一线传真 基层速递 工会动态 职工之声 记者观察 短评 评论 图说 "
    "新闻链接 相关链接 背景 延伸阅读 人物 特写 声音 观察 链接".split()
)
_LEAD_BYLINE = re.compile(r"^[^（(]{0,20}[（(]([^）)]{2,40})[)）]")
# A fact box's heading is a kicker (五年掠影, 数据), not a sentence-long subhead.
_BOX_HEADING_CHARS = 12


@dataclass
class _Draft:
    title: list[str] = field(default_factory=list)
    column: str = ""
    byline: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    first_line: int = 0


def _title_block(paras: list[Para], i: int) -> int:
    """End (exclusive) of the run of title-like text paragraphs starting at ``i``."""
    j = i
    while (
        j < len(paras)
        and paras[j].kind == TEXT
        and looks_like_title(paras[j].text)
        and not is_byline(paras[j].text)
        and not is_lead(paras[j].text)
    ):
        j += 1
    return j


def _opens_article(paras: list[Para], i: int, j: int, first: bool) -> bool:
    """Does the title block paras[i:j] start an article?"""
    if j == i:
        return False
    if first:
        return True
    nxt = _next_text_or_credit(paras, j)
    if not nxt:
        return False
    if nxt[0].kind == TEXT and (is_lead(nxt[0].text) or is_byline(nxt[0].text)):
        return True
    if nxt[0].kind == TEXT and j - i >= 3:
        # A kicker, a headline and a subtitle (美好蓝图 / 广东持续推进工会改革创新 / 加快智慧平台
        # 建设…): the headline of a piece of its own, such as a sidebar under the main story,
        # whose body opens without a lead. A subhead inside an article is one line.
        return True
    if j - i == 1 and _heads_fact_box(paras, i, j):
        return True
    # photo news: a short title, one caption-like paragraph, then the photographer's credit
    return (
        j - i <= 2
        and len(nxt) >= 2
        and nxt[0].kind == TEXT
        and is_terminal(nxt[0].text)
        and nxt[1].kind == CREDIT
    )


def _heads_fact_box(paras: list[Para], i: int, j: int) -> bool:
    """Is the one-line block paras[i:j] the heading of a fact box?

    A box of figures set beside a story (五年掠影 over ●近年来… ●近三年…) has no lead and
    no byline. Inside an article a short heading over bullet points is followed by more of
    the story (核心阅读 in People's Daily: 23 such headings in 24,357 articles, none with only
    bullets after it), so the box is told by bullets running to the page's end or to the
    next headline.
    """
    heading = paras[i].text
    if len(heading) > _BOX_HEADING_CHARS or heading in _COLUMNS:
        return False
    points = 0
    for p in paras[j:]:
        if p.kind != TEXT:
            continue
        if p.text[:1] in BULLETS:
            points += 1
        elif looks_like_title(p.text):
            break
        else:
            return False
    return points >= 2


def _next_text_or_credit(paras: list[Para], j: int, count: int = 2) -> list[Para]:
    """The first ``count`` text or credit paragraphs from ``j`` on.

    Only these matter; copying the page's whole rest for every candidate headline was
    quadratic on long pages.
    """
    found: list[Para] = []
    for k in range(j, len(paras)):
        if paras[k].kind in (TEXT, CREDIT):
            found.append(paras[k])
            if len(found) == count:
                break
    return found


def _new_draft(paras: list[Para], i: int, j: int) -> _Draft:
    lines = [p.text for p in paras[i:j]]
    draft = _Draft(first_line=paras[i].line)
    if len(lines) > 1 and lines[0] in _COLUMNS:
        draft.column = lines.pop(0)
    draft.title = lines
    return draft


def _starts(paras: list[Para]) -> list[tuple[int, int]]:
    """(start, end of title block) of each article; an orphan lead has an empty block."""
    starts: list[tuple[int, int]] = []
    i, first = 0, True
    while i < len(paras):
        p = paras[i]
        if p.kind != TEXT:
            i += 1
            continue
        j = _title_block(paras, i)
        if _opens_article(paras, i, j, first):
            starts.append((i, j))
            i, first = j, False
            continue
        if is_lead(p.text) and starts and i > 0 and not _right_after_title(paras, i, starts):
            starts.append((i, i))  # a lead with no headline of its own
        first = False
        i = max(j, i + 1)
    return starts


def _right_after_title(paras: list[Para], i: int, starts: list[tuple[int, int]]) -> bool:
    last_end = starts[-1][1]
    between = [p for p in paras[last_end:i] if p.kind == TEXT]
    return not between


def _fill(draft: _Draft, paras: list[Para]) -> None:
    """Route body paragraphs, bylines, captions, credits and the 阅读提示 box of one article."""
    photo = len(paras) >= 2 and paras[-1].kind == CREDIT and sum(
        p.kind == TEXT for p in paras
    ) == 1
    for k, p in enumerate(paras):
        if p.kind == TEXT and is_byline(p.text) and (not draft.body or k == len(paras) - 1
                                                     or _only_junk_after(paras, k)):
            draft.byline.append(p.text)
        elif p.kind == TEXT:
            draft.body.append(p.text)
        elif p.kind == SUMMARY:
            draft.summary.append(p.text)
        elif p.kind == CREDIT and photo:
            draft.byline.append(p.text)
        elif p.kind in (CAPTION, CREDIT):
            reason = "photo_caption" if p.kind == CAPTION else "photo_credit"
            draft.dropped.append(Dropped(p.text, reason, p.line))
        elif p.kind == SUMMARY_LABEL:
            continue
    if not draft.byline and draft.body:
        m = _LEAD_BYLINE.match(draft.body[0])
        if m and is_lead(draft.body[0]):
            draft.byline.append(m.group(1).strip())


def _only_junk_after(paras: list[Para], k: int) -> bool:
    return all(p.kind != TEXT for p in paras[k + 1 :])


def _bigrams(text: str) -> set[str]:
    return {text[k : k + 2] for k in range(len(text) - 1)}


def _share(grams: set[str], opening: set[str]) -> float:
    """Share of a line's bigrams found in an article's opening."""
    return len(grams & opening) / len(grams) if grams else 0.0


def _opening(body: list[str]) -> set[str]:
    return _bigrams("".join(body[:2]))


def _rehome_titles(drafts: list[_Draft]) -> None:
    """Give an orphan lead the stranded headline line that matches it (seed 002)."""
    for k, orphan in enumerate(drafts):
        if orphan.title or not orphan.body:
            continue
        owners = [m for m in range(k) if len(drafts[m].title) >= 2]
        if not owners:  # the usual case (and every JSONL record): no bigrams to compute
            continue
        best: tuple[float, int, int] | None = None
        orphan_opening = _opening(orphan.body)  # once per orphan, not once per title line
        for m in owners:
            owner = drafts[m]
            owner_opening = _opening(owner.body)
            for n, line in enumerate(owner.title):
                grams = _bigrams(line)
                gain = _share(grams, orphan_opening) - _share(grams, owner_opening)
                if gain >= 0.3 and (best is None or gain > best[0]):
                    best = (gain, m, n)
        if best:
            _, m, n = best
            orphan.title = [drafts[m].title.pop(n)]


def _to_article(draft: _Draft, source: str, index: int) -> Article:
    return Article(
        source=source,
        index=index,
        title_lines=tuple(draft.title),
        paragraphs=tuple(draft.body),
        column=draft.column,
        byline=" ".join(draft.byline),
        editor_summary="\n".join(draft.summary),
        dropped=tuple(sorted(draft.dropped, key=_line_of)),
    )


def _line_of(d: Dropped) -> int:
    return d.line


def split_articles(text: str, *, source: str = "<text>", split: bool = True) -> list[Article]:
    """Clean a decoded page and split it into articles (one article when ``split`` is off).

    Every dropped line lands on the article whose lines surround it (lines before the first
    article go to the first one), so nothing is lost silently. A page with no text at all
    yields one empty article carrying whatever was dropped.
    """
    paras, dropped = clean_page(text)
    starts = _starts(paras) if split else []
    if not starts or starts[0][0] != 0:
        first_end = _title_block(paras, 0) if paras and paras[0].kind == TEXT else 0
        starts.insert(0, (0, first_end))
    drafts: list[_Draft] = []
    bounds = [s for s, _ in starts[1:]] + [len(paras)]
    for (start, title_end), end in zip(starts, bounds, strict=True):
        draft = _new_draft(paras, start, title_end) if title_end > start else _Draft()
        draft.first_line = paras[start].line if start < len(paras) else 0
        _fill(draft, paras[title_end:end])
        drafts.append(draft)
    _rehome_titles(drafts)
    _attach_dropped(drafts, dropped)
    return [_to_article(d, source, n) for n, d in enumerate(drafts)]


def _attach_dropped(drafts: list[_Draft], dropped: list[Dropped]) -> None:
    for d in dropped:
        owner = drafts[0]
        for draft in drafts:
            if draft.first_line and draft.first_line <= d.line:
                owner = draft
        owner.dropped.append(d)
