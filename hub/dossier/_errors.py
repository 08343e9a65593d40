"""The kernel's exceptions (drawn in ``hub.dossier``'s docstring)."""

from __future__ import annotations


class DossierError(Exception):
    """Everything the dossier kernel raises."""


class CatalogNotReady(DossierError):
    """The procedure catalogue could not be loaded in time."""
