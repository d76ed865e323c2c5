"""A small Django project served through the bridge: settings in code, sqlite3, the admin, one model."""
