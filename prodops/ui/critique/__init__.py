"""The roadmap-critique page's items and sessions."""
