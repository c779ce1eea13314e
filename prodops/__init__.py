"""ProdOps: a self-serve Product Operations workbench.

The core (everything but :mod:`prodops.ui`) never imports Streamlit.
"""

__version__ = "0.1.0"
