"""The REST API's shared pieces: error mapping, pagination, parsers and the root URL list."""
