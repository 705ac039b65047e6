from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.text.clean import is_byline, is_fragment, is_lead, looks_like_title
from classifier.text.normalize import normalize_text
from classifier.text.splitter import split_articles

from .conftest import seed_path, seed_text

# Headlines a careful reader finds on the five seed pages (main title line of each article).
EXPECTED_TITLES = {
    "000": ["广东省总工会举办2024年工会社工队伍建设与发展主题交流活动",
            "国家网络安全宣传周",
            "2024年全国托育职业技能竞赛决赛在宁波举行", "广东高校青年教师 教学国赛竞技获佳绩"],
    # The main story, its two sidebars (each under a kicker, a headline and a subtitle) and
    # the fact box 五年掠影.
    "001": ["广东省总工会：团结动员职工奋进新征程", "广东持续推进工会改革创新",
            "推出关爱新业态 劳动者“暖工行动”", "五年掠影"],
    "002": ["石家庄市总力求工会决策部署与职工需求精准对接", "陕西启动2024年重点项目劳动和技能竞赛",
            "山东禹城市总实施数字技能提升行动", "劳模工匠进校园", "体验“就业创业直通车”",
            "北京经开区工会调解员进驻区调解中心", "TCL王牌电器（惠州）公司工会开展志愿活动",
            "海南省总打造“技能培训超市”", "“退休了还被‘娘家人’惦记着”",
            "国铁南宁局工会帮职工缓解“带娃难”"],
    "003": ["保障宣传宣讲工作有力有序推进", "培训工会经审干部",
            "韶关工会开展“劳模工匠助企行”专项行动",
            "举办工会干部培训班", "河源首批60个工会爱心驿站启用",
            "获省市直机关工作创新大赛二等奖",
            "表彰工会先锋骨干"],
    "004": ["永州职工读书分享会", "工厂里的“幸福课堂”", "云南省总多管齐下帮扶困难职工",
            "职工大学堂“送教上门”", "工会送来“关爱套餐”",
            "更好地联系引导社会组织为职工提供专业化服务",
            "新疆召开劳模座谈会", "烟台市总深化劳动竞赛促发展", "职业技能大赛竞技艺"],
}


def _articles(prefix: str):  # type: ignore[no-untyped-def]
    return split_articles(seed_text(prefix), source=str(seed_path(prefix)))


def test_seed_headlines_found_without_spurious_ones() -> None:
    for prefix, expected in EXPECTED_TITLES.items():
        titles = [a.title for a in _articles(prefix)]
        assert len(titles) == len(expected), (prefix, titles)
        for want, got in zip(expected, titles, strict=True):
            assert want in got, (prefix, want, got)


def test_seed_001_spam_copyright_and_link_list_are_gone_but_kept() -> None:
    articles = _articles("001")
    text = "\n".join(a.text for a in articles)
    dropped = [d for a in articles for d in a.dropped]
    assert "超碰" not in text and "版权" not in text
    assert "频道精选" not in text and "[详细]" not in text
    assert articles[0].title == "广东省总工会：团结动员职工奋进新征程"
    reasons = {d.reason for d in dropped}
    assert {"spam", "copyright", "link_list", "boilerplate", "photo_caption"} <= reasons
    assert "浏览量" not in text and "▲" not in text
    assert any("林景余/摄" in d.text for d in dropped)


def test_a_sidebar_under_a_three_line_headline_is_its_own_article() -> None:
    main, reform, story, box = _articles("001")
    assert reform.title_lines == ("美好蓝图", "广东持续推进工会改革创新",
                                  "加快智慧平台建设 打造工会工作升级版")
    assert reform.text.startswith("近年来，广东省总工会积极落实上级关于群团改革的决策部署")
    assert story.text.startswith("“我觉得工会的服务很赞")
    assert "智慧工会" not in main.text and "暖工行动" not in main.text
    # One-line subheads stay in their article.
    assert "思想引领 推动党的理论入脑入心入行" in main.text
    # The same lines as unsplit, only in three articles.
    (whole,) = split_articles(seed_text("001"), split=False)
    lines = [p for a in (main, reform, story, box) for p in (*a.title_lines, *a.paragraphs)]
    assert sorted(lines) == sorted((*whole.title_lines, *whole.paragraphs))


