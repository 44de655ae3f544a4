"""Train the toponym recognition model (`geomap.recognise`) on a gold corpus, with k-fold CV.

Every gazetteer match of the gold texts (`geomap.geoparse.candidates`) is a
training example, labelled a toponym when its span equals a gold span. The model
is an L2-regularised logistic regression fitted by Newton's method (numpy only).
The corpus figures printed are k-fold cross-validated by article: each fold's
articles are geoparsed with a model fitted on the other folds. The model fitted
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


def examples(docs, gazetteer):
    """Feature rows and labels (1 = exact gold span) for every candidate of ``docs``."""
    rows, labels = [], []
    for doc in docs:
        gold = {(g.start, g.end) for g in doc.toponyms}
        for match, values in candidates(doc.text, gazetteer):
            rows.append(values)
            labels.append(float((match.start, match.end) in gold))
    return np.array(rows), np.array(labels)


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


def as_model(w: np.ndarray, trained_on: str, examples_count: int) -> dict:
    return {
        "about": "geomap toponym recognition: logistic regression over geomap.recognise.FEATURES; "
        "built by scripts/train_recognise.py",
        "trained_on": trained_on,
        "examples": examples_count,
        "l2": L2,
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
    ids = sorted(gold)
    random.Random(0).shuffle(ids)
    folds = [ids[k :: args.folds] for k in range(args.folds)]
    predictions = {}
    for k, held_out in enumerate(folds):
        train = [gold[i] for f, fold in enumerate(folds) if f != k for i in fold]
        w = tuple(float(v) for v in fit(*examples(train, gazetteer)))
        with mock.patch.object(recognise, "model_weights", return_value=w):
            predictions.update(predict({i: gold[i] for i in held_out}, gazetteer))
    cv = score(gold, predictions)
    print(format_table([(f"geomap ({args.folds}-fold CV)", cv)]))
    x, y = examples(gold.values(), gazetteer)
    w = fit(x, y)
    for name, v in zip(recognise.FEATURES, w, strict=True):
        print(f"{name:22} {v:+.3f}")
    if not args.no_write:
        model = as_model(w, args.gold.name, len(y))
        OUT.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
