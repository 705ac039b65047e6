"""Articles → labelled records: themes, scores, evidence, summary and keywords.

The CLI (``classify``, ``label``), the review page and the HTTP service all emit these same
records (``classifier.labelling.records``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from classifier.features.rows import load_batch_kernel
from classifier.features.space import compose
from classifier.features.wordcounts import WordTable, count_words
from classifier.labelling.options import Options
from classifier.labelling.records import LabelRecord, label_record
from classifier.model.theme_model import ThemeModel
from classifier.summary.extract import summarize
from classifier.summary.keyterms import keywords_many
from classifier.text.article import Article, Failure
from classifier.text.decode import DEFAULT_MAX_BYTES
from classifier.text.reader import articles_from_text, read_articles

__all__ = ["Classified", "analyze", "classify", "warm_up"]


def analyze(
    articles: Sequence[Article], model: ThemeModel, options: Options | None = None
) -> list[LabelRecord]:
    """Label, summarize and pick keywords for each article, in order.

    Themes are predicted for all articles in one vectorized call; ``labels`` lists the themes
    over their thresholds, best first, and ``scores`` every theme's probability.
    """
    opts = options or Options()
    # Each article is cut into words once: the model and the keywords share the counts, so
    # keywords too come from the part of the text the model reads (``FeatureSettings.head``).
    fs = model.features.settings
    pairs = [(compose(a.title, "", fs.title_weight, normalized=True)[1], fs.head(a.text))
             for a in articles]
    table = WordTable.of([count_words(title, text) for title, text in pairs],
                         model.features.word_index)
    items = [(a.title, a.text) for a in articles]
    # Article titles and texts are normalized already: skip the model's own pass.
    predictions = model.predict_many(items, top_terms=opts.top_terms, normalized=True,
                                     words=table, explain_unassigned=opts.explain_unassigned)
    chosen = keywords_many(table, items, k=opts.keywords, scorer=model.keyword_scorer())
    return [
        label_record(article, prediction,
                     summarize(article.text, sentences=opts.sentences,
                               max_chars=opts.max_chars, method=opts.method).text,
                     words)
        for article, prediction, words in zip(articles, predictions, chosen, strict=True)
    ]


# Traditional characters and a glued reading: the warm-up also loads OpenCC.
_WARM_TEXT = "廣州市總工會舉辦職工技能大賽\n團結(tuán jié)一心，一線職工踴躍參賽，展現工匠精神。"


def warm_up(model: ThemeModel) -> None:
    """Build what labelling loads lazily (segmenter, converter, the model's lookup tables,
    the sparse product kernel of large batches).

    Called before forking workers, which then share it instead of each building its own.
    """
    analyze(articles_from_text(_WARM_TEXT), model)
    load_batch_kernel()


@dataclass(frozen=True)
class Classified:
    """Records of every article read, the inputs that failed, and the model that labelled."""

    records: list[LabelRecord]
    failures: list[Failure]
    model: ThemeModel


def classify(
    inputs: Sequence[str],
    *,
    text: str | None = None,
    model: str = "default",
    split: bool = True,
    options: Options | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin_format: str = "auto",
) -> Classified:
    """Read inputs (paths, ``-``) and/or a literal ``text``, and label every article.

    Raises ``ModelError`` when the model cannot be loaded; unreadable inputs are returned as
    failures rather than raised, so one bad file does not hide the others' results. Standard
    input is one page or JSONL (``stdin_format``: ``auto``, ``text``, ``jsonl``).
    """
    from classifier.model.store import load_model

    theme_model = load_model(model)
    articles: list[Article] = []
    failures: list[Failure] = []
    for item in read_articles(inputs, split=split, max_bytes=max_bytes,
                              stdin_format=stdin_format):
        if isinstance(item, Failure):
            failures.append(item)
        else:
            articles.append(item)
    if text is not None:
        articles.extend(articles_from_text(text, source="<text>", split=split))
    return Classified(analyze(articles, theme_model, options), failures, theme_model)
