"""Django's tutorial project, "mysite" with its "polls" app, ready for the browser."""
