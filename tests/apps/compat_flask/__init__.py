"""A Flask app written as Flask's tutorial writes one (served as WSGI, and wrapped by a2wsgi)."""
