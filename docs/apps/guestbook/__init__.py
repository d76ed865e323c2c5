"""A Flask guestbook, as Flask's tutorial writes an app: templates, a form, flashed messages."""
