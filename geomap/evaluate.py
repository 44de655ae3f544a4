"""Scoring a geoparser against gold toponyms: recognition and resolution, as in the literature.

Gold and predictions are JSON Lines files, one document a line::

    gold:        {"id", "text", "toponyms": [{"start", "end", "name", "lat", "lon",
                                              "geonameid", "kind"}, …]}
    predictions: {"id", "toponyms": [{"start", "end", "name", "lat", "lon"}, …]}

Offsets are Python character offsets into the gold ``text``, end exclusive;
``lat``/``lon`` may be null; other keys are ignored. Only ``id``, ``text``,
``toponyms``, ``start`` and ``end`` are required.

Recognition is scored twice. *Exact*: a predicted span is right when its offsets
equal a gold span's. *Overlapping*: it is right when it shares at least one
character with a gold span. Either way each gold and each predicted span is used
at most once: the matching is the largest one-to-one matching between predicted
and gold spans (found with augmenting paths, predictions taken in text order,
each trying the gold spans in text order), so two predictions over one gold span
give one true and one false positive, whatever their order.

Resolution is scored on the exact matches whose gold span has coordinates, with
the metrics of Gritta et al. 2018, "What's missing in geoparsing?": accuracy
within 161 km (100 miles), median and mean great-circle error, and the AUC of
the error curve (see `auc`). A matched toponym the system left without
coordinates gets the largest error, `MAX_ERROR_KM`, so it counts as wrong: a
system that does not resolve must not look accurate. A system that gives no
coordinates at all is recognition-only; its resolution is None, shown as "-".

``kinds`` (GWN's toponym types) restricts the gold spans scored. A prediction
left unmatched is a false positive, unless it overlaps a gold span of a kind
left out: the system found something the gold marks as a toponym of another
kind, which is neither right nor wrong for this subset, so it is not counted.
With every kind given, the scores equal those without ``kinds``.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from geopy.distance import great_circle

from geomap.articles import Article
from geomap.exceptions import EvaluationError, InputNotFoundError
from geomap.gazetteer import Gazetteer, default_gazetteer
from geomap.geoparse import geoparse

ACCURACY_KM = 161.0
"""An error within this distance (100 miles) counts as a correct resolution."""

MAX_ERROR_KM = 20039.0
"""Half the Earth's circumference, the largest error; given to toponyms left unresolved."""


@dataclass(frozen=True)
class Span:
    """A toponym's place in a text (``start``/``end`` character offsets) and its coordinates."""

    start: int
    end: int
    name: str = ""
    lat: float | None = None
    lon: float | None = None

    @property
    def point(self) -> tuple[float, float] | None:
        """``(lat, lon)``, or None when the span has no coordinates."""
        return None if self.lat is None or self.lon is None else (self.lat, self.lon)


@dataclass(frozen=True)
class GoldSpan(Span):
    """A gold toponym: a `Span` with its GeoNames id and, on GWN, its type (``kind``)."""

    geonameid: int | None = None
    kind: str | None = None


@dataclass(frozen=True)
class GoldDoc:
    """One gold document: its text and its toponyms in text order."""

    id: str
    text: str
    toponyms: tuple[GoldSpan, ...]


