"""The scorer, on tiny hand-made documents whose expected figures are worked out by hand."""

from __future__ import annotations

import json
import math

import pytest

from geomap.evaluate import (
    MAX_ERROR_KM,
    GoldDoc,
    GoldSpan,
    Span,
    auc,
    format_table,
    load_gold,
    load_predictions,
    score,
)
from geomap.exceptions import EvaluationError, GeomapError, InputNotFoundError

# geopy's great_circle uses a mean Earth radius of 6371.009 km: along a meridian,
# one degree of latitude is 6371.009 * pi / 180 = 111.195 km.
KM_PER_DEGREE = 6371.009 * math.pi / 180

TEXT = "Rain in New York and Paris today."
#       0123456789012345678901234567890123
NEW_YORK = GoldSpan(8, 16, "New York", 40.71, -74.01)
PARIS = GoldSpan(21, 26, "Paris", 48.85, 2.35)


def doc(*toponyms: GoldSpan, text: str = TEXT, doc_id: str = "a") -> dict[str, GoldDoc]:
    return {doc_id: GoldDoc(doc_id, text, tuple(toponyms))}


def north_of(span: Span, km: float) -> Span:
    """``span``'s offsets with coordinates ``km`` north of its gold point."""
    return Span(span.start, span.end, span.name, span.lat + km / KM_PER_DEGREE, span.lon)


def recognition(scores):
    """(TP, FP, FN) exact, then (TP, FP, FN) overlapping."""
    e, o = scores.exact, scores.overlapping
    return (
        (e.true_positives, e.false_positives, e.false_negatives),
        (o.true_positives, o.false_positives, o.false_negatives),
    )


# (gold spans, predicted spans, expected exact and overlapping (TP, FP, FN), why)
RECOGNITION_CASES = [
    (
        [NEW_YORK, PARIS],
        [Span(8, 16), Span(21, 26)],
        ((2, 0, 0), (2, 0, 0)),
        "both spans exact",
    ),
    (
        [NEW_YORK, PARIS],
        [Span(12, 16, "York"), Span(21, 26), Span(27, 32, "today")],
        ((1, 2, 1), (2, 1, 0)),
        "'York' overlaps 'New York' but is not exact; 'today' is nowhere in the gold",
    ),
    (
        [NEW_YORK],
        [Span(8, 11, "New"), Span(12, 16, "York")],
        ((0, 2, 1), (1, 1, 0)),
        "two predictions over one gold span: one match, one false positive",
    ),
    (
        [NEW_YORK],
        [Span(8, 16), Span(8, 16)],
        ((1, 1, 0), (1, 1, 0)),
        "the same span predicted twice matches once",
    ),
    (
        [NEW_YORK, PARIS],
        [Span(14, 23), Span(15, 16)],
        ((0, 2, 2), (2, 0, 0)),
        "largest matching: 'rk and Pa' gives way to 'k', which only overlaps New York",
    ),
    (
        [NEW_YORK, PARIS],
        [],
        ((0, 0, 2), (0, 0, 2)),
        "nothing predicted",
    ),
    (
        [],
        [Span(21, 26)],
        ((0, 1, 0), (0, 1, 0)),
        "a prediction where the gold has none",
    ),
]


@pytest.mark.parametrize(("gold", "predicted", "expected", "why"), RECOGNITION_CASES)
def test_recognition_counts(gold, predicted, expected, why):
    assert recognition(score(doc(*gold), {"a": predicted})) == expected, why


def test_precision_recall_f1():
    predicted = [Span(12, 16, "York"), Span(21, 26), Span(27, 32, "today")]
    scores = score(doc(NEW_YORK, PARIS), {"a": predicted})
    # exact: 1 of 3 predictions right, 1 of 2 gold found; F1 = 2 * 1/3 * 1/2 / (1/3 + 1/2) = 0.4
    assert scores.exact.precision == pytest.approx(1 / 3)
    assert scores.exact.recall == pytest.approx(1 / 2)
    assert scores.exact.f1 == pytest.approx(0.4)
    # overlapping: 2 of 3 right, 2 of 2 found; F1 = 2 * 2/3 * 1 / (2/3 + 1) = 0.8
    assert scores.overlapping.precision == pytest.approx(2 / 3)
    assert scores.overlapping.recall == 1
    assert scores.overlapping.f1 == pytest.approx(0.8)


