"""Datasette over a small SQLite file, as Datasette's Python API docs write it."""
