"""Centrality ranking of sentences for ``summarize(method="textrank")``.

Biased PageRank over a cosine graph of char-bigram TF-IDF vectors (position prior as the
teleport vector), then MMR re-ranking against redundancy. Settings and numbers:
docs/SUMMARIES.md (issue 4).

Memory is bounded whatever the input (issue 15, item 17: 8,000 short sentences needed
1.3 GB): only the first ``MAX_RANKED`` sentences are ranked (a summary is drawn from the
opening of an article anyway), the rest follow them in document order, and the TF-IDF rows
are sparse (made dense only up to 32 MB, where that is faster), so memory is bounded by the
text of those sentences plus the 1.3 MB similarity graph.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import scipy.sparse as sp

__all__ = ["DAMPING", "MAX_RANKED", "MMR_LAMBDA", "POSITION_DECAY", "rank_sentences"]

# TextRank settings. Chosen on the LCSTS part III pairs with human_label < 3 (not the 725
# test pairs) and kept simple; see docs/SUMMARIES.md.
DAMPING = 0.85
POSITION_DECAY = 1.0  # teleport weight of sentence i is 1 / (i + 1) ** POSITION_DECAY
MMR_LAMBDA = 0.7  # 1.0 = pure centrality, lower = stronger redundancy penalty
# Sentences ranked, by position: of 2,000 People's Daily articles the median has 19 body
# sentences, 21 have over 150 and one over 400; the N x N graph of 400 takes 1.3 MB.
MAX_RANKED = 400
_DENSE_CELLS = 4_000_000  # 32 MB of float64: above it the TF-IDF rows stay sparse
_TOKEN_CHAR = re.compile(r"[\w]")


def _bigrams(sentence: str) -> list[str]:
    chars = [c for c in sentence if _TOKEN_CHAR.match(c)]
    if len(chars) < 2:
        return chars
    return [chars[i] + chars[i + 1] for i in range(len(chars) - 1)]


def _tfidf(sents: list[str]) -> sp.csr_matrix:
    """L2-normalized char-bigram TF-IDF rows, IDF taken over the article's own sentences."""
    counts = [Counter(_bigrams(s)) for s in sents]
    vocab = {g: j for j, g in enumerate(sorted({g for c in counts for g in c}))}
    indptr = np.zeros(len(sents) + 1, dtype=np.int64)
    indices: list[int] = []
    data: list[float] = []
    for i, c in enumerate(counts):
        for g, n in c.items():
            indices.append(vocab[g])
            data.append(float(n))
        indptr[i + 1] = len(indices)
    m = sp.csr_matrix((np.asarray(data), np.asarray(indices, dtype=np.int64), indptr),
                      shape=(len(sents), max(len(vocab), 1)))
    df = np.bincount(m.indices, minlength=m.shape[1])
    idf = np.log((len(sents) + 1) / (df + 1)) + 1.0
    m.data *= idf[m.indices]
    norms = np.sqrt(np.bincount(np.repeat(np.arange(len(sents)), np.diff(m.indptr)),
                                weights=m.data ** 2, minlength=len(sents)))
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    m.data *= np.repeat(scale, np.diff(m.indptr))
    return m


def rank_sentences(sents: list[str]) -> list[int]:
    """All sentence indices, best first: biased PageRank then MMR re-ranking of the first
    ``MAX_RANKED``, then the others in document order."""
    if len(sents) > MAX_RANKED:
        return rank_sentences(sents[:MAX_RANKED]) + list(range(MAX_RANKED, len(sents)))
    n = len(sents)
    vec = _tfidf(sents)
    # Dense product for the usual article (faster); sparse when rows x vocabulary is big.
    sim = (vec.toarray() @ vec.toarray().T if n * vec.shape[1] <= _DENSE_CELLS
           else np.asarray((vec @ vec.T).toarray()))
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