@dataclass(frozen=True)
class Recognition:
    """Counts of a span matching, and the precision, recall and F1 they give (0 when undefined)."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        gold = self.true_positives + self.false_negatives
        return self.true_positives / gold if gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Resolution:
    """Errors in km of the resolved toponyms, sorted; ``unresolved`` of them are `MAX_ERROR_KM`.

    The statistics are None when no toponym could be scored.
    """

    errors_km: tuple[float, ...]
    unresolved: int

    @property
    def n(self) -> int:
        """How many toponyms were scored (exact matches whose gold span has coordinates)."""
        return len(self.errors_km)

    @property
    def resolved(self) -> int:
        """How many of those the system gave coordinates."""
        return self.n - self.unresolved

    @property
    def accuracy_161(self) -> float | None:
        if not self.errors_km:
            return None
        return sum(e <= ACCURACY_KM for e in self.errors_km) / self.n

    @property
    def median_km(self) -> float | None:
        return statistics.median(self.errors_km) if self.errors_km else None

    @property
    def mean_km(self) -> float | None:
        return statistics.fmean(self.errors_km) if self.errors_km else None

    @property
    def auc(self) -> float | None:
        return auc(self.errors_km) if self.errors_km else None


@dataclass(frozen=True)
class Scores:
    """Recognition (exact and overlapping matches) and resolution of one system on one corpus."""

    documents: int
    exact: Recognition
    overlapping: Recognition
    resolution: Resolution | None


def load_gold(path: str | Path) -> dict[str, GoldDoc]:
    """Read a gold file into ``{id: GoldDoc}``.

    Raises `EvaluationError` naming the file and line for bad JSON, a missing or
    mistyped key, a span outside the text or a repeated id.
    """
    docs: dict[str, GoldDoc] = {}
    lines: dict[str, int] = {}
    for where, number, record in _records(path):
        doc_id = _id(record, where)
        text = _field(record, "text", str, where)
        spans = []
        for raw, at in _toponyms(record, where):
            start, end, name, lat, lon = _span_fields(raw, at)
            if end > len(text):
                raise EvaluationError(
                    f"{at}: end {end} is past the end of the text ({len(text)} characters)"
                )
            geonameid = _optional(raw, "geonameid", int, at)
            kind = _optional(raw, "kind", str, at)
            spans.append(GoldSpan(start, end, name, lat, lon, geonameid, kind))
        if doc_id in docs:
            raise EvaluationError(f"{where}: id {doc_id!r} already given on line {lines[doc_id]}")
        lines[doc_id] = number
        docs[doc_id] = GoldDoc(doc_id, text, tuple(sorted(spans, key=_position)))
    return docs


def load_predictions(path: str | Path) -> dict[str, list[Span]]:
    """Read a prediction file into ``{id: [Span, …]}`` (spans in text order).

    Raises `EvaluationError` naming the file and line for bad JSON, a missing or
    mistyped key or a repeated id.
    """
    predictions: dict[str, list[Span]] = {}
    lines: dict[str, int] = {}
    for where, number, record in _records(path):
        doc_id = _id(record, where)
        spans = [Span(*_span_fields(raw, at)) for raw, at in _toponyms(record, where)]
        if doc_id in predictions:
            raise EvaluationError(f"{where}: id {doc_id!r} already given on line {lines[doc_id]}")
        lines[doc_id] = number
        predictions[doc_id] = sorted(spans, key=_position)
    return predictions


def predict(
    gold: Mapping[str, GoldDoc], gazetteer: Gazetteer | None = None
) -> dict[str, list[Span]]:
    """geomap's own predictions for the gold texts: every mention `geoparse` finds."""
    gazetteer = gazetteer or default_gazetteer()
    predictions = {}
    for doc_id, doc in gold.items():
        article = Article(doc_id, None, "", doc.text, "", Path(doc_id))
        predictions[doc_id] = [
            Span(m.start, m.end, m.text, m.place.lat, m.place.lon)
            for m in geoparse(article, gazetteer)
        ]
    return predictions


def score(
    gold: Mapping[str, GoldDoc],
    predictions: Mapping[str, Sequence[Span]],
    *,
    kinds: Collection[str] | None = None,
    strict: bool = True,
) -> Scores:
    """Score ``predictions`` against ``gold`` (see the module docstring for the definitions).

    With ``strict`` (the default) both must hold the same document ids, else
    `EvaluationError`; with ``strict=False`` a gold document without predictions
    counts as predicted empty and predictions for unknown ids are ignored.
    ``kinds`` keeps only the gold spans of those kinds; naming a kind the gold
    does not hold is an `EvaluationError`.
    """
    _check_ids(gold, predictions, strict)
    if kinds is not None:
        kinds = _check_kinds(gold, kinds)
    exact = [0, 0, 0]
    overlapping = [0, 0, 0]
    errors: list[float] = []
    unresolved = 0
    any_point = False
    for doc_id, doc in gold.items():
        predicted = sorted(predictions.get(doc_id, ()), key=_position)
        any_point = any_point or any(p.point for p in predicted)
        kept = [g for g in doc.toponyms if kinds is None or g.kind in kinds]
        left_out = [g for g in doc.toponyms if kinds is not None and g.kind not in kinds]
        ignored = {i for i, p in enumerate(predicted) if any(_overlap(p, g) for g in left_out)}
        exact_pairs = _match_exact(kept, predicted)
        _add(exact, exact_pairs, kept, predicted, ignored)
        _add(overlapping, _match_overlapping(kept, predicted), kept, predicted, ignored)
        for g, p in exact_pairs:
            gold_point, point = kept[g].point, predicted[p].point
            if gold_point is None:
                continue
            if point is None:
                unresolved += 1
                errors.append(MAX_ERROR_KM)
            else:
                errors.append(great_circle(gold_point, point).km)
    resolution = Resolution(tuple(sorted(errors)), unresolved) if any_point else None
    return Scores(len(gold), Recognition(*exact), Recognition(*overlapping), resolution)


