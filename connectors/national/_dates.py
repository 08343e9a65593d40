"""The national portal's dates: ``connectors.common``'s government date format (EMC uses it
too), under the name national's modules import."""

from connectors.common import VIETNAM, from_portal, to_portal, to_portal_or_none

__all__ = ["VIETNAM", "from_portal", "to_portal", "to_portal_or_none"]
