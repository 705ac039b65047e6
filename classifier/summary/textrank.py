"""Centrality ranking of sentences for ``summarize(method="textrank")``.

Biased PageRank over a cosine graph of char-bigram TF-IDF vectors (position prior as the
teleport vector), then MMR re-ranking against redundancy. Settings and numbers:
docs/SUMMARIES.md (issue 4).
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

__all__ = ["DAMPING", "MMR_LAMBDA", "POSITION_DECAY", "rank_sentences"]

# TextRank settings. Chosen on the LCSTS part III pairs with human_label < 3 (not the 725
# test pairs) and kept simple; see docs/SUMMARIES.md.
DAMPING = 0.85
POSITION_DECAY = 1.0  # teleport weight of sentence i is 1 / (i + 1) ** POSITION_DECAY
MMR_LAMBDA = 0.7  # 1.0 = pure centrality, lower = stronger redundancy penalty
_TOKEN_CHAR = re.compile(r"[\w]")


def _bigrams(sentence: str) -> list[str]:
    chars = [c for c in sentence if _TOKEN_CHAR.match(c)]
    if len(chars) < 2:
        return chars
    return [chars[i] + chars[i + 1] for i in range(len(chars) - 1)]


def _tfidf(sents: list[str]) -> np.ndarray:
    """L2-normalized char-bigram TF-IDF rows, IDF taken over the article's own sentences."""
    counts = [Counter(_bigrams(s)) for s in sents]
    vocab = {g: j for j, g in enumerate(sorted({g for c in counts for g in c}))}
    m = np.zeros((len(sents), max(len(vocab), 1)))
    for i, c in enumerate(counts):
        for g, n in c.items():
            m[i, vocab[g]] = n
    df = (m > 0).sum(axis=0)
    m *= np.log((len(sents) + 1) / (df + 1)) + 1.0
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


def rank_sentences(sents: list[str]) -> list[int]:
    """All sentence indices, best first: biased PageRank then MMR re-ranking."""
    n = len(sents)
    vec = _tfidf(sents)
    sim = vec @ vec.T
    np.fill_diagonal(sim, 0.0)
    rows = sim.sum(axis=1, keepdims=True)
    # A sentence with no neighbours teleports uniformly, as in PageRank's dangling nodes.
    trans = np.divide(sim, rows, out=np.full_like(sim, 1.0 / n), where=rows > 0)
    prior = np.array([1.0 / math.pow(i + 1, POSITION_DECAY) for i in range(n)])
    prior /= prior.sum()
    score = prior.copy()
    for _ in range(100):
        new = (1 - DAMPING) * prior + DAMPING * (trans.T @ score)
        if np.abs(new - score).sum() < 1e-9:
            score = new
            break
        score = new
    score = score / score.max()
    order: list[int] = []
    redundancy = np.zeros(n)  # max similarity to any sentence already chosen
    open_ = np.ones(n, dtype=bool)
    for _ in range(n):
        gain = MMR_LAMBDA * score - (1 - MMR_LAMBDA) * redundancy
        gain[~open_] = -np.inf
        best = int(np.argmax(gain))  # argmax takes the first maximum: earlier sentence wins
        order.append(best)
        open_[best] = False
        redundancy = np.maximum(redundancy, sim[best])
    return order
