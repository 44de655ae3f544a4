"""A synthetic article corpus, to measure builds and maps at the size a newsroom reaches.

The articles are sentence templates filled with gazetteer names (countries, their
cities, demonyms naming the forces) and troop counts, dated over two years; no news
text is copied. The same ``seed`` always writes the same files.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

#: Host countries and some of their cities, as the gazetteer names them.
HOSTS = {
    "Niger": ("Niamey", "Agadez", "Zinder", "Tahoua"),
    "Mali": ("Bamako", "Gao", "Timbuktu", "Kidal", "Mopti"),
    "Burkina Faso": ("Ouagadougou", "Bobo-Dioulasso"),
    "Chad": ("N'Djamena", "Abeche"),
    "Nigeria": ("Abuja", "Kano", "Maiduguri"),
    "Libya": ("Tripoli", "Benghazi"),
    "Iraq": ("Baghdad", "Erbil", "Mosul"),
    "Syria": ("Damascus", "Aleppo"),
    "Somalia": ("Mogadishu", "Kismayo"),
    "Ukraine": ("Kyiv", "Kharkiv", "Odesa"),
}
#: Demonyms of the countries whose forces the articles count.
FORCES = ("French", "American", "German", "Italian", "British", "Russian", "Turkish", "Chinese")
COUNTS = (150, 300, 450, 800, 1100, 1200, 1500, 2000, 2500, 3000, 5000, 13000)
SENTENCES = (
    "{count} {force} troops are stationed in {country}, officials said.",
    "About {count} {force} soldiers arrived in {city} this week.",
    "More than {count} {force} troops left {country} after the mission ended.",
    "Officials in {city} said the situation in {country} remained tense.",
    "Fighting was reported near {city} and {other} on Monday.",
    "The {force} government said it would keep its forces in {country}.",
    "{force} forces moved equipment from {city} to {other}.",
    "Residents of {city} described long queues for fuel and bread.",
)
#: Sentences without troop figures, so that articles have the length of real reports.
FILLER = (
    "The statement gave no further details about the timing of the decision.",
    "Analysts said the move reflected growing pressure on the authorities in {city}.",
    "Aid groups warned that road closures around {city} were delaying food deliveries.",
    "The talks are expected to continue next week, a spokesperson said.",
    "Local media reported that schools in {other} had reopened after several weeks.",
    "Diplomats said the government in {country} had asked for more time.",
    "Prices of basic goods have risen sharply over the past months.",
    "The ministry said it was reviewing all options with its partners.",
    "Officials declined to comment on the number of people involved.",
    "Witnesses in {city} said the streets were calm on Tuesday evening.",
    "The regional bloc is due to meet again before the end of the month.",
    "Several convoys travelled between {city} and {other} without incident.",
)
FIRST_DAY = dt.date(2022, 1, 1)
DAYS = 730


def make_corpus(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """Write ``n`` dated articles (``0000.txt`` …) into ``folder`` and return their paths."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(n):
        path = folder / f"{index:04d}.txt"
        path.write_text(_article(rng), encoding="utf-8")
        paths.append(path)
    return paths


def _article(rng: random.Random) -> str:
    """One article about one host country: a date line, then 25 to 40 sentences."""
    date = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
    country = rng.choice(list(HOSTS))
    sentences = []
    for _ in range(rng.randint(25, 40)):  # about the length of the seed article
        city, other = rng.sample(HOSTS[country], 2)
        template = rng.choice(SENTENCES if rng.random() < 0.2 else FILLER)
        sentences.append(
            template.format(
                count=f"{rng.choice(COUNTS):,}",
                force=rng.choice(FORCES),
                country=country,
                city=city,
                other=other,
            )
        )
    return f" date {date.isoformat()}\n" + " ".join(sentences) + "\n"
