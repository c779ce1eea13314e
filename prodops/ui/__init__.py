"""The only part of prodops that imports Streamlit: cached wrappers and render helpers."""
