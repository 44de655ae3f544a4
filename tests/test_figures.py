import datetime as dt
from pathlib import Path

import pytest

from geomap.articles import Article, read_article
from geomap.figures import movements, troop_figures
from geomap.geoparse import geoparse

DATE = dt.date(2024, 3, 15)


def article(text):
    return Article("t", DATE, "t", text, "0" * 64, Path("t.txt"))


def figures_of(text, gazetteer):
    a = article(text)
    return troop_figures(a, geoparse(a, gazetteer), gazetteer)


def summary(figure):
    location = figure.location.name if figure.location else None
    return (figure.actor, figure.count, figure.qualifier, figure.unit, location, figure.status)


# (sentence written for the tests, expected figures as summaries, why)
CASES = [
    (
        "There are 1,100 Italian soldiers in Niger.",
        [("Italy", 1100, "exact", "soldiers", "Niger", "present")],
        "comma thousands",
    ),
    (
        "About 300 English troops arrived in Gao.",
        [("United Kingdom", 300, "approx", "troops", "Gao", "arriving")],
        "a nation's demonym names its state",
    ),
    (
        "German officials said 1.100 soldiers remain in Mali.",
        [("Germany", 1100, "exact", "soldiers", "Mali", "present")],
        "dot thousands",
    ),
    (
        "Some 2 000 Belgian troops are based in Mali.",
        [("Belgium", 2000, "approx", "troops", "Mali", "present")],
        "space thousands, 'some'",
    ),
    (
        "A 5,000-strong ECOWAS force will deploy to Niger.",
        [("ECOWAS", 5000, "exact", "forces", "Niger", "planned")],
        "'-strong', an organisation",
    ),
    (
        "Two thousand Nigerian soldiers crossed into Niger.",
        [("Nigeria", 2000, "exact", "soldiers", "Niger", "arriving")],
        "number words",
    ),
    (
        "A dozen Russian instructors arrived in Bamako.",
        [("Russia", 12, "exact", "trainers", "Bamako", "arriving")],
        "'a dozen'",
    ),
    (
        "Nearly 1,000 UN peacekeepers remain in Mali.",
        [("United Nations", 1000, "approx", "peacekeepers", "Mali", "present")],
        "'nearly'",
    ),
    (
        "About 200 US special forces are in Chad.",
        [("United States", 200, "approx", "special forces", "Chad", "present")],
        "'about'",
    ),
    (
        "Up to 3,000 Wagner mercenaries operate in Mali.",
        [("Wagner Group", 3000, "up_to", "mercenaries", "Mali", "present")],
        "'up to'",
    ),
    (
        "Fewer than 500 British troops stayed in Mali.",
        [("United Kingdom", 500, "fewer_than", "troops", "Mali", "present")],
        "'fewer than'",
    ),
    (
        "Washington will withdraw 1,000 troops from Niger.",
        [("United States", 1000, "exact", "troops", "Niger", "departing")],
        "a government acting",
    ),
    (
        "Chad plans to send 1,000 soldiers to Mali.",
        [("Chad", 1000, "exact", "soldiers", "Mali", "planned")],
        "a plan",
    ),
    (
        "Paris refused calls to withdraw its 900 troops from Chad.",
        [("France", 900, "exact", "troops", "Chad", "present")],
        "a refused withdrawal",
    ),
    (
        "US officials said they will pull out a small number of personnel from Niger.",
        [("United States", None, "approx", "personnel", "Niger", "departing")],
        "no count given",
    ),
    ("The base cost more than $100 million.", [], "money"),
    ("Since 2018, the base has hosted drones.", [], "a year"),
    ("On July 26 officers seized power.", [], "a date"),
    ("Over the past decade, troops trained there.", [], "no number"),
    ("Clashes killed 50 soldiers in Burkina Faso.", [], "casualties"),
    ("About 30% of the French troops are in Mali.", [], "a percentage"),
    ("A 25-year-old soldier was arrested in Niamey.", [], "an age"),
    (
        "More than 2,000 French troops left Mali and 1,500 German soldiers stayed there.",
        [
            ("France", 2000, "more_than", "troops", "Mali", "departed"),
            ("Germany", 1500, "exact", "soldiers", "Mali", "present"),
        ],
        "two figures in one sentence",
    ),
    (
        "Fighting spread across Burkina Faso. Officials said 300 Turkish trainers were present.",
        [("Turkey", 300, "exact", "trainers", "Burkina Faso", "present")],
        "the place is named only in the previous sentence",
    ),
]


@pytest.mark.parametrize(("text", "expected", "why"), CASES, ids=[c[2] for c in CASES])
def test_figures(gazetteer, text, expected, why):
    assert [summary(f) for f in figures_of(text, gazetteer)] == expected, why


def test_last_year_shifts_the_date_of_its_own_clause_only(gazetteer):
    text = "More than 2,000 French troops left Mali last year and 800 UN peacekeepers remain."
    french, un = figures_of(text, gazetteer)
    assert french.date == dt.date(2023, 3, 15)
    assert un.date == DATE


def test_figure_keeps_sentence_span_and_codes(gazetteer):
    text = "Calm returned. There were 1,100 US troops in the West African country of Niger."
    (figure,) = figures_of(text, gazetteer)
    assert text[figure.start : figure.end] == figure.sentence
    assert figure.sentence.startswith("There were 1,100")
    assert figure.actor_code == "US" and figure.location.country == "NE"


def test_the_country_refers_to_the_article_country(gazetteer):
    text = (
        "Niger faces a coup. Niger is tense. Before this, there were 800 US troops in the country."
    )
    (figure,) = figures_of(text, gazetteer)
    assert figure.location.name == "Niger"


def move(text, gazetteer):
    a = article(text)
    return [
        (m.actor, m.origin.name if m.origin else None, m.destination.name)
        for m in movements(a, geoparse(a, gazetteer), gazetteer)
    ]


@pytest.mark.parametrize(
    ("text", "expected", "why"),
    [
        (
            "US forces moved from Niamey to Agadez.",
            [("United States", "Niamey", "Agadez")],
            "moved from X to Y",
        ),
        (
            "The French army withdrew from Gao to Niamey.",
            [("France", "Gao", "Niamey")],
            "withdrew from X to Y",
        ),
        ("Russian units redeployed to Gao.", [("Russia", None, "Gao")], "redeployed to Y"),
        ("Flights from Paris to Niamey resumed.", [], "no movement verb: travel, not forces"),
        ("Troops stayed in Gao.", [], "no from/to"),
    ],
)
def test_movements(gazetteer, text, expected, why):
    assert move(text, gazetteer) == expected, why


def test_seed_figures_and_movement(gazetteer):
    seed = read_article(next((Path(__file__).parent.parent / "seeds").glob("*.txt")))
    mentions = geoparse(seed, gazetteer)
    found = {
        (f.actor, f.count, f.qualifier, f.location.name, f.status, f.date.year)
        for f in troop_figures(seed, mentions, gazetteer)
    }
    assert found == {
        ("United States", 1100, "exact", "Niger", "present", 2023),
        ("France", 1500, "exact", "Niger", "present", 2023),
        ("France", 2000, "more_than", "Mali", "departed", 2022),
        ("United Nations", 13000, "exact", "Mali", "departing", 2023),
        ("United States", None, "approx", "Niger", "departing", 2023),
    }
    (movement,) = movements(seed, mentions, gazetteer)
    assert (movement.actor, movement.origin.name, movement.destination.name) == (
        "United States",
        "Air Base 101",
        "Air Base 201",
    )
