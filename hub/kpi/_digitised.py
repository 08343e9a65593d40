"""When a dossier counts as digitised for the 2024 target (DOMAIN.md §7), pure.

The target counts dossiers and results *digitised*: a scan uploaded with the application is not
enough. The rule: a digitised copy is **attached** (the dossier came with its components in
electronic form, ``DossierSubmitted.documents``) **and** it has the legal value of the paper:
it is **signed** by the agency, or **reused** from the results store (a document the agency
signed before, found again by its content key). The event log shows one of these: the
agency's digital signature on the result (a ``ResultSigned`` for every document the
``ResultReady`` listed). So:

* **result signed**: every document of the result is signed; counted once, in the period the
  dossier was resolved (its denominator is the resolved dossiers of that period);
* **dossier digitised**: its components were attached at intake and its result is signed;
  counted once, in the period the dossier was received (its denominator is the received ones).

A reused component carries the signature of the result it was issued as, so it would count as
signed; but no event says that a component came from the results store (``Document`` has no
origin), and matching its SHA-256 against results signed in other dossiers would make one
dossier's count depend on another partition's progress, so a replay could differ from the live
fold. Reuse counts once the portal reports it on the component (docs/kpi-2024.md).
"""

from __future__ import annotations

from hub.dossier import DossierEvent
from hub.kpi._counts import Counted
from hub.records import KpiDossier, ResultReady, ResultSigned


def digitisation(r: KpiDossier, event: DossierEvent) -> list[Counted]:
    """Record the result's documents and signatures on ``r``; the facts they complete."""
    if event.event_type == "RESULT_READY" and not r["result_documents"]:
        r["result_documents"] = [
            d["document_id"] for d in event.payload_as(ResultReady)["documents"]
        ]
    elif event.event_type == "RESULT_SIGNED":
        signed = event.payload_as(ResultSigned)["document_id"]
        if signed not in r["signed_documents"]:
            r["signed_documents"] = [*r["signed_documents"], signed]
    resolved_at = r["resolved_at"]
    if r["results_signed"] or resolved_at is None or not r["result_documents"]:
        return []
    if not set(r["result_documents"]) <= set(r["signed_documents"]):
        return []
    r["results_signed"] = True
    facts: list[Counted] = [("RESULT_SIGNED", resolved_at, {})]
    received_at = r["received_at"]
    if r["intake_digitised"] and received_at is not None:
        r["dossier_digitised"] = True
        facts.append(("DOSSIER_DIGITISED", received_at, {}))
    return facts
