"""Benchmark: the customer insight repository at 100k notes (issue 14).

Writes an Intercom-like CSV of N notes (default 100,000): text drawn from a Zipf-distributed
vocabulary of 20,000 words (15-60 words a note, so the collection has the variety of real
conversations), 2 % of them planted near-duplicates of an earlier note (two typos, or the two
halves swapped). Then, in one process on a fresh SQLite store:

1. import the file (``prodops.research.importers.import_file``: read, map, validate, insert);
2. re-import it (every note unchanged: the update-by-source-id path);
3. scan for near-duplicates (``prodops.research.review.note_duplicates`` at the default
   threshold) and count how many planted pairs were found;
4. search: 3 queries (a word; two words + a tag; a customer + a date range), each 5 times, median.

Peak memory is ``ru_maxrss`` of the process. Targets: import + scan under 60 s and 2 GB, every
search under 0.5 s. Results go to ``benchmarks/out/insights.json``.

Run: ``.venv/bin/python benchmarks/insights.py [--notes 100000]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
VOCABULARY = 20_000
PLANTED_SHARE = 0.02


def make_notes(n: int, seed: int = 14) -> tuple[pd.DataFrame, set[frozenset[str]]]:
    """*n* notes as an Intercom export, and the planted duplicate pairs (by conversation id)."""
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "de", "gu", "fi"]
    words = np.array(
        ["".join(rng.choice(syllables, size=int(rng.integers(2, 5)))) for _ in range(VOCABULARY)]
    )
    ranks = np.arange(1, VOCABULARY + 1)
    p = 1.0 / ranks**1.05
    p /= p.sum()
    lengths = rng.integers(15, 61, size=n)
    drawn = rng.choice(VOCABULARY, size=int(lengths.sum()), p=p)
    texts, start = [], 0
    for length in lengths:
        texts.append(" ".join(words[drawn[start : start + length]]))
        start += int(length)
    planted: set[frozenset[str]] = set()
    ids = [f"conv-{i:06d}" for i in range(n)]
    for i in rng.choice(np.arange(1, n), size=int(n * PLANTED_SHARE), replace=False):
        original = texts[int(rng.integers(0, i))] if False else texts[i - 1]
        parts = original.split(" ")
        if rng.random() < 0.5:
            for j in rng.choice(len(parts), size=2, replace=False):
                w = parts[j]
                if len(w) > 3:
                    parts[j] = w[:1] + w[2] + w[1] + w[3:]
        else:
            half = len(parts) // 2
            parts = parts[half:] + parts[:half]
        texts[i] = " ".join(parts)
        planted.add(frozenset((ids[i - 1], ids[i])))
    days = rng.integers(0, 365, size=n)
    frame = pd.DataFrame(
        {
            "Conversation ID": ids,
            "Conversation body": texts,
            "User ID": [f"u{int(c):06d}" for c in rng.integers(0, 20_000, size=n)],
            "User email": "",
            "Company name": "",
            "Created at": [
                (dt.date(2026, 1, 1) + dt.timedelta(days=int(d))).isoformat() for d in days
            ],
            "Tags": rng.choice(["sso", "export", "pricing", "mobile", "api", ""], size=n),
        }
    )
    return frame, planted


def timed(action: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()  # type: ignore[operator]
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100_000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="prodops-bench-insights-"))
    os.environ["PRODOPS_HOME"] = str(home)

    from prodops.research.importers import import_file
    from prodops.research.review import note_duplicates
    from prodops.research.search import search_notes
    from prodops.store.db import init_store, read_session

    frame, planted = make_notes(args.notes)
    path = home / "intercom-conversations.csv"
    frame.to_csv(path, index=False)
    del frame
    engine = init_store()
    import_s, outcome = timed(lambda: import_file(engine, path, actor="bench"))
    reimport_s, again = timed(lambda: import_file(engine, path, actor="bench"))

    def scan() -> pd.DataFrame:
        with read_session(engine) as session:
            return note_duplicates(session=session)

    scan_s, pairs = timed(scan)
    found = {frozenset(p) for p in zip(pairs["a"], pairs["b"], strict=True)}  # type: ignore[index]
    queries = {
        "one word": {"text": "kalo"},
        "two words + tag": {"text": "mika sa", "tag": "sso"},
        "customer + dates": {
            "customer": "u00012",
            "date_from": dt.date(2026, 3, 1),
            "date_to": dt.date(2026, 5, 31),
        },
    }
    search_s = {}
    for name, query in queries.items():
        runs = []
        for _ in range(5):
            with read_session(engine) as session:
                seconds, _ = timed(lambda q=query, s=session: search_notes(session=s, **q))
            runs.append(seconds)
        search_s[name] = round(statistics.median(runs), 3)
    result = {
        "notes": args.notes,
        "import_s": round(import_s, 2),
        "imported": outcome.counts.created,  # type: ignore[attr-defined]
        "reimport_s": round(reimport_s, 2),
        "reimport_unchanged": again.counts.unchanged,  # type: ignore[attr-defined]
        "duplicate_scan_s": round(scan_s, 2),
        "pairs": len(found),
        "planted_pairs": len(planted),
        "planted_found": len(planted & found),
        "import_plus_scan_s": round(import_s + scan_s, 2),
        "search_median_s": search_s,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "insights.json").write_text(json.dumps(result, indent=2) + "\n")
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