def auc(errors_km: Sequence[float]) -> float:
    """Area under the curve of log errors, normalised: 0 when all are exact, 1 when all are worst.

    As in Gritta et al. 2018: sort the errors, take ``log(1 + e) / log(MAX_ERROR_KM)``
    of each (capped at 1, so an unresolved toponym scores exactly 1) and integrate
    over ranks spread evenly on [0, 1] with the trapezoidal rule. One error gives
    its own value.
    """
    if not errors_km:
        raise EvaluationError("auc needs at least one error, got none")
    top = math.log(MAX_ERROR_KM)
    heights = [min(math.log1p(e) / top, 1.0) for e in sorted(errors_km)]
    if len(heights) == 1:
        return heights[0]
    area = sum((a + b) / 2 for a, b in zip(heights, heights[1:], strict=False))
    return area / (len(heights) - 1)


def format_table(rows: Sequence[tuple[str, Scores]]) -> str:
    """One fixed-width table, a row per system; "-" where a figure does not apply."""
    widths = (6, 6, 6, 6, 6, 6, 8, 10, 9, 6, 12)
    titles = ("P", "R", "F1", "P", "R", "F1", "Acc@161", "median km", "mean km", "AUC")
    name_width = max([len("system"), *(len(name) for name, _ in rows)])
    groups = " " * name_width + "".join(
        " " + f"{label:-^{sum(w + 1 for w in widths[a:b]) - 1}}"
        for label, a, b in ((" exact ", 0, 3), (" overlapping ", 3, 6), (" resolution ", 6, 11))
    )
    header = f"{'system':<{name_width}}" + "".join(
        f" {t:>{w}}" for t, w in zip((*titles, "resolved/n"), widths, strict=True)
    )
    lines = [groups, header, "-" * len(header)]
    for name, scores in rows:
        cells = [_recognition_cells(scores.exact), _recognition_cells(scores.overlapping)]
        cells.append(_resolution_cells(scores.resolution))
        flat = [cell for group in cells for cell in group]
        lines.append(
            f"{name:<{name_width}}"
            + "".join(f" {c:>{w}}" for c, w in zip(flat, widths, strict=True))
        )
    return "\n".join(lines)


def _recognition_cells(recognition: Recognition) -> list[str]:
    return [f"{v:.3f}" for v in (recognition.precision, recognition.recall, recognition.f1)]


def _resolution_cells(resolution: Resolution | None) -> list[str]:
    if resolution is None or resolution.n == 0:
        return ["-"] * 4 + [f"0/{resolution.n}" if resolution else "-"]
    return [
        f"{resolution.accuracy_161:.3f}",
        f"{resolution.median_km:.1f}",
        f"{resolution.mean_km:.1f}",
        f"{resolution.auc:.3f}",
        f"{resolution.resolved}/{resolution.n}",
    ]


def _position(span: Span) -> tuple[int, int]:
    return span.start, span.end


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _match_exact(gold: Sequence[Span], predicted: Sequence[Span]) -> list[tuple[int, int]]:
    """(gold index, predicted index) pairs with equal offsets, each span used at most once."""
    free: dict[tuple[int, int], list[int]] = {}
    for g, span in enumerate(gold):
        free.setdefault(_position(span), []).append(g)
    pairs = []
    for p, span in enumerate(predicted):
        waiting = free.get(_position(span))
        if waiting:
            pairs.append((waiting.pop(0), p))
    return pairs


def _match_overlapping(gold: Sequence[Span], predicted: Sequence[Span]) -> list[tuple[int, int]]:
    """The largest one-to-one matching of overlapping spans (Kuhn's augmenting paths)."""
    candidates = [[g for g, span in enumerate(gold) if _overlap(span, p)] for p in predicted]
    owner: dict[int, int] = {}

    def claim(p: int, seen: set[int]) -> bool:
        for g in candidates[p]:
            if g not in seen:
                seen.add(g)
                if g not in owner or claim(owner[g], seen):
                    owner[g] = p
                    return True
        return False

    for p in range(len(predicted)):
        claim(p, set())
    return sorted(owner.items())


