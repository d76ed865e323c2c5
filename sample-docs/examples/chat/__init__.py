"""A live chat over WebSockets, embedded live in the sample docs."""
