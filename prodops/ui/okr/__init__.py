"""The OKR page's views and forms."""
