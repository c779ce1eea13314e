"""Small helpers shaping the metric frames (nullable rates)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def ratio(num: Any, den: Any) -> pd.Series:
    """``num / den`` as a Float64 series, ``<NA>`` where ``den`` is 0."""
    top = np.asarray(num, dtype=np.float64)
    bottom = np.asarray(den, dtype=np.float64)
    values = pd.array(top / np.where(bottom == 0, 1.0, bottom), dtype="Float64")
    values[bottom == 0] = pd.NA
    return pd.Series(values)
