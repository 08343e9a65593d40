"""No personal data in any process's log: the portal connector as a real ``dvchub`` process at
DEBUG, fed events full of citizen ID numbers, phones, e-mails and addresses.

``assert_no_personal_data`` is the reusable check: give it a process's whole output and the
strings that must not be in it.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.processing import free_port
from hub.settings import Settings
from tests.connectors.portal.samples import item

DVCHUB = Path(sys.executable).with_name("dvchub")
PORTAL_KEY = "no-pii-portal-key-0001"


def _variants(secret: str) -> set[str]:
    """The ways ``secret`` can appear in a log: as is, escaped (JSON, Python, UTF-8 bytes), and
    each of those again inside a JSON string."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        repr(secret.encode())[2:-1],
        secret.encode("unicode_escape").decode("ascii"),
    }
    forms |= {json.dumps(form)[1:-1] for form in forms}  # and each of those inside JSON
    return {form for form in forms if form}


def assert_no_personal_data(log_text: str, secrets: Iterable[str]) -> None:
    """Fail, naming them, if any of ``secrets`` (in any of its escaped forms) is in ``log_text``.

    Reusable for any process: pass its whole stdout + stderr and every personal datum or key it
    was given.
    """
    lowered = log_text.lower()
    leaked = sorted(
        {secret for secret in secrets for form in _variants(secret) if form.lower() in lowered}
    )
    assert not leaked, f"{len(leaked)} personal data / secret value(s) in the log: {leaked}"


def test_assert_no_personal_data_finds_escaped_forms() -> None:
    assert_no_personal_data("dossier HS-1 accepted", ["0912345678", "Trần Hưng Đạo"])
    for text in ('{"a": "Tr\\u1ea7n H\\u01b0ng"}', "b'12 Tr\\xe1\\xba\\xa7n H\\xc6\\xb0ng'"):
        with pytest.raises(AssertionError, match="personal data"):
            assert_no_personal_data(text, ["Trần Hưng"])


# -- the portal connector as a process -------------------------------------------------------

CITIZENS: list[dict[str, Any]] = [
    {
        "kind": "CITIZEN",
        "full_name": "Trương Thị Mỹ Hạnh",
        "id_number": "079187000123",
        "phone": "0987654321",
        "email": "my.hanh.truong@example.vn",
        "address": {
            "line": "27 Nguyễn Thị Minh Khai",
            "ward": "Bến Nghé",
            "district": "Quận 1",
            "province": "Hồ Chí Minh",
        },
    },
    {
        "kind": "CITIZEN",
        "full_name": "Lê Văn Tám",
        "id_number": "361234567",  # old 9-digit ID
        "phone": "+84912000111",
        "email": "tam.le1980@example.com",
        "address": {
            "line": "Ấp Hòa Lợi 3, tổ 14",
            "ward": "Hòa Bình",
            "district": "Chợ Mới",
            "province": "An Giang",
        },
    },
    {
        "kind": "CITIZEN",
        "full_name": "Đặng Quốc Bảo",
        "id_number": "001099012345",
        "phone": "02963841234",  # landline, 0 and 10 digits
        "email": "quocbao.dang@example.org",
        "address": {
            "line": "Số 5 ngõ 42 Phố Huế",
            "ward": "Hàng Bài",
            "district": "Hoàn Kiếm",
            "province": "Hà Nội",
        },
    },
]
# Personal data in free text, which the connector accepts and forwards.
FREE_TEXT = "Gọi lại 0903111222 hoặc gửi thư tới hoa.nguyen@example.net, CCCD 092200001111"


def _secrets() -> list[str]:
    values = [PORTAL_KEY, "0903111222", "hoa.nguyen@example.net", "092200001111"]
    for citizen in CITIZENS:
        values += [citizen["id_number"], citizen["phone"], citizen["email"]]
        values += [citizen["full_name"], citizen["address"]["line"]]
    return values


@dataclass
class PortalProcess:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def portal_process(hub_topics: Settings, tmp_path: Path) -> Iterator[PortalProcess]:
    port = free_port()
    env = {
        **os.environ,
        "DVC_PORTAL_API_KEYS": f"PROVINCIAL_PORTAL:{PORTAL_KEY}",
        "DVC_TOPIC_PREFIX": hub_topics.topic_prefix,
        "DVC_PARTITIONS": str(hub_topics.partitions),
        "DVC_LOG_LEVEL": "DEBUG",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DVC_LOG_FORMAT", None)  # not a terminal: JSON lines
    log = tmp_path / "portal.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(DVCHUB), "portal", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = PortalProcess(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the portal connector exited:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{running.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the portal connector did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield running
    finally:
        running.stop()


def _submitted(citizen: dict[str, Any]) -> dict[str, Any]:
    event = item("DossierSubmitted", dossier_id=f"HS-{uuid.uuid4().hex[:10]}")
    event["payload"]["applicant"] = copy.deepcopy(citizen)
    return event


@pytest.mark.slow
def test_portal_logs_no_personal_data_at_debug(portal_process: PortalProcess) -> None:
    headers = {"X-API-Key": PORTAL_KEY}
    valid = [_submitted(citizen) for citizen in CITIZENS]
    step = item("ProcessingStepRecorded", dossier_id=valid[0]["dossier_id"])
    step["payload"]["content"] = FREE_TEXT
    broken = [_submitted(citizen) for citizen in CITIZENS]
    broken[0]["payload"]["applicant"]["email"] = "Liên hệ " + CITIZENS[0]["email"]
    broken[1]["payload"]["applicant"]["phone"] = CITIZENS[1]["phone"] + " (Zalo)"
    broken[2]["payload"]["applicant"]["id_number"] = CITIZENS[2]["id_number"] + " cấp 2021"
    with httpx.Client(base_url=portal_process.url, timeout=30) as http:
        accepted = http.post("/v1/events", json={"events": [*valid, step]}, headers=headers)
        assert accepted.status_code == 202, accepted.text
        refused = http.post("/v1/events", json={"events": broken}, headers=headers)
        assert refused.status_code == 422, refused.text
        again = http.post("/v1/events", json={"events": valid[:1]}, headers=headers)
        assert again.status_code == 202, again.text  # a duplicate
        stranger = http.post(
            "/v1/events", json={"events": valid}, headers={"X-API-Key": CITIZENS[0]["phone"]}
        )
        assert stranger.status_code == 401
    log = portal_process.stop()

    assert '"level": "debug"' in log, log[-2000:]  # DEBUG really was on
    assert "accepted 4 events" in log
    assert "refused a request with" in log
    assert "POST /v1/events" in log  # uvicorn's access log went through hub.logs too
    lines = [line for line in log.splitlines() if line.strip()]
    not_json = [line for line in lines if not _is_json_object(line)]
    assert not not_json, not_json[:5]
    assert_no_personal_data(log, _secrets())


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
