"""Write ``birds.db``, the small database the Datasette test app serves: ``python make_db.py``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

BIRDS = [("Wren", 15), ("Heron", 185), ("Swift", 42), ("Robin", 22)]


def make(path: Path) -> None:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("create table birds (id integer primary key, name text not null, wingspan_cm integer)")
        db.executemany("insert into birds (name, wingspan_cm) values (?, ?)", BIRDS)
    db.close()


if __name__ == "__main__":
    make(Path(__file__).with_name("birds.db"))