def test_a_fact_box_of_bullet_points_is_its_own_article() -> None:
    *_, story, box = _articles("001")
    assert box.title == "五年掠影"
    assert len(box.paragraphs) == 5
    assert all(p.startswith("●") for p in box.paragraphs)
    assert "●" not in story.text


def test_a_short_heading_over_bullets_in_a_story_stays_in_it() -> None:
    story = ("核心阅读\n●全市新建职工书屋二十家。\n●职工读书会每月举办。\n"
             "近日，市总工会召开会议，总结职工书屋建设经验。\n会议要求各级工会持续推进。")
    box = "数据\n●全省签订集体合同806份。\n●建成职工服务中心5450家。"
    page = "市总工会推进职工书屋建设\n本报讯 近日，市总工会推进职工书屋建设。\n"
    # bullets followed by more of the story: a section of it
    (one,) = split_articles(page + story)
    assert "核心阅读" in one.paragraphs
    # bullets running to the end of the page: a box of its own
    _, fact_box = split_articles(page + box)
    assert fact_box.title == "数据" and len(fact_box.paragraphs) == 2
    # bullets up to the next headline: a box too, and the next article still opens
    nxt = "\n职工运动会开幕\n本报讯 近日，职工运动会开幕。"
    assert [a.title for a in split_articles(page + box + nxt)] == [
        "市总工会推进职工书屋建设", "数据", "职工运动会开幕"]
    # a column label over bullets stays with its story; so does a single bullet
    (kept,) = split_articles(page + "新闻链接\n●全省签订集体合同806份。\n●建成站点。")
    assert "新闻链接" in kept.paragraphs
    (kept,) = split_articles(page + "数据\n●全省签订集体合同806份。")
    assert "数据" in kept.paragraphs


def test_seed_002_repeated_block_once_and_page_break_rejoined() -> None:
    articles = _articles("002")
    text = "\n".join(a.text for a in articles)
    assert text.count("第一批电工培训班是经海南省总工会") == 1
    assert text.count("省机械能源石化医药工会主席陈波说。") == 1
    assert "各直属事业单位负责人参加的专题会议" in text
    assert "公共服务设施应有尽有" in text  # joined across the 阅读提示 box
    hainan = next(a for a in articles if "海南" in a.title)
    assert hainan.paragraphs[0].startswith("本报讯（记者赖书闻）")
    assert sum(d.reason == "duplicate" for d in hainan.dropped) == 6


def test_seed_002_reading_tip_box_leaves_the_body() -> None:
    article = next(a for a in _articles("002") if "娘家人" in a.title)
    assert "阅读提示" not in article.text
    assert article.editor_summary.startswith("建立驿站、打造书屋")
    assert "建立驿站、打造书屋" not in article.text
    assert article.byline == "本报记者 张琳 本报通讯员 钟文婷"


def test_photo_news_and_captions() -> None:
    photo = next(a for a in _articles("004") if a.title == "职业技能大赛竞技艺")
    assert photo.byline == "本报通讯员 杨楠 摄"
    assert len(photo.paragraphs) == 1 and photo.paragraphs[0].startswith("10月30日")
    heshan = next(a for a in _articles("003") if "鹤山" in a.title)
    assert "以创新探索党工深度共建为突破口" in heshan.text
    assert "服务难和引领难" in heshan.text
    assert {d.reason for d in heshan.dropped} == {"photo_caption", "photo_credit"}
    assert "■" not in heshan.text and "单位供图" not in heshan.text


