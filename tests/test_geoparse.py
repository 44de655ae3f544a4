import datetime as dt
from pathlib import Path

import pytest

from geomap.articles import Article
from geomap.gazetteer import CURATED
from geomap.geoparse import _TOKEN, geoparse


def parse(text, gazetteer):
    article = Article("t", dt.date(2024, 1, 1), "t", text, "0" * 64, Path("t.txt"))
    return geoparse(article, gazetteer)


def found(text, gazetteer):
    """{surface text: (place name, country, role)} for the mentions in ``text``."""
    return {m.text: (m.place.name, m.place.country, m.role) for m in parse(text, gazetteer)}


# (text, expected mentions as {surface: (place, country, role)}, why). Written for the tests.
CASES = [
    (
        "Convoys left Agadez for the border.",
        {"Agadez": ("Agadez", "NE", "literal")},
        "a city in the gazetteer",
    ),
    (
        "Aid reached Burkina Faso and Mali.",
        {"Burkina Faso": ("Burkina Faso", "BF", "literal"), "Mali": ("Mali", "ML", "literal")},
        "multi-word country names match whole",
    ),
    (
        "Drones flew from Air Base 201 near Agadez.",
        {"Air Base 201": ("Air Base 201", "NE", "literal"), "Agadez": ("Agadez", "NE", "literal")},
        "curated facilities with numbers",
    ),
    (
        "Paris has rejected the demand.",
        {"Paris": ("Paris", "FR", "associative")},
        "a capital as a government speaking",
    ),
    (
        "It is more than Washington can provide.",
        {"Washington": ("Washington", "US", "associative")},
        "a modal verb after a capital",
    ),
    (
        "Officials in Brussels said the EU would send trainers.",
        {"Brussels": ("Brussels", "BE", "literal"), "EU": ("Europe", None, "literal")},
        "capitals spell an abbreviation, not the French town Eu",
    ),
    (
        "Protesters marched in Paris on Sunday.",
        {"Paris": ("Paris", "FR", "literal")},
        "the same capital as a location",
    ),
    (
        "France, a former colonial power, also has soldiers there.",
        {"France": ("France", "FR", "associative")},
        "apposition before the verb",
    ),
    (
        "US troops and French officers trained together in Niger.",
        {
            "US": ("United States", "US", "adjectival"),
            "French": ("France", "FR", "adjectival"),
            "Niger": ("Niger", "NE", "literal"),
        },
        "demonyms and country modifiers name actors",
    ),
    (
        "The talks happened in the West African country.",
        {"West African": ("West Africa", None, "literal")},
        "a regional adjective locates",
    ),
    (
        "Reuters reported on Thursday that the Pentagon was worried.",
        {},
        "agencies, weekdays and ministries are not places",
    ),
    ("President Joe Biden met Kathleen FitzGibbon.", {}, "names of people"),
    ("Islamic State and Daesh fighters attacked.", {}, "organisations"),
    ("Over the past decade, little changed.", {}, "a small place spelled like a common word"),
    (
        "Niger's army took power in Niamey.",
        {"Niger": ("Niger", "NE", "literal"), "Niamey": ("Niamey", "NE", "literal")},
        "possessive forms",
    ),
    (
        "The New York Times wrote about it.",
        {"New York": ("New York City", "US", "embedded")},
        "a place inside a longer proper name is a toponym, not a location",
    ),
    ("The estate of Philippe de Marigny de Mandeville grew.", {}, "surnames after a particle"),
    (
        "Chief of staff John Kelly met reporters in Texas. Later, Kelly said the talks failed.",
        {"Texas": ("Texas", "US", "literal")},
        "a surname stays a person's name when it comes back alone",
    ),
    ("Mr. Heiden was charged on Monday.", {}, "a name after a title"),
    ("“It is a club,” said Keith, who wants to grow it.", {}, "a name after a speech verb"),
    ("“As the talks began, nobody spoke,” she said.", {}, "a function word opening a quote"),
    ("The Ministry of Commerce said the measures were unfair.", {}, "common nouns in names"),
    ("The Centre claimed that the scheme was legal.", {}, "a frequent word, a small town"),
    ("El Niño brought heavy rain to Peru.", {"Peru": ("Peru", "PE", "literal")}, "weather"),
    (
        "Populist rhetoric may succeed in wooing rural Mexicans and Canadians.",
        {"Mexicans": ("Mexico", "MX", "adjectival"), "Canadians": ("Canada", "CA", "adjectival")},
        "plural demonyms",
    ),
    (
        "Storms formed over the warm waters of the tropical Atlantic.",
        {"Atlantic": ("Atlantic Ocean", None, "literal")},
        "an ocean by its short name",
    ),
    (
        "A London-based consultancy advised the anti-Russian coalition.",
        {"London": ("London", "GB", "literal"), "Russian": ("Russia", "RU", "adjectival")},
        "a hyphen joins words, not parts of one",
    ),
    ("Fighters of Jama'at Nusrat al-Islam attacked.", {}, "parts of words after al- or '"),
    ("His wife, Julia, has taken on the search.", {}, "a common first name"),
    ("He raced alongside Andrew Jordan on Sunday.", {}, "a country's name as a surname"),
    (
        "The ferry left Victoria for Vancouver.",
        {"Victoria": ("Victoria", "CA", "literal"), "Vancouver": ("Vancouver", "CA", "literal")},
        "a first name that is a large place, among places",
    ),
    (
        "Flooding hit South Florida and the Western US.",
        {
            "South Florida": ("Florida", "US", "literal"),
            "Western US": ("United States", "US", "literal"),
        },
        "a compass word before a place belongs to its name",
    ),
    (
        "Leaders renegotiated the North American trade deal.",
        {"North American": ("North America", None, "literal")},
        "a continent's demonym",
    ),
    (
        "Ministers met at the East Asian summit.",
        {"East Asian": ("Asia", None, "literal")},
        "a compass word before a demonym belongs to it",
    ),
    (
        "Deputies in Orange County arrested him.",
        {"Orange County": ("Orange County", "US", "literal")},
        "a US county is a place of its own",
    ),
    (
        "Police closed Bourbon Street in New Orleans.",
        {
            "Bourbon Street": ("Bourbon", "US", "embedded"),
            "New Orleans": ("New Orleans", "US", "literal"),
        },
        "a name with a head (Street, University) is one toponym, not mapped",
    ),
    (
        "Thunder Snow won the Dubai World Cup on Saturday.",
        {"Dubai World Cup": ("Dubai", "AE", "embedded")},
        "an event named after a place is one toponym, not mapped",
    ),
    (
        "He studied at Colorado State University in Fort Collins.",
        {
            "Colorado State University": ("Colorado", "US", "embedded"),
            "Fort Collins": ("Fort Collins", "US", "literal"),
        },
        "a head up to three capitalised words away",
    ),
    (
        "Officials at the Chamber of Commerce said exports fell.",
        {},
        "a place-like word inside an institution's 'X of Y' name",
    ),
    (
        "The Republic of Niger asked the troops to leave.",
        {"Republic of Niger": ("Niger", "NE", "associative")},
        "a country's official name is one toponym; asking, it is its government",
    ),
    (
        "Troops left the Republic of Armenia.",
        {"Republic of Armenia": ("Armenia", "AM", "literal")},
        "a country's official name as a location",
    ),
    (
        "She flew to Washington, D.C., last week.",
        {"Washington, D.C.": ("Washington", "US", "literal")},
        "Washington, D.C. is one name",
    ),
    (
        "Workers at the plant in Lansing, Mich., voted.",
        {"Lansing": ("Lansing", "US", "literal"), "Mich.": ("Michigan", "US", "literal")},
        "a state's abbreviation after a town and a comma, dot included",
    ),
    ("On Sunday the family attended Mass. Then they ate.", {}, "an abbreviation elsewhere"),
    (
        "Rio de Janeiro hosted the talks.",
        {"Rio de Janeiro": ("Rio de Janeiro", "BR", "literal")},
        "a particle inside a place name",
    ),
]


