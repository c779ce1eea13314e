"""The Data page: upload, catalog, connections."""
