"""Writes its data file when imported, as an app creating its database would."""
