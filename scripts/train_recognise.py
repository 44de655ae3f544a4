"""Train the toponym recognition model (`geomap.recognise`) on a gold corpus, with k-fold CV.

Every gazetteer match of the gold texts (`geomap.geoparse.candidates`) is a
training example, labelled a toponym when its span equals a gold span. The model
is an L2-regularised logistic regression fitted by Newton's method (numpy only),
with the probability threshold that gives the best F1 in cross-validation. The
corpus figures printed are k-fold cross-validated by article: each fold's
articles are geoparsed with a model (and a threshold, by an inner
cross-validation) fitted on the other folds only. The model fitted
on all articles is written to ``data/recognise.json``.

Run: .venv/bin/python scripts/train_recognise.py ../shared/eval/gwn.jsonl [--folds 5]
Only GeoWebNews (gwn.jsonl) is for training; LGL is for measuring.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from unittest import mock

import numpy as np

from geomap import recognise
from geomap.evaluate import format_table, load_gold, predict, score
from geomap.gazetteer import default_gazetteer
from geomap.geoparse import candidates

OUT = Path(__file__).resolve().parent.parent / "data" / "recognise.json"
L2 = 1.0
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def examples(docs, gazetteer) -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """Per document: feature rows and labels (1 = exact gold span) of its candidates, and
    its number of gold toponyms."""
    found = {}
    for doc in docs:
        gold = {(g.start, g.end) for g in doc.toponyms}
        pairs = candidates(doc.text, gazetteer)
        x = np.array([values for _, values in pairs]).reshape(len(pairs), len(recognise.FEATURES))
        y = np.array([float((m.start, m.end) in gold) for m, _ in pairs])
        found[doc.id] = (x, y, len(doc.toponyms))
    return found


def stacked(data, ids) -> tuple[np.ndarray, np.ndarray]:
    return np.vstack([data[i][0] for i in ids]), np.concatenate([data[i][1] for i in ids])


def best_threshold(data, ids, folds: int) -> float:
    """The threshold with the best F1 over ``ids``, from their out-of-fold probabilities."""
    split = [ids[k::folds] for k in range(folds)]
    probabilities, labels = [], []
    for k, held_out in enumerate(split):
        w = fit(*stacked(data, [i for f, fold in enumerate(split) if f != k for i in fold]))
        x, y = stacked(data, held_out)
        probabilities.append(1 / (1 + np.exp(-np.clip(x @ w, -30, 30))))
        labels.append(y)
    p, y = np.concatenate(probabilities), np.concatenate(labels)
    gold = sum(data[i][2] for i in ids)

    def f1(t: float) -> float:
        tp = float(((p >= t) & (y == 1)).sum())
        found = float((p >= t).sum())
        return 2 * tp / (found + gold) if found + gold else 0.0

    return max(THRESHOLDS, key=f1)


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 50) -> np.ndarray:
    """Logistic regression weights by Newton's method; the bias is not penalised."""
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x.T * (p * (1 - p))) @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def as_model(w: np.ndarray, threshold: float, trained_on: str, examples_count: int) -> dict:
    return {
        "about": "geomap toponym recognition: logistic regression over geomap.recognise.FEATURES; "
        "built by scripts/train_recognise.py",
        "trained_on": trained_on,
        "examples": examples_count,
        "l2": L2,
        "threshold": threshold,
        "weights": {
            name: round(float(v), 4) for name, v in zip(recognise.FEATURES, w, strict=True)
        },
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="only report the CV figures")
    args = parser.parse_args(argv)
    gazetteer = default_gazetteer()
    gold = load_gold(args.gold)
    data = examples(gold.values(), gazetteer)
    ids = sorted(gold)
    random.Random(0).shuffle(ids)
    folds = [ids[k :: args.folds] for k in range(args.folds)]
    predictions = {}
    for k, held_out in enumerate(folds):
        train = [i for f, fold in enumerate(folds) if f != k for i in fold]
        # The threshold too is chosen on the training folds only (inner cross-validation).
        threshold = best_threshold(data, train, args.folds - 1)
        w = tuple(float(v) for v in fit(*stacked(data, train)))
        with (
            mock.patch.object(recognise, "model_weights", return_value=w),
            mock.patch.object(recognise, "model_threshold", return_value=threshold),
        ):
            predictions.update(predict({i: gold[i] for i in held_out}, gazetteer))
        print(f"fold {k}: threshold {threshold}")
    cv = score(gold, predictions)
    print(format_table([(f"geomap ({args.folds}-fold CV)", cv)]))
    print(f"exact F1 {cv.exact.f1:.4f}, overlapping F1 {cv.overlapping.f1:.4f}")
    threshold = best_threshold(data, ids, args.folds)
    x, y = stacked(data, ids)
    w = fit(x, y)
    for name, v in zip(recognise.FEATURES, w, strict=True):
        print(f"{name:22} {v:+.3f}")
    print(f"threshold {threshold}")
    if not args.no_write:
        OUT.write_text(
            json.dumps(as_model(w, threshold, args.gold.name, len(y)), indent=1) + "\n",
            encoding="utf-8",
        )
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