def test_empty_counts_give_zero_not_an_error():
    scores = score(doc(), {"a": []})
    assert (scores.exact.precision, scores.exact.recall, scores.exact.f1) == (0, 0, 0)


def test_resolution_100_and_200_km_off():
    predicted = [north_of(NEW_YORK, 100), north_of(PARIS, 200)]
    resolution = score(doc(NEW_YORK, PARIS), {"a": predicted}).resolution
    assert resolution.errors_km == pytest.approx((100, 200))
    assert resolution.accuracy_161 == 0.5  # 100 km is within 161 km, 200 km is not
    assert resolution.median_km == pytest.approx(150)
    assert resolution.mean_km == pytest.approx(150)
    assert (resolution.n, resolution.resolved, resolution.unresolved) == (2, 2, 0)


def test_median_and_mean_differ_on_a_skewed_sample():
    gold = [GoldSpan(i, i + 1, "x", 0.0, 0.0) for i in range(3)]
    predicted = [north_of(g, km) for g, km in zip(gold, (10, 20, 90), strict=True)]
    resolution = score(doc(*gold, text="abc"), {"a": predicted}).resolution
    assert resolution.median_km == pytest.approx(20)
    assert resolution.mean_km == pytest.approx(40)


def test_only_exact_matches_are_resolved():
    predicted = [Span(12, 16, "York", 40.71, -74.01), north_of(PARIS, 0)]
    resolution = score(doc(NEW_YORK, PARIS), {"a": predicted}).resolution
    assert resolution.n == 1  # 'York' overlaps but is not exact, so its coordinates are not scored


def test_gold_without_coordinates_is_not_resolved():
    nowhere = GoldSpan(8, 16, "New York")
    resolution = score(doc(nowhere, PARIS), {"a": [Span(8, 16, "", 1.0, 1.0), PARIS]}).resolution
    assert resolution.n == 1
    assert resolution.errors_km == (0.0,)


def test_missing_predicted_coordinates_count_as_wrong():
    predicted = [Span(8, 16, "New York"), north_of(PARIS, 0)]  # New York left unresolved
    resolution = score(doc(NEW_YORK, PARIS), {"a": predicted}).resolution
    assert (resolution.n, resolution.resolved, resolution.unresolved) == (2, 1, 1)
    assert resolution.errors_km == (0.0, MAX_ERROR_KM)
    assert resolution.accuracy_161 == 0.5
    assert resolution.auc == pytest.approx(0.5)  # heights 0 and 1: one trapezoid of mean 0.5


def test_a_system_without_any_coordinates_has_no_resolution():
    scores = score(doc(NEW_YORK, PARIS), {"a": [Span(8, 16), Span(21, 26)]})
    assert scores.resolution is None
    row = format_table([("ner", scores)]).splitlines()[-1]
    assert row.split()[7:] == ["-"] * 5


# (errors in km, expected AUC, why)
AUC_CASES = [
    ([0, 0, 0], 0.0, "all exact: no area"),
    ([MAX_ERROR_KM], 1.0, "one worst error: its own height"),
    ([0, math.sqrt(MAX_ERROR_KM) - 1], 0.25, "log(1 + e) is half of log(20039): (0 + 1/2) / 2"),
    ([0, 0, MAX_ERROR_KM], 0.25, "heights 0, 0, 1 over ranks 0, 1/2, 1: (0 + 1/2) / 2"),
    ([MAX_ERROR_KM, 0, 0], 0.25, "the errors are sorted first"),
]


@pytest.mark.parametrize(("errors", "expected", "why"), AUC_CASES)
def test_auc(errors, expected, why):
    assert auc(errors) == pytest.approx(expected), why


def test_auc_is_the_normalised_trapezoid_of_log_errors():
    errors = [1.0, 5.0, 40.0, 161.0, 900.0, 7000.0]
    heights = [math.log(1 + e) / math.log(20039) for e in errors]
    dx = 1 / (len(errors) - 1)
    expected = sum((a + b) / 2 * dx for a, b in zip(heights, heights[1:], strict=False))
    assert auc(errors) == pytest.approx(expected)