@pytest.mark.parametrize(("text", "expected", "why"), CASES, ids=[c[2] for c in CASES])
def test_recognition_and_resolution(gazetteer, text, expected, why):
    assert found(text, gazetteer) == expected, why


TOKEN_CASES = [
    ("U.S.-led forces", ["U.S.", "led", "forces"], "an abbreviation, then a hyphen"),
    ("U.S.A", ["U.S.", "A"], "an abbreviation needs the dot after each letter"),
    ("A.B", ["A", "B"], "one dotted letter is no abbreviation"),
    ("St. Louis", ["St", "Louis"], "a dotted word is a word"),
    ("e.g. N.Y.C.", ["e", "g", "N.Y.C."], "only capitals make abbreviations"),
    ("snake_case", ["snake", "case"], "underscores split words"),
    ("Île-de-France", ["Île", "de", "France"], "accented capitals and hyphens"),
    ("Jama’at 2023", ["Jama", "at", "2023"], "apostrophes split words; numbers are words"),
]


@pytest.mark.parametrize(("text", "expected", "why"), TOKEN_CASES, ids=[c[2] for c in TOKEN_CASES])
def test_tokens(text, expected, why):
    assert _TOKEN.findall(text) == expected, why


def test_country_context_resolves_ambiguous_names(gazetteer):
    # "San Fernando" is in several countries; the article's other places decide.
    philippines = found("Troops left Manila and the Philippines for San Fernando.", gazetteer)
    trinidad = found("Troops left Trinidad and Tobago for San Fernando.", gazetteer)
    assert philippines["San Fernando"][1] == "PH"
    assert trinidad["San Fernando"][1] == "TT"


