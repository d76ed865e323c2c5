"""Datasette over a small SQLite database of birds and sightings, made when the app starts."""
