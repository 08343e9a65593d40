"""Reports as downloads: CSV and XLSX bodies with a file name."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from fastapi import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_download(write: Callable[[TextIO], None], filename: str) -> Response:
    """A ``text/csv`` attachment of what ``write`` writes."""
    text = io.StringIO()
    write(text)
    return Response(text.getvalue(), media_type="text/csv; charset=utf-8",
                    headers=_attachment(filename))  # fmt: skip


def xlsx_download(write: Callable[[Path], None], filename: str) -> Response:
    """An XLSX attachment of the workbook ``write`` saves at the path it is given."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / filename
        write(path)
        return Response(path.read_bytes(), media_type=XLSX, headers=_attachment(filename))


def download(
    format: str,
    name: str,
    *,
    csv: Callable[[TextIO], None],
    xlsx: Callable[[Path], None],
) -> Response | None:
    """The report as ``<name>.csv`` or ``<name>.xlsx`` for those formats; None for JSON."""
    if format == "csv":
        return csv_download(csv, f"{name}.csv")
    if format == "xlsx":
        return xlsx_download(xlsx, f"{name}.xlsx")
    return None


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