def test_mention_carries_span_sentence_and_resolution(gazetteer):
    text = "Calm returned. Fighting broke out near Agadez on Friday."
    (mention,) = parse(text, gazetteer)
    assert text[mention.start : mention.end] == "Agadez"
    assert mention.sentence == "Fighting broke out near Agadez on Friday."
    # Agadez is a town and the region around it; the town is the larger.
    assert mention.place.kind == "city" and mention.resolution == "largest population"
    assert 0 < mention.confidence <= 1
    assert mention.date == dt.date(2024, 1, 1) and mention.article_id == "t"


def test_seed_places(gazetteer):
    text = (Path(__file__).parent.parent / "seeds").glob("*.txt")
    from geomap.articles import read_article

    mentions = geoparse(read_article(next(text)), gazetteer)
    literal = {m.place.name for m in mentions if m.role == "literal"}
    assert {
        "Niger",
        "Niamey",
        "Agadez",
        "Air Base 101",
        "Air Base 201",
        "Mali",
        "Burkina Faso",
        "Sahel",
        "West Africa",
    } <= literal
    names = {m.text for m in mentions}
    assert not names & {"Reuters", "Thursday", "Pentagon", "Biden", "Islamic State", "Daesh"}
    assert {m.role for m in mentions if m.place.name in ("Paris", "Washington")} == {"associative"}


def test_state_or_country_by_the_article_context(gazetteer):
    us = found("Storms hit Atlanta and Georgia on Monday.", gazetteer)
    caucasus = found("Talks in Tbilisi: Georgia and Russia met.", gazetteer)
    assert us["Georgia"][:2] == ("Georgia", "US")
    assert caucasus["Georgia"][:2] == ("Georgia", "GE")
    # In capitals (a dateline, a headline) a long name is still a name, not an abbreviation.
    dateline = found("GEORGIA -- Crews from Atlanta came to help.", gazetteer)
    assert dateline["GEORGIA"][:2] == ("Georgia", "US")


def test_a_region_after_a_comma_places_the_town(gazetteer):
    # "Richmond, Virginia" is in Virginia even in an article about England, where a
    # bare "Richmond" is the English one; "Paris, Texas" is not the capital of France.
    england = "Rain fell on London and Kent. In Richmond the river rose."
    assert found(england, gazetteer)["Richmond"][:2] == ("Richmond", "GB")
    virginia = "Rain fell on London and Kent. In Richmond, Virginia, the river rose."
    assert found(virginia, gazetteer)["Richmond"][:2] == ("Richmond", "US")
    (paris,) = [m for m in parse("He was born in Paris, Texas.", gazetteer) if m.text == "Paris"]
    assert (paris.place.country, paris.resolution) == ("US", "in Texas")
    assert abs(paris.place.lat - 33.66) < 0.5 and abs(paris.place.lon + 95.56) < 0.5
    # Springfield, Missouri is the largest; "Ill." is Illinois and places the town.
    (springfield,) = [m for m in parse("A plant in Springfield, Ill., closed.", gazetteer)
                      if m.text == "Springfield"]  # fmt: skip
    assert (springfield.place.country, springfield.resolution) == ("US", "in Illinois")
    assert abs(springfield.place.lat - 39.80) < 0.2


