"""Customer insight: notes from every touchpoint, kept once, linked to the roadmap and OKRs.

The package holds the feature's layers side by side: ``models`` (tables), ``crud`` (notes,
insights, merges, links; safe edits), ``importers`` (Intercom, Zendesk, Productboard, Dovetail,
NPS exports and any file with a mapping), ``dedup`` (near-duplicate notes), ``search`` (full-text
search, themes over time), ``demand`` (revenue-weighted demand, the QBR's evidence) and ``nps``.
Other features use only the names exported here.
"""

from prodops.research.dedup import DEFAULT_THRESHOLD, near_duplicates
from prodops.research.demand import Demand, customer_demand, item_demand, quarter_evidence
from prodops.research.insight_crud import evidence_counts, item_insight_ids
from prodops.research.models import SOURCE_KINDS, ResearchInsight, ResearchNote

__all__ = [
    "DEFAULT_THRESHOLD",
    "SOURCE_KINDS",
    "Demand",
    "ResearchInsight",
    "ResearchNote",
    "customer_demand",
    "evidence_counts",
    "item_demand",
    "item_insight_ids",
    "near_duplicates",
    "quarter_evidence",
]
