"""The publisher's one exception: what a caller of ``hub.publish`` catches (the CLI prints it
and exits non-zero); file-system errors are translated into it where they happen."""

from __future__ import annotations


class PublishError(Exception):
    """The pages cannot be built or written as asked (the message says why and where)."""
