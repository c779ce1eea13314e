"""Quarterly business reviews: one report of the quarter's numbers, OKRs, decisions and evidence.

The package holds the feature's layers side by side: ``quarters`` (the periods reported:
calendar quarters and runs of whole months; pure), ``headlines`` (the headline numbers from the
metric API, with their formulas), ``build`` (the
whole report, a frozen value), ``frames`` (frames frozen as JSON), ``charts`` (the key charts
rebuilt from a report), ``models`` and ``crud`` (snapshots: save, reopen, regenerate, narrative
edits with the safe-edit rule) and the exports ``export_html``, ``export_pdf``, ``export_md``.
Other features use only the names exported here.
"""

from prodops.qbr.build import (
    NO_EVIDENCE,
    SECTION_TITLES,
    SECTIONS,
    Dataset,
    Report,
    Source,
    build_qbr,
)
from prodops.qbr.crud import (
    Regenerated,
    find_report,
    get_report,
    list_reports,
    narrative_of,
    regenerate,
    report_of,
    save_report,
    update_narrative,
)
from prodops.qbr.headlines import DEFINITIONS, Headline, changed_numbers, headlines
from prodops.qbr.models import QbrNarrative, QbrReport
from prodops.qbr.quarters import (
    MonthRange,
    Period,
    Quarter,
    month_range,
    parse_period,
    parse_quarter,
    quarter_of,
)

__all__ = [
    "DEFINITIONS",
    "NO_EVIDENCE",
    "SECTIONS",
    "SECTION_TITLES",
    "Dataset",
    "Headline",
    "MonthRange",
    "Period",
    "QbrNarrative",
    "QbrReport",
    "Quarter",
    "Regenerated",
    "Report",
    "Source",
    "build_qbr",
    "changed_numbers",
    "find_report",
    "get_report",
    "headlines",
    "list_reports",
    "month_range",
    "narrative_of",
    "parse_period",
    "parse_quarter",
    "quarter_of",
    "regenerate",
    "report_of",
    "save_report",
    "update_narrative",
]