def _add(
    counts: list[int],
    pairs: list[tuple[int, int]],
    gold: Sequence[Span],
    predicted: Sequence[Span],
    ignored: set[int],
) -> None:
    matched = {p for _, p in pairs}
    counts[0] += len(pairs)
    counts[1] += sum(1 for p in range(len(predicted)) if p not in matched and p not in ignored)
    counts[2] += len(gold) - len(pairs)


def _check_ids(gold: Mapping, predictions: Mapping, strict: bool) -> None:
    if not strict:
        return
    missing = sorted(set(gold) - set(predictions))
    unknown = sorted(set(predictions) - set(gold))
    problems = []
    if missing:
        problems.append(f"{len(missing)} gold document(s) have no predictions ({_few(missing)})")
    if unknown:
        problems.append(
            f"{len(unknown)} predicted document(s) are not in the gold ({_few(unknown)})"
        )
    if problems:
        raise EvaluationError(
            "; ".join(problems) + ": give predictions of the same documents, or count the "
            "missing ones as empty (geomap eval --partial; score(strict=False))"
        )


def _check_kinds(gold: Mapping[str, GoldDoc], kinds: Collection[str]) -> frozenset[str]:
    if isinstance(kinds, str):
        kinds = [kinds]
    present = {g.kind for doc in gold.values() for g in doc.toponyms if g.kind is not None}
    unknown = sorted(set(kinds) - present)
    if unknown:
        allowed = ", ".join(sorted(present)) if present else "none: this gold has no kinds"
        raise EvaluationError(f"kinds {unknown} not in the gold; its kinds are {allowed}")
    return frozenset(kinds)


def _few(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:3])
    return shown + (", …" if len(ids) > 3 else "")


def _records(path: str | Path) -> Iterator[tuple[str, int, dict]]:
    """``(where, line number, object)`` for each non-blank line of a JSON Lines file."""
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"evaluation file {str(path)!r} does not exist")
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            record = json.loads(line)
        except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
            raise EvaluationError(f"{where}: not valid JSON ({err})") from err
        if not isinstance(record, dict):
            raise EvaluationError(f"{where}: expected a JSON object, got {type(record).__name__}")
        yield where, number, record


def _id(record: dict, where: str) -> str:
    return str(_field(record, "id", (str, int), where))


def _toponyms(record: dict, where: str) -> Iterator[tuple[dict, str]]:
    toponyms = _field(record, "toponyms", list, where)
    for i, raw in enumerate(toponyms):
        at = f"{where}, toponym {i}"
        if not isinstance(raw, dict):
            raise EvaluationError(f"{at}: expected a JSON object, got {type(raw).__name__}")
        yield raw, at


def _span_fields(raw: dict, at: str) -> tuple[int, int, str, float | None, float | None]:
    start = _field(raw, "start", int, at)
    end = _field(raw, "end", int, at)
    if not 0 <= start < end:
        raise EvaluationError(f"{at}: start {start} and end {end} must satisfy 0 <= start < end")
    name = _optional(raw, "name", str, at) or ""
    lat = _optional(raw, "lat", (int, float), at)
    lon = _optional(raw, "lon", (int, float), at)
    if (lat is None) != (lon is None):
        raise EvaluationError(f"{at}: lat {lat!r} and lon {lon!r} must both be numbers or null")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise EvaluationError(f"{at}: lat {lat!r}, lon {lon!r} out of range (±90, ±180)")
    return start, end, name, lat, lon


def _field(record: dict, key: str, types: type | tuple[type, ...], where: str):
    if key not in record:
        keys = ", ".join(sorted(record)) or "none"
        raise EvaluationError(f"{where}: missing key {key!r} (keys given: {keys})")
    return _typed(record[key], key, types, where)


def _optional(record: dict, key: str, types: type | tuple[type, ...], where: str):
    value = record.get(key)
    return None if value is None else _typed(value, key, types, where)


def _typed(value, key: str, types: type | tuple[type, ...], where: str):
    if isinstance(value, bool) or not isinstance(value, types):
        wanted = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        raise EvaluationError(f"{where}: {key!r} must be {wanted}, got {value!r}")
    return value
