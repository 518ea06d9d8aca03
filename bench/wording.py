"""The wording check measured: per-category precision and recall, false warnings on good texts, and latency.

.venv/bin/python -m bench.wording            # every split: tuning and held-out
.venv/bin/python -m bench.wording --tuning   # the tuning splits only (while developing: never tune on held-out)

independent_a and independent_b were written by two other authors who never saw the rules; a was tuned on after its
first score, b never was.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bot.incidents.wording import CATEGORIES, findings
from bot.playbook import Wording

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "wording"


@dataclass(frozen=True)
class Labelled:
    """One corpus line: the categories a reader expects, whether it is a resolution, and the text."""

    labels: frozenset[str]
    resolution: bool
    text: str


def load(name: str) -> list[Labelled]:
    """The labelled texts of one split (`corpus` or `heldout`)."""
    rows: list[Labelled] = []
    for line in (DATA / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        labels, kind, text = line.split("\t")
        wanted = frozenset() if labels == "good" else frozenset(labels.split(","))
        rows.append(Labelled(labels=wanted, resolution=kind == "r", text=text))
    return rows


def found(row: Labelled, wording: Wording) -> set[str]:
    """The categories the check warns about for one text."""
    return findings(row.text, wording, is_resolution=row.resolution).categories


@dataclass(frozen=True)
class Scores:
    """Precision and recall per category, and the share of good texts that drew any warning."""

    precision: dict[str, float]
    recall: dict[str, float]
    false_warnings: int
    good: int
    misses: list[tuple[str, Labelled, set[str]]]


def score(rows: list[Labelled], wording: Wording) -> Scores:
    """Scores the check against the labels."""
    precision: dict[str, float] = {}
    recall: dict[str, float] = {}
    results = [(row, found(row, wording)) for row in rows]
    misses = [(c, row, got) for row, got in results for c in CATEGORIES if (c in row.labels) != (c in got)]
    for category in CATEGORIES:
        hits = sum(1 for row, got in results if category in got and category in row.labels)
        said = sum(1 for _, got in results if category in got)
        wanted = sum(1 for row, _ in results if category in row.labels)
        precision[category] = hits / said if said else 1.0
        recall[category] = hits / wanted if wanted else 1.0
    good = [got for row, got in results if not row.labels]
    return Scores(precision, recall, sum(1 for got in good if got), len(good), misses)


def latency(rows: list[Labelled], wording: Wording, *, rounds: int = 20) -> tuple[float, float]:
    """p50 and p95 of one check, in milliseconds, over every text `rounds` times."""
    times: list[float] = []
    for _ in range(rounds):
        for row in rows:
            start = time.perf_counter()
            findings(row.text, wording, is_resolution=row.resolution)
            times.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(times, n=100)
    return cuts[49], cuts[94]


def report(name: str, scores: Scores, *, show_misses: bool) -> None:
    """Prints one split's scores."""
    print(f"\n{name}: {sum(1 for _ in scores.recall)} categories")
    print(f"  {'category':<12} precision  recall")
    for category in CATEGORIES:
        print(f"  {category:<12} {scores.precision[category]:>9.2f}  {scores.recall[category]:>6.2f}")
    rate = scores.false_warnings / scores.good if scores.good else 0.0
    print(f"  false warnings: {scores.false_warnings} of {scores.good} good texts ({rate:.1%}; {rate * 12:.2f} in 12)")
    if show_misses:
        for category, row, got in scores.misses:
            expected = "missed" if category in row.labels else "extra"
            print(f"    {expected:<6} {category:<11} {sorted(got)!s:<28} {row.text}")


def main() -> None:
    """Scores the splits and times the check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuning", action="store_true", help="the tuning split only")
    parser.add_argument("--misses", action="store_true", help="list every text scored wrong")
    args = parser.parse_args()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wording = Wording()
    splits = ["corpus", "independent_a"] if args.tuning else ["corpus", "independent_a", "heldout", "independent_b"]
    splits = [name for name in splits if (DATA / f"{name}.tsv").exists()]
    everything: list[Labelled] = []
    for name in splits:
        rows = load(name)
        everything += rows
        report(f"{name} ({len(rows)} texts)", score(rows, wording), show_misses=args.misses)
    p50, p95 = latency(everything, wording)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"\nlatency over {len(everything)} texts x 20: p50 {p50:.3f} ms, p95 {p95:.3f} ms; memory +{grown:.1f} MB")


if __name__ == "__main__":
    main()
