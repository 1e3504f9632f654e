import json, uuid
from tests.conftest import bearer
from tests.support import credit_code, lodge_body


def test_explore(client, clock):
    code = credit_code()
    ent = bearer("enterprise", "u", code)
    sup = bearer("supervisor", "s")
    r = client.post("/api/v1/complaints", json=lodge_body(code), headers=ent)
    cid = r.json()["id"]
    def p(r): print(r.status_code, r.headers.get("content-type"), r.text[:400])
    p(client.get("/api/v1/complaints?status=bogus", headers=sup))
    p(client.get("/api/v1/complaints?overdue=maybe", headers=sup))
    p(client.get(f"/api/v1/complaints/{cid}?version=0", headers=sup))
    p(client.get(f"/api/v1/complaints/{cid}?version=9", headers=sup))
    p(client.get(f"/api/v1/complaints/{cid}", headers=bearer("department", "d", "dx")))
    p(client.get(f"/api/v1/complaints/not-a-uuid", headers=sup))
    p(client.get(f"/api/v1/complaints/{uuid.uuid4()}", headers=sup))
    p(client.get("/api/v1/complaints?cursor=garbage", headers=sup))
    p(client.get("/api/v1/complaints", headers={**sup, "X-Min-Position": "abc"}))
    p(client.post(f"/api/v1/complaints/{cid}/rate", json={"rating": "satisfied"}, headers=ent))
    p(client.post(f"/api/v1/complaints/{cid}/accept", json={}, headers={**sup, "If-Match": "abc"}))
    p(client.post(f"/api/v1/complaints/{cid}/accept", json={}, headers={**sup, "If-Match": 'W/"1"'}))
    p(client.post(f"/api/v1/complaints/{cid}/accept", json={}, headers=sup))
    p(client.post(f"/api/v1/complaints/{cid}/transfer", json={"department": "dd", "working_days": -1}, headers=sup))
    p(client.post(f"/api/v1/complaints/{cid}/transfer", json={"department": "dd"}, headers=sup))
    p(client.post(f"/api/v1/complaints/{cid}/request-extension", json={"working_days": 11, "reason": "x"}, headers=bearer("department", "d", "dd")))
    p(client.post(f"/api/v1/complaints/{cid}/reply", json={"answer": "x"}, headers=bearer("department", "d", "dd")))
    p(client.post(f"/api/v1/complaints/{cid}/review", json={"approved": False}, headers=sup))
    p(client.post(f"/api/v1/complaints/{cid}/review", json={"approved": False, "note": ""}, headers=sup))
    p(client.post(f"/api/v1/complaints/{cid}/review", content=b"", headers=sup))
    p(client.post(f"/api/v1/complaints/{cid}/review", json=[1], headers=sup))
    p(client.post(f"/api/v1/complaints/{cid}/review", json={"approved": False, "note": "x", "complainant": {"name": ""}}, headers=sup))
    b = lodge_body(code); del b["complainant"]["name"]
    p(client.post("/api/v1/complaints", json=b, headers=ent))
    b = lodge_body(code); b["complainant"]["phone"] = "abc"
    p(client.post("/api/v1/complaints", json=b, headers=ent))
    p(client.get(f"/api/v1/complaints/{cid}", params={"as_of": "2024-09-23T17:00:00+08:00"}, headers=ent))
    p(client.get(f"/api/v1/complaints/{cid}", params={"as_of": "2024-09-23T16:59:59+08:00"}, headers=ent))
    p(client.get(f"/api/v1/complaints/{cid}", params={"as_of": "garbage"}, headers=ent))
    p(client.get(f"/api/v1/audit-trail", params={"case_id": cid}, headers=ent))
    p(client.get(f"/static/swagger/swagger-ui-bundle.js"))
    p(client.get(f"/schema/openapi.json"))
    assert 0