def test_first_level_regions_are_found_and_resolved(gazetteer):
    mentions = found(
        "Fighting spread from Tigray to Amhara; Ontario and Bavaria sent aid.", gazetteer
    )
    assert mentions["Tigray"] == ("Tigray", "ET", "literal")
    assert mentions["Amhara"][1] == "ET"
    assert mentions["Ontario"][:2] == ("Ontario", "CA")  # not Ontario, California
    assert mentions["Bavaria"][:2] == ("Bavaria", "DE")


def test_a_name_shared_with_its_own_country_or_state(gazetteer):
    # Mexico the country, not the State of Mexico; New York the city, not the state.
    mexico = found("Rains hit Mexico and Guatemala.", gazetteer)
    assert mexico["Mexico"][:2] == ("Mexico", "MX")
    assert parse("Rains hit Mexico and Guatemala.", gazetteer)[0].place.kind == "country"
    new_york = [
        m for m in parse("Protests in New York and Boston.", gazetteer) if m.text == "New York"
    ]
    assert new_york[0].place.kind == "city"


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("Suffolk County police searched Brookhaven and Islip.", 40.87, -72.85),
        ("The fire spread from Suffolk County to Boston.", 42.34, -71.07),
        ("Deputies in Orange County arrested him near Orlando.", 28.51, -81.32),
        ("Deputies in Orange County arrested him near Anaheim.", 33.70, -117.76),
    ],
)
def test_a_county_of_several_states_is_the_one_near_the_article_places(gazetteer, text, lat, lon):
    (county,) = [m.place for m in parse(text, gazetteer) if m.text.endswith("County")]
    assert county.kind == "region" and county.country == "US"
    assert abs(county.lat - lat) < 0.1 and abs(county.lon - lon) < 0.1


def test_readings_are_revised_until_they_settle(gazetteer):
    # First read, "Parkland" is the larger Parkland, Washington, which pulls "Washington"
    # to the state; once Parkland is read next to Coral Springs, the Post is in D.C.
    text = (
        "The Washington Post reported from Parkland. Students at the Parkland school in "
        "Coral Springs, Florida, marched."
    )
    places = {m.text: m.place for m in parse(text, gazetteer)}
    assert places["Washington"].kind == "city" and abs(places["Washington"].lat - 38.9) < 0.1
    assert abs(places["Parkland"].lat - 26.31) < 0.2


def test_the_article_other_places_pick_the_nearby_town(gazetteer):
    # Parkland, Washington is the larger; next to Coral Springs it is Parkland, Florida.
    # ("in" before it: bare "Parkland" is a common word and a small town to recognition.)
    text = "Students marched in Coral Springs and in Parkland."
    (parkland,) = [m.place for m in parse(text, gazetteer) if m.text == "Parkland"]
    assert parkland.country == "US" and abs(parkland.lat - 26.31) < 0.2


def test_an_abbreviated_saint_is_the_place_own_name(gazetteer):
    # "St. Petersburg" spells Saint Petersburg's name, as it spells the Florida city's.
    russia = found("Russia will close the US consulate in St. Petersburg.", gazetteer)
    florida = found("The storm hit St. Petersburg, Florida.", gazetteer)
    assert russia["St. Petersburg"][1] == "RU"
    assert florida["St. Petersburg"][1] == "US"


def test_the_before_a_name_means_the_sea_not_the_town(gazetteer):
    # An article about Colorado and Missouri: without "the", Atlantic, Iowa and Pacific,
    # Missouri win on the article's country and places; towns take no article.
    text = (
        "Scientists in Fort Collins, Colorado, and St. Louis, Missouri, said the tropical "
        "Atlantic is warm and the eastern Pacific cool. Atlantic, Iowa, saw no rain."
    )
    mentions = parse(text, gazetteer)
    kinds = [
        (m.text, m.place.kind, m.place.country)
        for m in mentions
        if m.text in ("Atlantic", "Pacific")
    ]
    assert kinds == [
        ("Atlantic", "other", None),
        ("Pacific", "other", None),
        ("Atlantic", "city", "US"),
    ]
    # Not Sudan's Red Sea state either: a name's one natural feature is all that is left.
    text = "From Port Sudan and Khartoum, ships crossed the Red Sea."
    (sea,) = [m.place for m in parse(text, gazetteer) if m.text == "Red Sea"]
    assert (sea.name, sea.kind) == ("Red Sea", "other")


