import json
import math
import sys
from importlib import metadata

import pytest

from geomap import recognise
from geomap.datafiles import data_file


def test_shipped_model_has_a_weight_for_every_feature():
    model = json.loads(data_file("recognise.json").read_text(encoding="utf-8"))
    assert set(model["weights"]) == set(recognise.FEATURES)
    assert 0 < recognise.model_threshold() < 1
    assert len(recognise.model_weights()) == len(recognise.FEATURES)


def test_probability_is_a_logistic_of_the_weighted_sum():
    weights = [0.0] * len(recognise.FEATURES)
    values = [1.0] * len(recognise.FEATURES)
    assert recognise.probability(values, weights) == 0.5
    weights[0] = 1000.0  # clipped, no overflow
    assert recognise.probability(values, weights) == pytest.approx(1.0)


# (word, expected, why)
FREQUENCY_CASES = [
    ("the", (6.5, 8.0), "a function word is very frequent"),
    ("Centre", (4.0, 6.0), "case does not matter"),
    ("Qwzxv", (0.0, 0.0), "unknown words have frequency 0"),
]


@pytest.mark.parametrize(("word", "expected", "why"), FREQUENCY_CASES)
def test_word_frequency(word, expected, why):
    low, high = expected
    assert low <= recognise.word_frequency(word) <= high, why


# (word, (first name?, surname?), why)
NAME_CASES = [
    ("Julia", (True, False), "a common first name"),
    ("Kelly", (True, True), "both"),
    ("Johnson", (False, True), "a common surname"),
    ("Niamey", (False, False), "a city, not a name"),
]


@pytest.mark.parametrize(("word", "expected", "why"), NAME_CASES)
def test_person_name(word, expected, why):
    first, last = recognise.person_name(word)
    assert (first > 0.3, last > 0.3) == expected, why


@pytest.fixture
def fresh_frequencies(tmp_path, monkeypatch):
    """The word frequency table loaded anew, with its cache in ``tmp_path``."""
    monkeypatch.setenv("GEOMAP_CACHE_DIR", str(tmp_path))
    for cached in (recognise._frequencies, recognise.word_frequency):
        cached.cache_clear()
    yield tmp_path
    for cached in (recognise._frequencies, recognise.word_frequency):
        cached.cache_clear()


def test_word_frequencies_are_cached_and_a_damaged_cache_is_rebuilt(fresh_frequencies, monkeypatch):
    wordfreq = pytest.importorskip("wordfreq")
    cache = fresh_frequencies / f"wordfreq-{metadata.version('wordfreq')}-3.marshal"
    cache.write_bytes(b"not marshal")
    expected = math.log10(wordfreq.get_frequency_dict("en")["reading"] * 1e9)
    assert recognise.word_frequency("Reading") == expected  # rebuilt from wordfreq
    recognise._frequencies.cache_clear()
    recognise.word_frequency.cache_clear()
    monkeypatch.setitem(sys.modules, "wordfreq", None)  # importing it would now fail
    assert recognise.word_frequency("Reading") == expected  # read from the cache
    assert recognise.word_frequency("Qwzxv") == 0.0
