"""KPIs the province reports (DOMAIN.md §4), straight from the event log.

Three ``hub.processing`` folds (``_processors``):

    dossier.events     -> kpi-dossiers   -> kpi.dossiers (how each dossier counts), kpi.facts
    kpi.facts          -> kpi            -> kpi (KpiSnapshot per agency|month, quarter, year)
    catalog.procedures -> kpi-procedures -> kpi.procedures (every catalogue version)

and the tables computed from them (``full_online_table``, ``indicators_766``,
``online_submissions``, ``indicators_2024`` with a verdict per indicator, ``postal_figures``,
the QĐ 766 satisfaction group from the applicants' ratings: ``_ratings``),
written as CSV or XLSX, for an ISO week (the weekly QĐ 766 check), month, quarter or year.
``replay_kpis`` computes everything again from offset 0 and ``compare`` shows it equals what the
workers published.

**By competent agency and by receiving desk** (acceptance anywhere in the province): the folds
count a dossier for its competent agency, the new one after an ``AgencyTransferred``;
``desk_report`` reports the receiving desks' own work (received, forwarded and on time, results
received, returned and on time) from the events (``_desks``).

**Digitised**, as the 2024 target counts it (``_digitised``): a digitised copy is attached (the
dossier came with its components in electronic form) *and* it has the legal value of the paper,
which the event log shows as the agency's signature: every document of the result signed
(``ResultSigned``). An upload alone is a scan anyone can make; a copy counts once it is signed,
or reused from the results store, where every copy is a signed result: a dossier whose
components all carry ``Document.reused_from`` counts at acceptance (docs/kpi-2024.md).

Exceptions: configuration and period labels raise ``ValueError``; an input the folds cannot
read is a value (``Reject``), dead-lettered by the runner.
"""

from hub.kpi._app import (
    DOSSIERS_SPEC,
    KPI_SPEC,
    PROCEDURES_SPEC,
    PROCESSORS,
)
from hub.kpi._config import (
    DEFAULT_INDICATOR_TARGETS,
    DEFAULT_TARGETS,
    INDICATORS,
    KpiSettings,
    PostalDeadlines,
    Targets,
)
from hub.kpi._desks import DeskRow, desk_report
from hub.kpi._dossier import Position, apply, fact_key, new_dossier
from hub.kpi._export import (
    FULL_ONLINE_TITLES,
    INDICATOR_TITLES,
    POSTAL_COLUMNS,
    POSTAL_TITLES,
    TARGET_COLUMNS,
    TARGET_TITLES,
    full_online_rows,
    indicator_rows,
    postal_rows,
    target_rows,
    write_csv,
    write_full_online_csv,
    write_indicators_csv,
    write_xlsx,
)
from hub.kpi._log import KpiReplay, Kpis, compare, compute, read_kpis, read_latest, replay_kpis
from hub.kpi._periods import Period, periods_of
from hub.kpi._postal_report import PostalRow, postal_figures
from hub.kpi._procedures import Offered, add_version, offered
from hub.kpi._processors import KpiDossierProcessor, KpiProcessor, ProcedureHistoryProcessor
from hub.kpi._ratings import (
    CRITERIA,
    HIGHEST,
    LOWEST,
    SATISFACTION_COLUMNS,
    SATISFACTION_TITLES,
    SATISFIED_FROM,
    OfficialSatisfactionRow,
    Satisfaction,
    satisfaction_by_official,
    satisfaction_cells,
)
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
from hub.kpi._targets import INDICATOR_FIELDS, TARGET_OF, TargetsRow, Verdict, indicators_2024

__all__ = [
    "CRITERIA",
    "CSV_COLUMNS",
    "DEFAULT_INDICATOR_TARGETS",
    "DEFAULT_TARGETS",
    "DOSSIERS_SPEC",
    "FULL_ONLINE_TITLES",
    "HIGHEST",
    "INDICATORS",
    "INDICATOR_FIELDS",
    "INDICATOR_TITLES",
    "KPI_SPEC",
    "LOWEST",
    "POSTAL_COLUMNS",
    "POSTAL_TITLES",
    "PROCEDURES_SPEC",
    "PROCESSORS",
    "RATE_COLUMNS",
    "SATISFACTION_COLUMNS",
    "SATISFACTION_TITLES",
    "SATISFIED_FROM",
    "TARGET_COLUMNS",
    "TARGET_OF",
    "TARGET_TITLES",
    "VERDICTS",
    "DeskRow",
    "FullOnlineRow",
    "FullOnlineTable",
    "IndicatorsRow",
    "KpiDossierProcessor",
    "KpiProcessor",
    "KpiReplay",
    "KpiSettings",
    "Kpis",
    "Offered",
    "OfficialSatisfactionRow",
    "OnlineSubmissionRow",
    "Period",
    "Position",
    "PostalDeadlines",
    "PostalRow",
    "ProcedureHistoryProcessor",
    "Rate",
    "Satisfaction",
    "Targets",
    "TargetsRow",
    "Verdict",
    "add_version",
    "apply",
    "apply_fact",
    "compare",
    "compute",
    "desk_report",
    "fact_key",
    "full_online_csv_row",
    "full_online_rows",
    "full_online_table",
    "indicator_rows",
    "indicators_766",
    "indicators_2024",
    "is_applied",
    "new_dossier",
    "new_snapshot",
    "offered",
    "online_submissions",
    "percent",
    "percent_text",
    "periods_of",
    "postal_figures",
    "postal_rows",
    "read_kpis",
    "read_latest",
    "received",
    "replay_kpis",
    "satisfaction_by_official",
    "satisfaction_cells",
    "snapshot_key",
    "target_rows",
    "write_csv",
    "write_full_online_csv",
    "write_indicators_csv",
    "write_xlsx",
]