def test_auc_of_perfect_resolution_is_zero():
    resolution = score(doc(NEW_YORK, PARIS), {"a": [NEW_YORK, PARIS]}).resolution
    assert resolution.auc == 0
    assert resolution.accuracy_161 == 1


def test_auc_needs_errors():
    with pytest.raises(EvaluationError, match="at least one"):
        auc([])


LITERAL = GoldSpan(8, 16, "New York", 40.71, -74.01, kind="Literal")
DEMONYM = GoldSpan(21, 26, "Paris", 48.85, 2.35, kind="Demonym")


def test_kinds_keep_only_those_gold_spans():
    predicted = [Span(8, 16), Span(21, 26), Span(27, 32, "today")]
    scores = score(doc(LITERAL, DEMONYM), {"a": predicted}, kinds={"Literal"})
    # New York found; Paris is a Demonym, left out and not held against the system;
    # 'today' overlaps no gold span: a false positive.
    assert recognition(scores) == ((1, 1, 0), (1, 1, 0))


def test_kinds_a_missed_left_out_span_is_not_a_false_negative():
    scores = score(doc(LITERAL, DEMONYM), {"a": [Span(8, 16)]}, kinds=["Demonym"])
    assert recognition(scores) == ((0, 0, 1), (0, 0, 1))  # New York found but not counted


def test_all_kinds_equal_no_kinds():
    predicted = [Span(8, 12), Span(21, 26), Span(27, 32)]
    gold = doc(LITERAL, DEMONYM)
    assert score(gold, {"a": predicted}, kinds=["Literal", "Demonym"]) == score(
        gold, {"a": predicted}
    )


def test_unknown_kind_lists_the_kinds_present():
    with pytest.raises(EvaluationError, match=r"\['Literl'\].*Demonym, Literal"):
        score(doc(LITERAL, DEMONYM), {"a": []}, kinds=["Literl"])


def test_mismatched_ids_are_an_error_unless_not_strict():
    gold = {**doc(NEW_YORK, doc_id="a"), **doc(PARIS, doc_id="b")}
    predictions = {"a": [Span(8, 16)], "zz": [Span(0, 4)]}
    with pytest.raises(EvaluationError, match=r"'b'.*'zz'.*strict=False"):
        score(gold, predictions)
    scores = score(gold, predictions, strict=False)
    assert recognition(scores)[0] == (1, 0, 1)  # b counts as predicted empty; zz is ignored
    assert scores.documents == 2


# Loading files


def lines(*records) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def test_load_gold_and_predictions(write):
    gold_path = write(
        "gold.jsonl",
        lines(
            {
                "id": "a",
                "corpus": "test",
                "text": TEXT,
                "toponyms": [
                    {"start": 21, "end": 26, "name": "Paris", "lat": 48.85, "lon": 2.35,
                     "geonameid": 2988507, "kind": "Literal"},
                    {"start": 8, "end": 16, "name": "New York", "lat": None, "lon": None,
                     "geonameid": None, "kind": None},
                ],
            }
        ),
    )  # fmt: skip
    predicted_path = write(
        "pred.jsonl",
        lines(
            {
                "id": "a",
                "toponyms": [
                    {"start": 21, "end": 26, "name": "paris", "lat": 48.85, "lon": 2.35,
                     "raw_start": 20, "gazetteer_name": "Paris"},
                    {"start": 8, "end": 16, "name": "New York", "lat": None, "lon": None},
                ],
            }
        )
        + "\n",  # a blank line is skipped
    )  # fmt: skip
    gold = load_gold(gold_path)
    assert gold["a"].toponyms == (
        GoldSpan(8, 16, "New York"),
        GoldSpan(21, 26, "Paris", 48.85, 2.35, 2988507, "Literal"),
    )
    assert load_predictions(predicted_path) == {
        "a": [Span(8, 16, "New York"), Span(21, 26, "paris", 48.85, 2.35)]
    }


