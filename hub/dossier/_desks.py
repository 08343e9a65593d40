"""The province's receiving desks (Bộ phận Một cửa) and service centres, from configuration.

Since NĐ 107/2021 (NĐ 118/2025 from 2025-07-01) a citizen may file at any desk of the province
("không phụ thuộc vào địa giới hành chính", DOMAIN.md §7): the desk that receives a dossier
(``DossierSubmitted.receiving_desk``) and the agency competent for it are two facts. Every
processor that needs a desk's name, kind or place reads it here; the list is a TOML file
(``DVC_DESK_DIRECTORY``)::

    [desks.TTHCC]                    # one table per desk code, as the events name it
    name = "Trung tâm Phục vụ hành chính công tỉnh An Giang"
    kind = "CENTRE"                  # CENTRE (provincial centre) | DISTRICT | COMMUNE desk
    line = "Số 1 Lê Triệu Kiết"      # postal address: line, province, phone required
    ward = "Phường Mỹ Bình"
    district = "Thành phố Long Xuyên"
    province = "An Giang"
    phone = "02963957999"
    email = "tthcc@angiang.gov.vn"   # optional

The place of a desk (province and district) decides whether a paper dossier it forwards needs
the post (``hub.routing``): a desk and an agency in the same district hand it over themselves.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, get_args

from hub.records import Party, PostalAddress

DeskKind = Literal["CENTRE", "DISTRICT", "COMMUNE"]
_KINDS: Final = frozenset(get_args(DeskKind))
_OPTIONAL: Final = frozenset({"ward", "district", "email"})
_REQUIRED: Final = ("name", "kind", "line", "province", "phone")


@dataclass(frozen=True)
class PostalContact:
    """A desk or an agency as a postal party: name, address, phone."""

    name: str
    line: str
    province: str
    phone: str
    ward: str | None = None
    district: str | None = None
    email: str | None = None

    @property
    def place(self) -> tuple[str, str]:
        """Province and district, compared without case or surrounding blanks."""
        return place_of(self.province, self.district)

    def party(self, name: str | None = None) -> Party:
        """The ``vn.dvchub.Party`` record (``name`` overrides the entry's)."""
        address: PostalAddress = {"line": self.line, "ward": self.ward, "district": self.district,
                   "province": self.province}  # fmt: skip
        return {"name": name or self.name, "address": address, "phone": self.phone,
                "email": self.email}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Desk:
    """One receiving desk: its code, kind, and name and postal address."""

    code: str
    kind: DeskKind
    contact: PostalContact

    @property
    def name(self) -> str:
        return self.contact.name


def place_of(province: str, district: str | None) -> tuple[str, str]:
    """A place as ``Desk.place`` compares it."""
    return province.strip().casefold(), (district or "").strip().casefold()


@dataclass(frozen=True)
class DeskDirectory:
    """desk code -> Desk; a dossier naming a desk not listed is still applied (the desk is then
    reported by its code and never given a postal order)."""

    desks: Mapping[str, Desk] = field(default_factory=dict)

    def get(self, code: str | None) -> Desk | None:
        return None if code is None else self.desks.get(code)

    def name(self, code: str) -> str:
        """The desk's name, or its code when it is not listed."""
        desk = self.desks.get(code)
        return code if desk is None else desk.name

    @classmethod
    def load(cls, path: Path) -> DeskDirectory:
        """Read a TOML directory (format in the module docstring); ``ValueError`` if it is bad."""
        document = read_toml(path, "desk directory")
        unknown = sorted(set(document) - {"desks"})
        tables = document.get("desks", {})
        if unknown or not isinstance(tables, dict):
            raise ValueError(f"desk directory {path}: only a [desks.<code>] table per desk")
        return cls({str(code): _desk(path, str(code), table) for code, table in tables.items()})


def read_toml(path: Path, what: str) -> dict[str, object]:
    """A configuration file's TOML document; ``ValueError`` naming ``what`` if it cannot be."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ValueError(f"{what} {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{what} {path}: not valid TOML: {exc}") from exc


def _desk(path: Path, code: str, table: object) -> Desk:
    where = f"desk directory {path}: [desks.{code}]"
    if not isinstance(table, dict):
        raise ValueError(f"{where} must be a table")
    unknown = sorted(set(table) - _OPTIONAL - set(_REQUIRED))
    missing = [k for k in _REQUIRED if k not in table]
    bad = sorted(k for k, v in table.items() if not isinstance(v, str) or not v.strip())
    if unknown or missing or bad:
        raise ValueError(f"{where}: unknown {unknown}, missing {missing}, not text {bad}")
    kind = table["kind"]
    if kind not in _KINDS:
        raise ValueError(f"{where}: kind {kind!r} is not one of {sorted(_KINDS)}")
    contact = PostalContact(
        name=table["name"], line=table["line"], province=table["province"],
        phone=table["phone"], ward=table.get("ward"), district=table.get("district"),
        email=table.get("email"),
    )  # fmt: skip
    return Desk(code, kind, contact)
