"""The Customer insights page's parts: notes (import, add, search), insights, duplicates, NPS."""
