"""Draws random numbers: a restored interpreter must not repeat them."""
