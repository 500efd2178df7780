#!/usr/bin/env python3
"""Cross-validated choice of the confidence rule (how far down both retrieval lists the first
article may be and still be trusted).

Runs `vigie eval --answers --extract-only` once (no model), keeps every question's signals and
extract, then scores each threshold by k-fold cross-validation: for each fold the threshold
that does best on the other folds is chosen and measured on the fold left out. "Best" weighs a
confident wrong answer (high confidence, no gold article in the extract) twice as much as a
needless low-confidence one. The mean over the folds left out is what the rule is worth on
questions it was not chosen on; optional held-out files are scored once, at the end, with the
threshold chosen on the whole development set.

Several `--questions` files are pooled (the folds mix them): questions written by other hands
make the choice fit agents' language rather than one writer's.

    python3 scripts/tune_confidence.py --vigie target/debug/vigie \
        --questions ../shared/eval/dev-questions.jsonl [--questions more.jsonl] \
        [--heldout other.jsonl] [--folds 5]
"""

import argparse
import json
import random
import subprocess
import tempfile
from pathlib import Path

THRESHOLDS = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20]
# A confident wrong answer costs this many needless low-confidence ones.
WRONG_COST = 3


def signals(vigie, questions):
    """Per question: (gold, extract ids, signals)."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as details:
        subprocess.run(
            [vigie, "eval", "--answers", "--extract-only", "--json",
             "--questions", questions, "--details", details.name],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows = [json.loads(line) for line in Path(details.name).read_text().splitlines()]
    return {r["qid"]: (r["gold"], [p["id"] for p in r["extract"]], r["confidence_signals"])
            for r in rows}


def high(sig, k):
    """The engine's rule (answer/confidence.rs) with threshold k."""
    if sig["extract_passages"] == 0:
        return False
    if sig["named_article"] or sig.get("extract_from_document"):
        return True
    within = lambda r: r is not None and r <= k
    return within(sig["top_lexical_rank"]) and within(sig["top_vector_rank"])


def score(rows, qids, k):
    """(confident-wrong rate, low rate) over the answerable questions, unanswerable caught."""
    answerable = [q for q in qids if rows[q][0]]
    unanswerable = [q for q in qids if not rows[q][0]]
    wrong = sum(1 for q in answerable
                if high(rows[q][2], k) and not set(rows[q][0]) & set(rows[q][1]))
    low = sum(1 for q in answerable if not high(rows[q][2], k))
    caught = sum(1 for q in unanswerable if not high(rows[q][2], k))
    n = max(len(answerable), 1)
    return wrong / n, low / n, (caught / len(unanswerable) if unanswerable else 1.0)


def cost(rows, qids, k):
    wrong, low, _ = score(rows, qids, k)
    return WRONG_COST * wrong + low


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vigie", default="target/debug/vigie")
    parser.add_argument("--questions", action="append", required=True)
    parser.add_argument("--heldout", action="append", default=[])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rows = {}
    for i, questions in enumerate(args.questions):
        rows.update({f"{i}:{q}": r for q, r in signals(args.vigie, questions).items()})
    qids = sorted(rows)
    random.Random(args.seed).shuffle(qids)
    folds = [qids[i::args.folds] for i in range(args.folds)]
    measured = []
    for i, test in enumerate(folds):
        train = [q for j, f in enumerate(folds) if j != i for q in f]
        k = min(THRESHOLDS, key=lambda t: (cost(rows, train, t), t))
        wrong, low, caught = score(rows, test, k)
        measured.append((wrong, low, caught))
        print(f"fold {i + 1}: threshold {k} chosen; left out: confident-wrong {wrong:.3f}, "
              f"low {low:.3f}, unanswerable caught {caught:.3f}")
    mean = lambda i: sum(m[i] for m in measured) / len(measured)
    print(f"cross-validated: confident-wrong {mean(0):.3f}, low {mean(1):.3f}, "
          f"unanswerable caught {mean(2):.3f}")
    k = min(THRESHOLDS, key=lambda t: (cost(rows, qids, t), t))
    print(f"threshold chosen on all questions: {k}; fit, not a result:")
    for i, questions in enumerate(args.questions):
        part = [q for q in qids if q.startswith(f"{i}:")]
        wrong, low, caught = score(rows, part, k)
        print(f"  {questions}: confident-wrong {wrong:.3f}, low {low:.3f}, "
              f"unanswerable caught {caught:.3f}")
    for heldout in args.heldout:
        other = signals(args.vigie, heldout)
        wrong, low, caught = score(other, list(other), k)
        print(f"{heldout} with threshold {k}: confident-wrong {wrong:.3f}, low {low:.3f}, "
              f"unanswerable caught {caught:.3f}")


if __name__ == "__main__":
    main()
