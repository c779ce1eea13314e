"""Near-duplicate notes: TF-IDF on words and character n-grams, cosine similarity.

Two notes are near-duplicates when the cosine similarity of their TF-IDF vectors is at least
the threshold (default :data:`DEFAULT_THRESHOLD`). Both parts of a note's vector are built from
its content words (lower case, English stop words and punctuation left out, so two notes built on
the same sentence frame about different things stay apart): word unigrams, weighted
:data:`WORD_WEIGHT` (same words in any order), and character 3-5-grams inside word boundaries,
weighted the rest (typos, plurals, "sign-on" / "signon"). Each part is L2-normalised and scaled
by the square root of its weight, so the cosine is the weighted mean of the word cosine and the
character cosine, within [0, 1]. Everything is computed locally with scikit-learn: no network, no
model. The weights, n-gram sizes and threshold were chosen on the labelled set in
``tests/research/data/labelled_duplicates.csv`` and checked on a second set written afterwards
(``held_out_duplicates.csv``).

Up to :data:`LARGE_COLLECTION` notes, every pair is scored: the sparse matrix is multiplied by
its transpose in blocks of rows, keeping only pairs above the threshold, so memory stays bounded
by one block. From there on (a quadratic scan of 100,000 notes takes many minutes),
:func:`large_similar_pairs` scores only the pairs that share two uncommon content words and
whose word cosine is at least :data:`WORD_FLOOR`: typo'd and reordered copies always qualify; a
paraphrase in quite different words may be missed (see ``benchmarks/insights.py``).

Examples
--------
>>> pairs = near_duplicates(
...     ["Please add single sign-on with Okta", "pls add single sign on with okta!",
...      "The CSV export times out on big reports"],
...     ids=["a", "b", "c"],
... )
>>> pairs[["a", "b"]].to_dict("records")
[{'a': 'a', 'b': 'b'}]
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # scikit-learn and SciPy load when a scan runs, not when a page opens
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

from prodops.errors import ParameterError

DEFAULT_THRESHOLD = 0.5  # chosen on tests/research/data/labelled_duplicates.csv
WORD_WEIGHT = 0.2  # share of the word cosine in the similarity; the rest is character n-grams
LARGE_COLLECTION = 5000  # from here on, only candidate pairs are scored (candidate_pairs)
MAX_DOC_SHARE = 0.005  # candidates share words found in at most this share of the notes...
MIN_DOC_CAP = 50  # ... or in at most this many notes
MIN_SHARED_WORDS = 2
WORD_FLOOR = 0.3  # candidates with a lower word cosine are not scored
CHAR_SAMPLE = 5000
BLOCK_ROWS = 2000
_WORD = re.compile(r"\w+")
PAIR_COLUMNS = ["a", "b", "similarity"]


def check_threshold(threshold: float) -> float:
    """Return *threshold* if it is a number in (0, 1]; ParameterError otherwise."""
    if not (isinstance(threshold, int | float) and 0 < threshold <= 1):
        raise ParameterError(
            f"threshold {threshold!r} is not in (0, 1]",
            where="threshold",
            fix=f"Use a similarity such as {DEFAULT_THRESHOLD} (1 = identical text).",
        )
    return float(threshold)


def content_words(text: str) -> str:
    """*text* in lower case with English stop words and punctuation left out.

    >>> content_words("We need SSO, with Okta!")
    'need sso okta'
    """
    stop = _stop_words()
    return " ".join(w for w in _WORD.findall(str(text).lower()) if w not in stop)


@functools.cache
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _part(analyzer: str) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=(1, 1) if analyzer == "word" else (3, 5),
        sublinear_tf=True,
        token_pattern=r"(?u)\b\w+\b" if analyzer == "word" else None,
        dtype=np.float32,
    )


def vectorise(texts: Sequence[str]) -> sp.csr_matrix:
    """Return the L2-normalised TF-IDF rows of *texts* (word part + character part).

    >>> m = vectorise(["export to csv", "Export to CSV!"])
    >>> round(float((m @ m.T)[0, 1]), 3)
    1.0
    """
    import scipy.sparse as sp

    cleaned = [content_words(t) for t in texts]
    parts = []
    for analyzer, weight in (("word", WORD_WEIGHT), ("char_wb", 1 - WORD_WEIGHT)):
        try:
            parts.append(_part(analyzer).fit_transform(cleaned) * math.sqrt(weight))
        except ValueError:  # every text empty
            parts.append(sp.csr_matrix((len(cleaned), 1), dtype=np.float32))
    return sp.hstack(parts, format="csr")


def similar_pairs(matrix: sp.csr_matrix, *, threshold: float) -> pd.DataFrame:
    """Return the row pairs ``i < j`` of *matrix* whose dot product is at least *threshold*.

    Every pair is compared, block by block. Columns ``i``, ``j`` and ``similarity``, most
    similar first.
    """
    threshold = check_threshold(threshold)
    found = []
    transposed = matrix.T.tocsc()
    for start in range(0, matrix.shape[0], BLOCK_ROWS):
        block = (matrix[start : start + BLOCK_ROWS] @ transposed).tocoo()
        rows = block.row + start
        keep = (block.data >= threshold - 1e-6) & (block.col > rows)
        found.append((rows[keep], block.col[keep], block.data[keep]))
    return _pairs_frame(found)


def _pairs_frame(found: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> pd.DataFrame:
    pairs = pd.DataFrame(
        {
            "i": np.concatenate([f[0] for f in found]).astype(np.int64),
            "j": np.concatenate([f[1] for f in found]).astype(np.int64),
            "similarity": np.minimum(np.concatenate([f[2] for f in found]), 1.0).astype(float),
        }
    )
    return pairs.sort_values(["similarity", "i", "j"], ascending=[False, True, True]).reset_index(
        drop=True
    )


def _row_dots(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``matrix[rows[k]] . matrix[cols[k]]`` for every k, in bounded chunks."""
    out = np.zeros(len(rows), dtype=np.float32)
    for start in range(0, len(rows), 200_000):
        a = matrix[rows[start : start + 200_000]]
        b = matrix[cols[start : start + 200_000]]
        out[start : start + a.shape[0]] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    return out


