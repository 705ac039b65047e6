"""Taxonomy term hits: counts equal str.count, one pass per text."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.features.lexicon import lexicon_counts, lexicon_features

# Terms that overlap each other (工会 in 工会社工) and themselves (助学救助, 工会社工).
TERMS = ["工会", "工会社工", "助学救助", "社工", "劳模", "abc", "工会"]


def _reference(docs: list[str], terms: list[str]) -> np.ndarray:
    out = [[d.lower().count(t) for t in terms] for d in docs]
    return np.array(out, dtype=np.float32).reshape(len(docs), len(terms))


def test_lexicon_features() -> None:
    terms = ["劳模", "工匠精神", "骑手"]
    body = lexicon_counts(["劳模劳模弘扬工匠精神", "外卖骑手"], terms)
    head = lexicon_counts(["劳模", ""], terms)
    assert body.tolist() == [[2, 1, 0], [0, 0, 1]]
    lex = lexicon_features(body, head, [[0, 1], [2], []])
    assert lex.shape == (2, 3, 3)
    assert np.isclose(lex[0, 0, 0], np.log1p(3)) and lex[0, 0, 1] == 2 and lex[0, 0, 2] == 1
    assert lex[1, 1, 1] == 1 and lex[1, 1, 2] == 0
    assert not lex[:, 2].any()



def test_overlapping_terms_count_like_str_count() -> None:
    docs = ["助学救助学救助", "工会社工会社工", "ABC工会abc", ""]
    got = lexicon_counts(docs, TERMS)
    assert got.tolist() == _reference(docs, TERMS).tolist()
    assert got[0, 2] == 1 and got[1, 1] == 1 and got[1, 0] == 2 and got[2, 5] == 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="工会社助学救劳模aBc ", max_size=30), max_size=4))
def test_counts_equal_str_count(docs: list[str]) -> None:
    assert np.array_equal(lexicon_counts(docs, TERMS), _reference(docs, TERMS))


def test_empty_term_is_refused() -> None:
    with pytest.raises(ValueError, match="empty term"):
        lexicon_counts(["工会"], ["工会", ""])


def test_no_terms_gives_zero_columns() -> None:
    # A label set without taxonomy terms (issue 11: THUCNews crashed in pyahocorasick).
    body = lexicon_counts(["财经新闻", ""], [])
    assert body.shape == (2, 0) and body.dtype == np.float32
    assert lexicon_features(body, body, [[], []]).shape == (2, 2, 3)
    assert lexicon_counts([], []).shape == (0, 0)


def _features_theme_by_theme(body: np.ndarray, title: np.ndarray,
                             groups: list[list[int]]) -> np.ndarray:
    """The per-theme loop ``lexicon_features`` replaced (issue 14): its output, bit for bit."""
    out = np.zeros((body.shape[0], len(groups), 3))
    for t, cols in enumerate(groups):
        if cols:
            out[:, t, 0] = np.log1p(body[:, cols].sum(axis=1))
            out[:, t, 1] = np.minimum((body[:, cols] > 0).sum(axis=1), 3)
            out[:, t, 2] = title[:, cols].sum(axis=1) > 0
    return out


@pytest.mark.parametrize("seed", range(40))
def test_features_of_all_themes_at_once_equal_theme_by_theme(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_terms, n_docs = int(rng.integers(1, 40)), int(rng.integers(0, 30))
    body = (rng.integers(0, 50, (n_docs, n_terms)) * (rng.random((n_docs, n_terms)) < 0.3)
            ).astype(np.float32)
    title = (rng.integers(0, 3, (n_docs, n_terms)) * (rng.random((n_docs, n_terms)) < 0.2)
             ).astype(np.float32)
    groups = [sorted(rng.choice(n_terms, int(rng.integers(0, min(n_terms, 8) + 1)),
                                replace=False).tolist()) for _ in range(int(rng.integers(1, 14)))]
    assert np.array_equal(lexicon_features(body, title, groups),
                          _features_theme_by_theme(body, title, groups))


def test_context_gate_counts_the_context_columns_together() -> None:
    from classifier.features.lexicon import CONTEXT_TERMS, context_gate

    docs = ["区总工会组织职工运动会。", "全市运动会开幕。", "工会工会", "职工"]
    terms = ["运动会", *CONTEXT_TERMS]
    body = lexicon_counts(docs, terms)
    assert context_gate(body, [1, 2], 2).tolist() == [1.0, 0.0, 1.0, 0.0]
    assert context_gate(body, [1, 2], 1).tolist() == [1.0, 0.0, 1.0, 1.0]
    # No context (models before issue 11's gate, or --context-min 0): the prior applies.
    assert context_gate(body, [], 3).tolist() == [1.0] * 4
    assert context_gate(body, [1, 2], 0).tolist() == [1.0] * 4