def test_the_regions_us_news_names(gazetteer):
    # Were the town of New England, North Dakota, the West Coast of Singapore, the town of
    # Appalachia, Virginia (a same-named town no longer hides a curated region), or nothing.
    mentions = found(
        "Storms hit the Midwest and New England; the West Coast stayed dry and towns in "
        "Appalachia flooded.",
        gazetteer,
    )
    for name in ("Midwest", "New England", "West Coast", "Appalachia"):
        assert mentions[name] == (name, "US", "literal")
    (region,) = [m.place for m in parse("Towns in Appalachia flooded.", gazetteer)]
    assert region.kind == "region"


def test_the_demonyms_of_britain_nations_are_theirs(gazetteer):
    # "English" was the United Kingdom's (its point 300 km north of England's); a nation's
    # demonym still names an actor (adjectival), unlike a world region's ("Sahelian").
    mentions = found("English fans and Scottish clubs met in Sahelian heat.", gazetteer)
    assert mentions["English"] == ("England", "GB", "adjectival")
    assert mentions["Scottish"] == ("Scotland", "GB", "adjectival")
    assert mentions["Sahelian"] == ("Sahel", None, "literal")


def test_a_newspaper_is_named_after_its_city(gazetteer):
    # Seattle pulled the Post's Washington to the state; a state's own paper keeps the state.
    text = "The Washington Post reported that the mayor of Seattle resigned. The Texas Tribune too."
    places = {m.text: m.place for m in parse(text, gazetteer)}
    assert places["Washington"].kind == "city" and abs(places["Washington"].lat - 38.9) < 0.1
    assert (places["Texas"].kind, places["Texas"].country) == ("region", "US")


def test_a_name_listed_with_states_is_a_state(gazetteer):
    # Alone, "Washington" is the capital; beside another state it is the state, unless
    # written "Washington, D.C.", which stays the capital in any list.
    listed = parse("Tech jobs went to states such as California or Washington.", gazetteer)
    (washington,) = [m for m in listed if m.text == "Washington"]
    assert (washington.place.kind, washington.place.country) == ("region", "US")
    assert washington.place.lon < -115 and washington.resolution == "listed with California"
    capital = parse("Trips to Alaska, Florida and Washington, D.C., followed.", gazetteer)
    (dc,) = [m for m in capital if m.text.startswith("Washington")]
    assert dc.place.kind == "city" and abs(dc.place.lat - 38.9) < 0.1
    countries = found("Talks in Tbilisi: Armenia and Georgia met.", gazetteer)
    assert countries["Georgia"][:2] == ("Georgia", "GE")


def test_a_county_or_state_is_the_one_of_the_state_the_article_names(gazetteer):
    # Jefferson County, Texas is 500 km from the state's middle: too far to be near it,
    # so the largest Jefferson County (Kentucky's) won. Towns are left to their population.
    def places(text):
        return {m.text: m.place for m in parse(text, gazetteer)}

    named = places("Floods closed roads in Jefferson County. The governor of Texas came.")
    assert named["Jefferson County"].state == "TX"
    assert places("Floods closed roads in Jefferson County.")["Jefferson County"].state == "KY"
    washington = places("Crews worked near Spokane. Washington officials said so.")["Washington"]
    assert (washington.kind, washington.state) == ("region", "WA")
    portland = places("Fans in Portland cheered. The team plays Texas next week.")["Portland"]
    assert portland.state == "OR"


def test_us_places_carry_their_state(gazetteer):
    states = {(p.country, p.state) for p in gazetteer.lookup("Paris")}
    assert ("US", "TX") in states and ("FR", None) in states
    assert [p.state for p in gazetteer.lookup("Texas") if p.kind == "region"] == ["TX"]
    assert {p.state for p in gazetteer.lookup("Orange County")} >= {"CA", "FL", "NY"}


def test_curated_world_features_carry_their_geonames_id(gazetteer):
    (middle_east,) = [p for p in gazetteer.lookup("Middle East") if p.source == CURATED]
    assert (middle_east.geonameid, round(middle_east.lat, 1)) == (6269133, 33.1)
    assert gazetteer.lookup("Sahel")[0].geonameid is None
