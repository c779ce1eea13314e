"""The Quarterly Review page's widgets and views (pages/8_Quarterly_Review.py)."""
