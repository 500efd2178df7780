#!/usr/bin/env python3
"""Cross-validated choice of the extract's ranking weights.

Runs `vigie eval --answers --extract-only` once per point of a small grid of weights
(lexical share, article rank), keeps every question's extract, then scores the grid by k-fold
cross-validation: for each fold, the weights that do best on the other folds are chosen and
measured on the fold left out. The mean over folds is what the weights are worth on questions
they were not chosen on; the best fit on all questions is printed beside it, never reported
as the result. Optional held-out files are scored with the weights chosen on all of the
development set, once, at the end.

    python3 scripts/tune_extract.py --vigie target/debug/vigie \
        --questions ../shared/eval/dev-questions.jsonl [--heldout other.jsonl] [--folds 5]
"""

import argparse
import itertools
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

LEXICAL = [0.0, 0.05, 0.1, 0.15, 0.25, 0.4]
ARTICLE = [0.0, 0.03, 0.06, 0.1, 0.2]


def run_grid(vigie, questions, lexical, article):
    """Per-question extract ids for one point of the grid."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as details:
        subprocess.run(
            [vigie, "eval", "--answers", "--extract-only", "--json",
             "--questions", questions, "--details", details.name,
             "--extract-weights", f"{lexical},{article}"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows = [json.loads(line) for line in Path(details.name).read_text().splitlines()]
    return {r["qid"]: (r["gold"], [p["id"] for p in r["extract"]]) for r in rows}


def score(results, qids):
    """(extract@3, extract@1) over the answerable questions among qids."""
    answerable = [q for q in qids if results[q][0]]
    if not answerable:
        return (0.0, 0.0)
    at = lambda k: sum(any(i in results[q][0] for i in results[q][1][:k]) for q in answerable)
    return (at(3) / len(answerable), at(1) / len(answerable))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vigie", default="target/debug/vigie")
    parser.add_argument("--questions", required=True)
    parser.add_argument("--heldout", action="append", default=[])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    grid = list(itertools.product(LEXICAL, ARTICLE))
    results = {}
    for i, point in enumerate(grid):
        results[point] = run_grid(args.vigie, args.questions, *point)
        print(f"[{i + 1}/{len(grid)}] {point}: {score(results[point], list(results[point]))}",
              file=sys.stderr)
    qids = sorted(next(iter(results.values())))
    random.Random(args.seed).shuffle(qids)
    folds = [qids[i::args.folds] for i in range(args.folds)]
    per_fold = []
    for i, test in enumerate(folds):
        train = [q for j, f in enumerate(folds) if j != i for q in f]
        chosen = max(grid, key=lambda p: score(results[p], train))
        per_fold.append({"fold": i, "chosen": chosen, "test": score(results[chosen], test)})
    mean3 = sum(f["test"][0] for f in per_fold) / len(per_fold)
    mean1 = sum(f["test"][1] for f in per_fold) / len(per_fold)
    best = max(grid, key=lambda p: score(results[p], qids))
    report = {
        "grid": {"lexical": LEXICAL, "article": ARTICLE},
        "folds": per_fold,
        "cross_validated": {"extract_at_3": round(mean3, 3), "extract_at_1": round(mean1, 3)},
        "chosen_on_all": {"weights": best, "score": score(results[best], qids)},
        "heldout": {},
    }
    for path in args.heldout:
        held = run_grid(args.vigie, path, *best)
        report["heldout"][path] = score(held, list(held))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
