"""parley.reports: self-contained HTML pages of what parley predict found, and of a training run.

Needs the `report` extra (altair, vl-convert-python, networkx): `pip install 'parley-events[report]'`.
"""

from parley.reports.events_report import ReportSummary, write_events_report
from parley.reports.run_report import RunReportSummary, write_run_report

__all__ = ["ReportSummary", "RunReportSummary", "write_events_report", "write_run_report"]