def test_column_label_and_masthead() -> None:
    articles = _articles("004")
    feature = next(a for a in articles if "送教上门" in a.title)
    assert feature.column == "新闻特写"
    assert any(d.reason == "masthead" and d.text == "工人日报" for a in articles for d in a.dropped)


def test_only_a_headline_of_three_lines_opens_a_sidebar() -> None:
    page = ("市总工会开展送清凉活动\n本报讯 近日，市总工会为户外劳动者送去清凉。\n"
            "精准服务\n工会走访了十个站点，发放防暑用品。\n"
            "背景\n户外劳动者服务站点\n全市已建成站点三百个，覆盖各区。\n"
            "奋进故事\n推出关爱新业态\n劳动者“暖工行动”\n骑手孙东去年加入工会，每天领取清凉券。")
    main, sidebar = split_articles(page)
    assert main.title == "市总工会开展送清凉活动"
    assert "精准服务" in main.paragraphs and "户外劳动者服务站点" in main.paragraphs
    assert sidebar.title_lines == ("奋进故事", "推出关爱新业态", "劳动者“暖工行动”")
    assert sidebar.paragraphs == ("骑手孙东去年加入工会，每天领取清凉券。",)


def test_no_split_gives_one_article_and_keeps_every_body_line() -> None:
    (whole,) = split_articles(seed_text("003"), split=False)
    assert whole.title == "湛江市总工会 保障宣传宣讲工作有力有序推进"
    for article in _articles("003"):
        for para in article.paragraphs:
            assert para in whole.text


def test_single_article_and_empty_pages() -> None:
    (one,) = split_articles("职工书屋开放\n\n本报讯 近日，职工书屋正式开放。")
    assert one.title == "职工书屋开放" and one.text.startswith("本报讯")
    (empty,) = split_articles("")
    assert empty.title == "" and empty.text == ""


def test_line_classifiers() -> None:
    assert is_lead("本报讯（记者王伟）今天") and is_lead("本报南京11月2日电 （记者王伟）")
    assert is_byline("本报记者 李玉波 本报通讯员 刘旭亮") and is_byline("（魏红婷 汪颖）")
    assert not is_byline("记者日前获悉")
    assert looks_like_title("新疆召开劳模座谈会") and not looks_like_title("会议召开。")
    assert is_fragment("会议要求，全市各级工会要加强组织领导，组建")
    assert not is_fragment("关爱退休职工 传递社会温暖")


def _lost_lines(text: str) -> list[str]:
    """Normalized input lines found nowhere in the articles (title, body, box, dropped)."""
    articles = split_articles(text)
    kept = "\n".join(
        "\n".join([*a.title_lines, *a.paragraphs, a.column, a.byline, a.editor_summary,
                   *(d.text for d in a.dropped)])
        for a in articles
    )
    labels = ("阅读提示", "核心提示", "内容提要", "导读")
    return [
        line for line in normalize_text(text).split("\n")
        if line and line not in kept and not line.lstrip("【[").startswith(labels)
    ]


def test_nothing_is_lost_silently_on_the_seeds() -> None:
    for prefix in EXPECTED_TITLES:
        assert _lost_lines(seed_text(prefix)) == [], prefix


PAGE_CHARS = st.sampled_from([*"本报讯记者工会职工。，！？\n ■▲摄|色图版权频道精选阅读提示"])


@settings(max_examples=150, deadline=None)
@given(st.text(PAGE_CHARS, max_size=200))
def test_nothing_is_lost_silently(text: str) -> None:
    assert _lost_lines(text) == []


@settings(max_examples=150, deadline=None)
@given(st.text(PAGE_CHARS, max_size=200))
def test_splitter_never_raises(text: str) -> None:
    articles = split_articles(text)
    assert articles
    assert [a.index for a in articles] == list(range(len(articles)))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_splitter_never_raises_on_any_text(text: str) -> None:
    assert split_articles(text)