# (file content, loader, error message pattern, why)
BAD_FILES = [
    (
        lines({"id": "a", "toponyms": []}) + '{"id": "b", "toponyms": [\n',
        load_predictions,
        r"bad\.jsonl, line 2: not valid JSON",
        "truncated JSON",
    ),
    (
        lines({"id": "a", "toponyms": []}, [1, 2]),
        load_predictions,
        r"line 2: expected a JSON object, got list",
        "a line that is not an object",
    ),
    (
        lines({"id": "a", "toponyms": [{"end": 4}]}),
        load_predictions,
        r"line 1, toponym 0: missing key 'start' \(keys given: end\)",
        "a span without start",
    ),
    (
        lines({"toponyms": []}),
        load_predictions,
        r"line 1: missing key 'id'",
        "a document without id",
    ),
    (
        lines({"id": "a", "toponyms": [{"start": "3", "end": 4}]}),
        load_predictions,
        r"line 1, toponym 0: 'start' must be int, got '3'",
        "offsets must be integers",
    ),
    (
        lines({"id": "a", "toponyms": [{"start": 4, "end": 4}]}),
        load_predictions,
        r"0 <= start < end",
        "an empty span",
    ),
    (
        lines({"id": "a", "toponyms": [{"start": 0, "end": 4, "lat": 10.0, "lon": None}]}),
        load_predictions,
        r"both be numbers or null",
        "lat without lon",
    ),
    (
        lines({"id": "a", "toponyms": [{"start": 0, "end": 4, "lat": 100.0, "lon": 10.0}]}),
        load_predictions,
        r"out of range",
        "latitude beyond the pole",
    ),
    (
        lines({"id": "a", "toponyms": []}, {"id": "a", "toponyms": []}),
        load_predictions,
        r"line 2: id 'a' already given on line 1",
        "a repeated id",
    ),
    (
        lines({"id": "a", "toponyms": []}),
        load_gold,
        r"line 1: missing key 'text'",
        "gold needs the text",
    ),
    (
        lines({"id": "a", "text": "Paris", "toponyms": [{"start": 0, "end": 9}]}),
        load_gold,
        r"line 1, toponym 0: end 9 is past the end of the text \(5 characters\)",
        "a gold span must lie in its text",
    ),
    (
        b'{"id": "a", "toponyms": []}\n{"id": "\xff"}\n',
        load_predictions,
        r"line 2: not valid JSON",
        "bytes that are not UTF-8",
    ),
]


@pytest.mark.parametrize(("content", "loader", "message", "why"), BAD_FILES)
def test_malformed_files_name_the_line(write, content, loader, message, why):
    path = write("bad.jsonl", content)
    with pytest.raises(EvaluationError, match=message) as caught:
        loader(path)
    assert str(path) in str(caught.value), why
    assert isinstance(caught.value, GeomapError) and isinstance(caught.value, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(InputNotFoundError, match="nope.jsonl"):
        load_gold(tmp_path / "nope.jsonl")


def test_format_table_has_a_row_per_system():
    gold = doc(NEW_YORK, PARIS)
    table = format_table(
        [
            ("resolver", score(gold, {"a": [north_of(NEW_YORK, 100), Span(21, 26)]})),
            ("a-long-system-name", score(gold, {"a": [Span(8, 16)]})),
        ]
    )
    header, first, second = table.splitlines()[1], table.splitlines()[3], table.splitlines()[4]
    assert header.split() == [
        "system", "P", "R", "F1", "P", "R", "F1",
        "Acc@161", "median", "km", "mean", "km", "AUC", "resolved/n",
    ]  # fmt: skip
    # resolver: 2 of 2 exact; New York 100 km off, Paris unresolved (20039 km)
    assert first.split() == [
        "resolver", "1.000", "1.000", "1.000", "1.000", "1.000", "1.000",
        "0.500", "10069.5", "10069.5", f"{auc([100, MAX_ERROR_KM]):.3f}", "1/2",
    ]  # fmt: skip
    assert second.split()[0] == "a-long-system-name"
    assert second.split()[7:] == ["-"] * 5
    assert len({len(line) for line in table.splitlines()[1:]}) == 1  # fixed width
