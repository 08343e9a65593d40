"""Content-addressed document storage: documents are stored under their SHA-256."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from ._errors import CorruptDocument, DocumentNotFound

__all__ = ["DocumentStore", "LocalDocumentStore", "sha256_hex"]

_KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DocumentStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, key: str) -> bytes: ...


class LocalDocumentStore:
    """Stores ``data`` at ``root/ab/cdef...`` where ``abcdef...`` is its SHA-256 (hex).

    Writes are atomic (temp file + rename), so a reader never sees half a document
    and concurrent writers of the same content are harmless.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, key: str) -> Path:
        if not _KEY_PATTERN.fullmatch(key):
            # Also what keeps "../" and friends out of the file system.
            raise ValueError(f"not a SHA-256 hex digest: {key!r}")
        return self.root / key[:2] / key[2:]

    def put(self, data: bytes) -> str:
        key = sha256_hex(data)
        target = self.path_for(key)
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as temp_file:
                temp_file.write(data)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        try:
            path = self.path_for(key)
        except ValueError as exc:
            raise DocumentNotFound(str(exc)) from exc
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise DocumentNotFound(f"no document stored under {key}") from exc
        if sha256_hex(data) != key:
            # Bit rot or tampering on disk: never hand out content under a wrong address.
            raise CorruptDocument(f"stored document {key} does not match its hash")
        return data
