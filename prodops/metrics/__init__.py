"""Metrics, each written once as an Ibis expression and executed where the data lives."""
