"""A Falcon app (WSGI): a JSON resource and a page whose script uses it."""
