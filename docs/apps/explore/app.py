"""Datasette through its Python API, with the two settings the browser needs."""

import os
import sqlite3
import tempfile
from pathlib import Path

from datasette.app import Datasette

BIRDS = [
    # name, scientific name, wingspan (cm), weight (g)
    ("Wren", "Troglodytes troglodytes", 15, 10),
    ("Robin", "Erithacus rubecula", 22, 18),
    ("Blue tit", "Cyanistes caeruleus", 18, 11),
    ("Swift", "Apus apus", 42, 40),
    ("Kingfisher", "Alcedo atthis", 25, 40),
    ("Barn owl", "Tyto alba", 89, 350),
    ("Grey heron", "Ardea cinerea", 185, 1500),
    ("Mute swan", "Cygnus olor", 220, 10000),
]
SIGHTINGS = [
    # bird, place, count
    ("Wren", "Garden", 2),
    ("Robin", "Garden", 1),
    ("Blue tit", "Garden", 4),
    ("Swift", "Town", 12),
    ("Kingfisher", "River", 1),
    ("Grey heron", "River", 2),
    ("Mute swan", "River", 5),
    ("Barn owl", "Meadow", 1),
    ("Swift", "Meadow", 6),
    ("Robin", "Park", 3),
]


def make_database(path):
    """The demo's database: two tables and a foreign key Datasette follows."""
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(
            "create table birds (id integer primary key, name text, scientific_name text,"
            " wingspan_cm integer, weight_g integer)"
        )
        db.execute(
            "create table sightings (id integer primary key, bird_id integer references birds(id),"
            " place text, count integer)"
        )
        db.executemany("insert into birds values (null, ?, ?, ?, ?)", BIRDS)
        db.executemany(
            "insert into sightings (bird_id, place, count) select id, ?, ? from birds where name = ?",
            [(place, count, bird) for bird, place, count in SIGHTINGS],
        )
    db.close()


database = Path(tempfile.gettempdir()) / "birds.db"
make_database(database)

ds = Datasette(
    [str(database)],
    settings={
        # Datasette's mode without threads: SQL runs inline (the browser has no threads).
        "num_sql_threads": 0,
        # Datasette builds its URLs from base_url, not from the ASGI root_path.
        "base_url": os.environ.get("LIVE_ASGI_ROOT_PATH", "") + "/",
    },
    metadata={
        "title": "Birds",
        "description": "A small SQLite database, explored with Datasette in your browser.",
        "databases": {
            "birds": {
                "tables": {
                    "sightings": {"facets": ["place"]},
                    "birds": {"sort": "wingspan_cm"},
                }
            }
        },
    },
)
app = ds.app()
