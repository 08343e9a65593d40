"""The codes routing sends (EMC level, reception form) and the agency directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.routing import AgencyDirectory, Rules, emc_level, reception_form


@pytest.mark.parametrize(
    ("level", "form", "code"),
    [("DIRECT_ONLY", 2, 0), ("DIRECT_ONLY", 1, 0), ("UNKNOWN", 1, 0), ("PARTIAL_ONLINE", 2, 0),
     ("PARTIAL_ONLINE", 1, 3), ("FULL_ONLINE", 2, 1), ("FULL_ONLINE", 1, 4)],
)  # fmt: skip
def test_emc_level_combines_the_procedure_level_and_the_reception_form(
    level: str, form: int, code: int
) -> None:
    assert emc_level(level, form) == code


def test_a_postal_dossier_counts_as_configured_for_emc() -> None:
    state: dict[str, Any] = {"from_national_portal": False, "channel": "POSTAL"}
    assert reception_form(state) == 2
    assert reception_form(state, "ONLINE") == 1
    assert reception_form({**state, "channel": "DIRECT"}, "ONLINE") == 2
    with pytest.raises(ValueError, match="postal_counts_as"):
        Rules(postal_counts_as="BY_PIGEON")


def test_the_agency_directory_is_read_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "agencies.toml"
    path.write_text(
        '[default]\nname = "Trung tâm PVHCC"\nline = "1 Lê Triệu Kiết"\nprovince = "An Giang"\n'
        'phone = "0296111"\n\n[agencies.STP]\nline = "3 Lê Lợi"\nprovince = "An Giang"\n'
        'phone = "0296222"\nemail = "stp@angiang.gov.vn"\n',
        encoding="utf-8",
    )
    directory = AgencyDirectory.load(path)
    assert directory.contact("STP").name == "Trung tâm PVHCC"  # no name: the default's
    assert directory.contact("STP").party("Sở Tư pháp") == {
        "name": "Sở Tư pháp", "phone": "0296222", "email": "stp@angiang.gov.vn",
        "address": {"line": "3 Lê Lợi", "ward": None, "district": None, "province": "An Giang"},
    }  # fmt: skip
    assert directory.contact("OTHER").line == "1 Lê Triệu Kiết"


@pytest.mark.parametrize(
    ("text", "message"),
    [("[agencies.STP]\nname = 'x'\n", "lacks line, province, phone"),
     ("[agencies.STP]\nline='a'\nprovince='b'\nphone='c'\nfax='d'\n", "unknown key"),
     ("[agency]\n", "unknown table"), ("[default\n", "not valid TOML"),
     ("[agencies.STP]\nline=''\nprovince='b'\nphone='c'\n", "must be text")],
)  # fmt: skip
def test_a_bad_agency_directory_is_refused_precisely(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "agencies.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        AgencyDirectory.load(path)
    with pytest.raises(ValueError, match="No such file"):
        AgencyDirectory.load(tmp_path / "missing.toml")
