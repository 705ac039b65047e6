"""Rebuild classifier/data/stopwords.txt from ../shared/corpus/stopwords/ (see its header).

    python bench/make_stopwords.py [--shared ../shared]

Merges the four lists, keeps entries made only of CJK characters, maps them to simplified
forms (OpenCC, as normalize_text does), removes the content words in KEEP_AS_KEYWORDS (they
make good keywords in union news) and adds NEWS_FUNCTION_WORDS and NEWS_GENERIC_WORDS. The
output is sorted.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from classifier.text.normalize import to_simplified

LISTS = ("baidu_stopwords.txt", "cn_stopwords.txt", "hit_stopwords.txt", "scu_stopwords.txt")
_CJK_ONLY = re.compile(r"^[\u4e00-\u9fff]+$")
# Reviewed by hand: entries of the source lists that are topics, not function words.
KEEP_AS_KEYWORDS = frozenset(
    "安全 战斗 任务 先生 现代 中小 移动 练习 伟大 欢迎 普通 特殊 本地 精光 策略地 "
    "周围 范围 行为 行动 双方 对方 组成 帮助 交口 风雨无阻 川流不息 得天独厚".split()
)
# Words that every news report uses and that never say what it is about.
NEWS_FUNCTION_WORDS = frozenset(
    "记者 通讯员 本报讯 本报 本报记者 实习生 特约 日前 近日 近期 据悉 获悉 据了解 了解到 "
    "表示 介绍 指出 强调 认为 称 报道 采访 新华社 日电 编者按 责任编辑 编辑 来源 "
    "今年 去年 明年 今年以来 以来 截至 目前 当天 当日 昨天 昨日 今天 今日 日前 此前 "
    "一是 二是 三是 四是 五是 一方面 另一方面 同时 此外 另外 其中 方面 工作 进一步 "
    "相关 有关 推进 推动 加强 切实 扎实 提升 提高 不断 持续 积极 全面 有效 坚持 "
    "开展 实施 做好 抓好 落实 围绕 通过 重要 大力 切实 发挥 作用 情况 活动 "
    "万元 亿元 人次 万人次 万人 万名 余人 多名 多家 多个 有人 一种 一批 一系列 名 个 位 家".split()
)

# Issue 11 ("evidence and keywords are for people"): words that showed up as keywords or as a
# theme's evidence on the seed pages, 300 People's Daily 2020 articles and 300 union-press
# items and say nothing about the topic, with their kin, each in 1-20% of articles there.
# Reviewed by hand, in six groups (the words of the fourth group from 联合 on and the fifth
# and sixth groups from the keywords and evidence of 617 union-press items, 184 local union
# reports and 3,000 People's Daily articles, in a later round):
NEWS_GENERIC_WORDS = frozenset(
    # the scope of a report ("the whole city", "our province", "many places")
    "全国 全市 全省 全区 全县 全镇 全乡 全州 全盟 全旗 全村 全校 全厂 全院 本市 本省 本区 本县 "
    "我市 我省 我区 我县 多地 各省 各市 各区 各县 "
    # the formalities of an event (who hosted it, when, where)
    "举办 主办 承办 协办 为期 期间 现场 出席 参加 启动 正式 本届 仪式 建成 开设 "
    # photo and page credits left in the text
    "图片 图为 图文 供图 摄影 制图 资料图片 版式设计 本版 "
    # frames of any report
    "一线 一行 主题 有限公司 方式 时间 包括 超过 带来 过程 希望 面对 特别 这是 显示 据介绍 "
    "据统计 展现 积极争取 建筑面积 联合 关系 时说 我国 各国 该书 自我 越来越 始终 决不能 "
    "不停 尽收 忘记 之路 在家 晚上 "
    # a broadcast's own furniture (CCTV evening news: 今晚播出, 综合频道)
    "今晚 播出 频道 "
    # units of measure standing alone (the number went with the segmenter: 300/平方米)
    "平方米 平方公里 毫米 厘米 分钟 小时 公里 千米 公斤 千克 "
    # the subject of every union report, the product's whole domain: as a keyword or as a
    # theme's evidence it tells a union desk nothing (工会 was evidence in 157 and 总工会 a
    # keyword in 90 of 801 union reports and union_press items); the words that do tell
    # (基层工会, 工会干部, 职工之家, 困难职工, 工会主席) stay
    "工会 总工会 职工 全总 全国总工会 中华全国总工会 中国工会 省总工会 市总工会 县总工会 "
    "区总工会 工会工作 工会组织 广大职工 职工群众".split()
)


def build(shared: Path) -> list[str]:
    """The curated, sorted stop-word list."""
    words: set[str] = set()
    for name in LISTS:
        for line in (shared / "corpus/stopwords" / name).read_text("utf-8").splitlines():
            w = to_simplified(line.strip())
            if _CJK_ONLY.match(w):
                words.add(w)
    words -= KEEP_AS_KEYWORDS
    words |= NEWS_FUNCTION_WORDS | NEWS_GENERIC_WORDS
    return sorted(words)


HEADER = """\
# Stop words for keyword extraction (classifier.summary.keyterms), one per line; '#' starts
# a comment.
# Built by bench/make_stopwords.py from the four lists in ../shared/corpus/stopwords/
# (HIT, Baidu, SCU, cn; goto456/stopwords): merged, CJK-only entries kept (punctuation,
# digits, Latin and debris such as '末##末' dropped), mapped to simplified characters,
# reviewed by hand: topic words such as 安全, 任务, 移动, 中小 removed (they are real
# keywords in union news), and news function words added (记者, 通讯员, 本报讯, 日前, 近日,
# 据悉, 表示, 介绍, 一是, 进一步, 开展, 落实 ...); issue 11 added generic words seen as
# keywords or theme evidence (NEWS_GENERIC_WORDS: the scope of a report 全市, 我省, 多地;
# event formalities 举办, 主办, 期间, 现场; photo credits 图片, 图为, 摄影; frames 一线, 方式,
# 包括; the subject of every union report 工会, 总工会, 职工). The list also filters theme
# evidence (classifier.summary.readable). Single characters are kept, although keywords and
# evidence drop them anyway, so that other users of the list see them.
"""


def main() -> None:
    """Write the list next to the package."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = ap.parse_args()
    out = Path(__file__).resolve().parents[1] / "classifier/data/stopwords.txt"
    words = build(args.shared)
    out.write_text(HEADER + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} stop words -> {out}")


if __name__ == "__main__":
    main()
