"""When a dossier counts as digitised for the 2024 target (DOMAIN.md §7), pure.

The target counts dossiers and results *digitised*: a scan uploaded with the application is not
enough. The rule: a digitised copy is **attached** (the dossier came with its components in
electronic form, ``DossierSubmitted.documents``) **and** each component has the legal value of
the paper: it is **signed** by the agency, or **reused** from the results store (a document the
agency issued and signed before, ``Document.reused_from``, as the portal reports it). The event
log shows the agency's signature on the result (a ``ResultSigned`` for every document the
``ResultReady`` listed), which is the agency's signed record of the dossier's components. So:

* **result signed**: every document of the result is signed; counted once, in the period the
  dossier was resolved (its denominator is the resolved dossiers of that period);
* **dossier digitised**: its components were attached at intake, and either every one of them
  was reused (``components_reused``: each already carries a signature, nothing waits for the
  result) or its result is signed (the components that were uploaded are signed with it);
  counted once, as soon as that holds, in the period the dossier was received (its denominator
  is the received ones).

Reuse is read from the component itself (its ``reused_from``), never by matching its SHA-256
against results signed in other dossiers: that would make one dossier's count depend on how
far another partition has been folded, and a replay could differ from the live fold.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.dossier import DossierEvent
from hub.kpi._counts import Counted
from hub.records import Document, DossierSubmitted, KpiDossier, ResultReady, ResultSigned


def all_reused(documents: Sequence[Document]) -> bool:
    """Components attached, every one reused from the results store."""
    return bool(documents) and all(d.get("reused_from") is not None for d in documents)


def digitisation(r: KpiDossier, event: DossierEvent) -> list[Counted]:
    """Record the intake's reuse, the result's documents and signatures on ``r``; the facts
    they complete."""
    if event.event_type == "DOSSIER_SUBMITTED":
        r["components_reused"] = all_reused(
            event.payload_as(DossierSubmitted).get("documents") or []
        )
    elif event.event_type == "RESULT_READY" and not r["result_documents"]:
        r["result_documents"] = [
            d["document_id"] for d in event.payload_as(ResultReady)["documents"]
        ]
    elif event.event_type == "RESULT_SIGNED":
        signed = event.payload_as(ResultSigned)["document_id"]
        if signed not in r["signed_documents"]:
            r["signed_documents"] = [*r["signed_documents"], signed]
    return _result_signed(r) + _dossier_digitised(r)


def _result_signed(r: KpiDossier) -> list[Counted]:
    resolved_at = r["resolved_at"]
    if r["results_signed"] or resolved_at is None or not r["result_documents"]:
        return []
    if not set(r["result_documents"]) <= set(r["signed_documents"]):
        return []
    r["results_signed"] = True
    return [("RESULT_SIGNED", resolved_at, {})]


def _dossier_digitised(r: KpiDossier) -> list[Counted]:
    received_at = r["received_at"]
    if r["dossier_digitised"] or not r["intake_digitised"] or received_at is None:
        return []
    if not (r["results_signed"] or r["components_reused"]):
        return []
    r["dossier_digitised"] = True
    return [("DOSSIER_DIGITISED", received_at, {})]
