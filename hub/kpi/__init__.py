"""KPIs the province reports (DOMAIN.md §4), straight from the event log.

Three ``hub.processing`` folds (``_processors``):

    dossier.events     -> kpi-dossiers   -> kpi.dossiers (how each dossier counts), kpi.facts
    kpi.facts          -> kpi            -> kpi (KpiSnapshot per agency|month, quarter, year)
    catalog.procedures -> kpi-procedures -> kpi.procedures (every catalogue version)

and the tables computed from them (``full_online_table``, ``indicators_766``,
``online_submissions``), written as CSV or XLSX. ``replay_kpis`` computes everything again
from offset 0 and ``compare`` shows it equals what the workers published.

Exceptions: configuration and period labels raise ``ValueError``; an input the folds cannot
read is a value (``Reject``), dead-lettered by the runner.
"""

from hub.kpi._app import (
    DOSSIERS_SPEC,
    KPI_SPEC,
    PROCEDURES_SPEC,
    PROCESSORS,
)
from hub.kpi._config import DEFAULT_TARGETS, KpiSettings, Targets
from hub.kpi._dossier import Position, apply, fact_key, new_dossier
from hub.kpi._export import (
    FULL_ONLINE_TITLES,
    INDICATOR_TITLES,
    full_online_rows,
    indicator_rows,
    write_full_online_csv,
    write_indicators_csv,
    write_xlsx,
)
from hub.kpi._log import KpiReplay, Kpis, compare, compute, read_kpis, read_latest, replay_kpis
from hub.kpi._periods import Period, periods_of
from hub.kpi._procedures import Offered, add_version, offered
from hub.kpi._processors import KpiDossierProcessor, KpiProcessor, ProcedureHistoryProcessor
from hub.kpi._report import (
    CSV_COLUMNS,
    RATE_COLUMNS,
    VERDICTS,
    FullOnlineRow,
    FullOnlineTable,
    IndicatorsRow,
    OnlineSubmissionRow,
    Rate,
    full_online_csv_row,
    full_online_table,
    indicators_766,
    online_submissions,
    percent,
    percent_text,
)
from hub.kpi._snapshot import apply_fact, is_applied, new_snapshot, received, snapshot_key

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_TARGETS",
    "DOSSIERS_SPEC",
    "FULL_ONLINE_TITLES",
    "INDICATOR_TITLES",
    "KPI_SPEC",
    "PROCEDURES_SPEC",
    "PROCESSORS",
    "RATE_COLUMNS",
    "VERDICTS",
    "FullOnlineRow",
    "FullOnlineTable",
    "IndicatorsRow",
    "KpiDossierProcessor",
    "KpiProcessor",
    "KpiReplay",
    "KpiSettings",
    "Kpis",
    "Offered",
    "OnlineSubmissionRow",
    "Period",
    "Position",
    "ProcedureHistoryProcessor",
    "Rate",
    "Targets",
    "add_version",
    "apply",
    "apply_fact",
    "compare",
    "compute",
    "fact_key",
    "full_online_csv_row",
    "full_online_rows",
    "full_online_table",
    "indicator_rows",
    "indicators_766",
    "is_applied",
    "new_dossier",
    "new_snapshot",
    "offered",
    "online_submissions",
    "percent",
    "percent_text",
    "periods_of",
    "read_kpis",
    "read_latest",
    "received",
    "replay_kpis",
    "snapshot_key",
    "write_full_online_csv",
    "write_indicators_csv",
    "write_xlsx",
]
