"""Satisfaction ratings through the portal's real HTTP server into the real broker and registry:
scores out of the 1-5 scale and ratings the batch shows to come before the dossier's end are
refused with a 422 naming the field; nothing of a refused batch is produced."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS
from tests.connectors.portal.conftest import read_back, records_in
from tests.connectors.portal.samples import item

RETURNED_AT = "2025-03-20T10:00:00+07:00"


def rating(occurred_at: str = "2025-03-21T08:00:00+07:00", **scores: object) -> dict[str, Any]:
    sent = item("SatisfactionRated", occurred_at=occurred_at)
    sent["payload"].update(scores)
    return sent


def test_a_rating_after_the_result_was_returned_is_produced_with_its_scores(
    http: httpx.Client, hub_topics: Settings, registry: RegistryClient
) -> None:
    returned = item("ResultReturned", occurred_at=RETURNED_AT)
    sent = rating(attitude=2, comment="Cán bộ hướng dẫn chưa rõ")
    response = http.post("/v1/events", json={"events": [returned, sent]})
    assert response.status_code == 202, response.text
    topic = DOSSIER_EVENTS.name(hub_topics.topic_prefix)
    serde = serde_for(DOSSIER_EVENTS, hub_topics.topic_prefix, registry)
    (_, first), (_, second) = read_back(hub_topics, topic, serde, 2)
    assert first["event_type"] == "RESULT_RETURNED"
    assert second["event_type"] == "SATISFACTION_RATED"
    assert second["occurred_at"] == datetime(2025, 3, 21, 1, tzinfo=UTC)
    assert second["payload"] == ("vn.dvchub.event.SatisfactionRated", {
        "attitude": 2, "time": 4, "publicity": 4, "fees": 5, "overall": 4,
        "channel": "PROVINCIAL_PORTAL", "official_id": "cb-0031",
        "comment": "Cán bộ hướng dẫn chưa rõ",
    })  # fmt: skip


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"attitude": 0}, [("events[0].payload.attitude", "greater_than_equal")]),
        ({"overall": 6, "fees": -1}, [("events[0].payload.fees", "greater_than_equal"),
                                      ("events[0].payload.overall", "less_than_equal")]),
        ({"time": 4.5}, [("events[0].payload.time", "int_type")]),
        ({"time": "5"}, [("events[0].payload.time", "int_type")]),
    ],
)  # fmt: skip
def test_a_score_off_the_scale_is_refused_and_nothing_is_produced(
    http: httpx.Client, hub_topics: Settings, scores: dict[str, object],
    expected: list[tuple[str, str]],
) -> None:  # fmt: skip
    sent = rating()
    sent["payload"].update(scores)
    response = http.post("/v1/events", json={"events": [sent]})
    assert response.status_code == 422
    errors = sorted((e["path"], e["rule"]) for e in response.json()["errors"])
    assert errors == expected
    assert records_in(hub_topics, DOSSIER_EVENTS.name(hub_topics.topic_prefix)) == 0


def test_a_rating_the_batch_shows_before_the_end_is_refused(
    http: httpx.Client, hub_topics: Settings
) -> None:
    still_open = [item("ResultReady", occurred_at=RETURNED_AT), rating()]
    response = http.post("/v1/events", json={"events": still_open})
    assert response.status_code == 422
    assert [(e["path"], e["rule"]) for e in response.json()["errors"]] == [
        ("events[1].event_type", "rated_before_end")
    ]
    early = [item("ResultReturned", occurred_at=RETURNED_AT),
             rating(occurred_at="2025-03-20T09:59:00+07:00")]  # fmt: skip
    response = http.post("/v1/events", json={"events": early})
    assert response.status_code == 422
    assert [(e["path"], e["rule"]) for e in response.json()["errors"]] == [
        ("events[1].occurred_at", "rated_before_end")
    ]
    assert records_in(hub_topics, DOSSIER_EVENTS.name(hub_topics.topic_prefix)) == 0


def test_a_rating_of_a_dossier_the_batch_does_not_show_is_the_hubs_to_judge(
    http: httpx.Client, hub_topics: Settings
) -> None:
    # another dossier's open events do not matter; this one's state is the lifecycle's
    other = item("ResultReady", dossier_id="UBND-LX-250303-000099", occurred_at=RETURNED_AT)
    response = http.post("/v1/events", json={"events": [other, rating()]})
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 2
