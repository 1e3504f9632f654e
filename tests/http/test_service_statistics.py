"""Government service statistics: recorded, corrected, and shown on the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import bearer

API = "/api/v1/service-statistics"
SUPERVISOR = bearer("supervisor", "sup-1")
DASHBOARD = "/api/v1/dashboard?from=2020-01-01&to=2020-06-30"


def test_the_release_figures_and_a_correction_as_of(fresh_client, clock):
    client = fresh_client
    clock.set(datetime(2020, 7, 1, 2, 0, tzinfo=UTC))
    body = {
        "period_start": "2020-01-01",
        "period_end": "2020-06-30",
        "online": 2_571_536,
        "offline": 1_571_174,
    }
    r = client.post(API, json=body, headers=SUPERVISOR)
    assert r.status_code == 201, r.text
    stats = r.json()
    assert stats["total"] == 4_142_710

    headers = {**SUPERVISOR, "X-Min-Position": str(stats["position"])}
    items = client.get(DASHBOARD, headers=headers).json()["service_items"]
    assert items == {
        "scope": "province",
        "periods": ["2020-01-01/2020-06-30"],
        "overlapping": [],
        "partly_outside": [],
        "items": 4_142_710,
        "online": 2_571_536,
        "offline": 1_571_174,
        "online_share": 62.07,
        "offline_share": 37.93,
    }

    clock.set(datetime(2020, 7, 3, 2, 0, tzinfo=UTC))
    corrected = client.post(
        f"{API}/{stats['id']}/correct",
        json={"online": 2_571_536, "offline": 1_571_175, "reason": "补录一件"},
        headers={**SUPERVISOR, "If-Match": '"1"'},
    )
    assert corrected.status_code == 200, corrected.text
    headers["X-Min-Position"] = str(corrected.json()["position"])
    assert client.get(DASHBOARD, headers=headers).json()["service_items"]["offline"] == 1_571_175
    before = client.get(DASHBOARD + "&as_of=2020-07-02", headers=headers).json()
    assert before["service_items"]["offline"] == 1_571_174

    history = client.get(f"{API}/{stats['id']}/history", headers=SUPERVISOR).json()
    assert [e["type"] for e in history["events"]] == ["Recorded", "Corrected"]
    assert history["events"][1]["data"]["reason"] == "补录一件"


def test_bad_input_and_refused_roles_store_nothing(client):
    bad = {"period_start": "2020-07-01", "period_end": "2020-06-30", "online": 1, "offline": 1}
    r = client.post(API, json=bad, headers=SUPERVISOR)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "period_end"
    r = client.post(
        API, json={**bad, "period_start": "2020-01-01", "online": -1}, headers=SUPERVISOR
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "online"
    for role, org in (("department", "d"), ("enterprise", "91350100M000100Y43"), ("clerk", None)):
        r = client.post(
            API,
            json={**bad, "period_start": "2020-01-01"},
            headers=bearer(role, "u", org),
        )
        assert r.status_code == 403
