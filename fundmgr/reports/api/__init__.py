"""Report runs in the REST API: ask for one, poll its progress, download its file."""