def candidate_pairs(words: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs ``i < j`` of the word matrix that share at least :data:`MIN_SHARED_WORDS`
    uncommon words (found in at most :data:`MAX_DOC_SHARE` of the notes, or :data:`MIN_DOC_CAP`).

    Leaving common words out keeps the sparse product sparse. A typo'd or reordered copy keeps
    nearly all its words and is a candidate; a paraphrase in other words may not be.
    """
    binary = (words > 0).astype(np.int32)
    df = np.asarray(binary.sum(axis=0)).ravel()
    keep = np.flatnonzero(df <= max(MIN_DOC_CAP, MAX_DOC_SHARE * words.shape[0]))
    rare = binary[:, keep].tocsr()
    transposed = rare.T.tocsc()
    found_i, found_j = [np.array([], dtype=np.int64)], [np.array([], dtype=np.int64)]
    for start in range(0, rare.shape[0], BLOCK_ROWS):
        block = (rare[start : start + BLOCK_ROWS] @ transposed).tocoo()
        rows = block.row + start
        hit = (block.data >= MIN_SHARED_WORDS) & (block.col > rows)
        found_i.append(rows[hit].astype(np.int64))
        found_j.append(block.col[hit].astype(np.int64))
    return np.concatenate(found_i), np.concatenate(found_j)


def large_similar_pairs(texts: Sequence[str], *, threshold: float) -> pd.DataFrame:
    """:func:`similar_pairs` for large collections, scoring candidate pairs only.

    The same similarity, with two economies: only :func:`candidate_pairs` whose word cosine is
    at least :data:`WORD_FLOOR` are scored, and the character part's IDF is fitted on an evenly
    spaced sample of :data:`CHAR_SAMPLE` notes, then applied to the notes of those pairs only.
    """
    threshold = check_threshold(threshold)
    cleaned = [content_words(t) for t in texts]
    words = _part("word").fit_transform(cleaned)
    rows, cols = candidate_pairs(words)
    word_cos = _row_dots(words, rows, cols)
    kept = word_cos >= WORD_FLOOR
    rows, cols, word_cos = rows[kept], cols[kept], word_cos[kept]
    docs, inverse = np.unique(np.concatenate([rows, cols]), return_inverse=True)
    sample = np.linspace(0, len(cleaned) - 1, num=min(CHAR_SAMPLE, len(cleaned))).astype(int)
    chars = _part("char_wb").fit([cleaned[i] for i in sample])
    char_rows = chars.transform([cleaned[i] for i in docs])
    char_cos = _row_dots(char_rows, inverse[: len(rows)], inverse[len(rows) :])
    score = WORD_WEIGHT * word_cos + (1 - WORD_WEIGHT) * char_cos
    keep = score >= threshold - 1e-6
    return _pairs_frame([(rows[keep], cols[keep], score[keep])])


def near_duplicates(
    texts: Sequence[str], *, ids: Sequence[str], threshold: float = DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """Return the near-duplicate pairs among *texts*, named by *ids*.

    Parameters
    ----------
    texts
        The notes' text.
    ids
        One id per text (the id the note had in its source), used in the result.
    threshold
        Minimum cosine similarity, in (0, 1].

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b`` (ids, ``a`` the earlier in *texts*) and ``similarity`` (rounded to
        3 decimals), most similar first.
    """
    if len(texts) != len(ids):
        raise ParameterError("texts and ids differ in length", fix="Pass one id per text.")
    if len(texts) < 2:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    if len(texts) >= LARGE_COLLECTION:
        pairs = large_similar_pairs(texts, threshold=threshold)
    else:
        pairs = similar_pairs(vectorise(texts), threshold=threshold)
    labels = np.asarray([str(i) for i in ids], dtype=object)
    return pd.DataFrame(
        {
            "a": labels[pairs["i"].to_numpy()],
            "b": labels[pairs["j"].to_numpy()],
            "similarity": pairs["similarity"].round(3),
        },
        columns=PAIR_COLUMNS,
    )


def best_matches(
    text: str, candidates: Sequence[str], *, threshold: float = DEFAULT_THRESHOLD, limit: int = 3
) -> list[tuple[int, float]]:
    """Return up to *limit* ``(index, similarity)`` of *candidates* most similar to *text*.

    Only candidates at or above *threshold* are returned, best first.

    >>> best_matches("add SSO with okta", ["Single sign-on (SSO) with Okta", "Dark mode"],
    ...              threshold=0.2)
    [(0, 0.401)]
    """
    threshold = check_threshold(threshold)
    if not candidates or not text.strip():
        return []
    matrix = vectorise([text, *candidates])
    scores = (matrix[1:] @ matrix[0].T).toarray().ravel()
    order = np.argsort(-scores, kind="stable")[:limit]
    return [(int(i), round(float(scores[i]), 3)) for i in order if scores[i] >= threshold - 1e-6]
