"""The agency directory: where VNPost picks a dossier up from and delivers it to, per agency.

Postal orders name the agency as receiver (intake) or sender (return) with a postal address and a
phone, which the catalogue does not carry. They come from a TOML file (``DVC_AGENCY_DIRECTORY``)::

    [default]                       # any agency not listed (optional: a built-in one otherwise)
    name = "Trung tâm Phục vụ hành chính công tỉnh An Giang"
    line = "Số 1 Lê Triệu Kiết"
    ward = "Phường Mỹ Bình"
    district = "Thành phố Long Xuyên"
    province = "An Giang"
    phone = "02963957999"
    email = "tthcc@angiang.gov.vn"  # optional

    [agencies.STP]                  # one table per agency code; same keys, all but name required
    name = "Sở Tư pháp"
    line = "..."

Since 2025 a one-stop desk receives dossiers for every agency of the province, so the default
entry is the province's public-administration service centre: a dossier of an agency without an
entry is picked up for, and returned from, that centre. The name printed on an order is the
catalogue's agency name when it has one, else the entry's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hub.dossier import PostalContact, read_toml

_ADDRESS_KEYS = ("line", "ward", "district", "province")
_KEYS = frozenset({"name", "phone", "email", *_ADDRESS_KEYS})
_REQUIRED = ("line", "province", "phone")


#: An agency as a postal party (the kernel's ``PostalContact``, which desks are too).
AgencyContact = PostalContact


#: The built-in default entry (a placeholder of the province's service centre: configure yours).
DEFAULT_AGENCY = AgencyContact(
    name="Trung tâm Phục vụ hành chính công tỉnh",
    line="Bộ phận Một cửa, Trung tâm Phục vụ hành chính công",
    province="An Giang",
    phone="02963957999",
)


@dataclass(frozen=True)
class AgencyDirectory:
    """agency code -> contact, with a default for agencies not listed."""

    agencies: Mapping[str, AgencyContact] = field(default_factory=dict)
    default: AgencyContact = DEFAULT_AGENCY

    def contact(self, agency_code: str) -> AgencyContact:
        return self.agencies.get(agency_code, self.default)

    @classmethod
    def load(cls, path: Path) -> AgencyDirectory:
        """Read a TOML directory (format in the module docstring); ``ValueError`` if it is bad."""
        document = read_toml(path, "agency directory")
        unknown = sorted(set(document) - {"default", "agencies"})
        if unknown:
            raise ValueError(f"agency directory {path}: unknown table(s) {', '.join(unknown)}")
        default = DEFAULT_AGENCY
        if "default" in document:
            default = _contact(path, "default", document["default"], None)
        tables = document.get("agencies", {})
        if not isinstance(tables, dict):
            raise ValueError(f"agency directory {path}: agencies must be a table of tables")
        agencies = {
            str(code): _contact(path, f"agencies.{code}", table, default)
            for code, table in tables.items()
        }
        return cls(agencies, default)


def _contact(path: Path, where: str, table: object, default: AgencyContact | None) -> AgencyContact:
    if not isinstance(table, dict):
        raise ValueError(f"agency directory {path}: [{where}] must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ValueError(f"agency directory {path}: [{where}] unknown key(s) {', '.join(unknown)}")
    bad = sorted(k for k, v in table.items() if not isinstance(v, str) or not v.strip())
    if bad:
        raise ValueError(f"agency directory {path}: [{where}] {', '.join(bad)} must be text")
    needed = [*_REQUIRED, *(() if default is not None else ("name",))]
    missing = [k for k in needed if k not in table]
    if missing:
        raise ValueError(f"agency directory {path}: [{where}] lacks {', '.join(missing)}")
    name = table.get("name") or (default.name if default is not None else "")
    return AgencyContact(
        name=name, line=table["line"], province=table["province"], phone=table["phone"],
        ward=table.get("ward"), district=table.get("district"), email=table.get("email"),
    )  # fmt: skip
