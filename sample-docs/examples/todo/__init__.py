"""A small to-do app, embedded live in the sample docs."""
