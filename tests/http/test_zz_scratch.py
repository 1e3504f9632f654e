import json
from tests.conftest import bearer
from tests.support import credit_code, lodge_body


def test_explore(client, clock):
    code = credit_code()
    ent = bearer("enterprise", "u", code)
    r = client.post("/api/v1/complaints", json=lodge_body(code, confidential=True), headers=ent)
    print(r.status_code, dict(r.headers), json.dumps(r.json(), ensure_ascii=False, indent=1))
    cid = r.json()["id"]
    clock.advance(hours=1)
    r = client.post(f"/api/v1/complaints/{cid}/accept", json={}, headers=bearer("clerk", "c1"))
    print(r.status_code, r.json())
    clock.advance(hours=1)
    r = client.post(f"/api/v1/complaints/{cid}/transfer", json={"department": "d1"}, headers=bearer("clerk", "c1"))
    print(r.status_code, r.json())
    r = client.get(f"/api/v1/complaints/{cid}/history", headers=bearer("department", "d", "d1"))
    print(json.dumps(r.json(), ensure_ascii=False, indent=1))
    r = client.get(f"/api/v1/complaints", headers={**bearer("department", "d", "d1"), "X-Min-Position": "1"})
    print(json.dumps(r.json(), ensure_ascii=False, indent=1))
    r = client.post(f"/api/v1/complaints/{cid}/accept", json={"urgent": "x"}, headers=bearer("enterprise", "u", code))
    print(r.status_code, r.headers, r.text)
    r = client.post(f"/api/v1/complaints/{cid}/accept", content=b"{bad", headers=bearer("clerk", "u"))
    print(r.status_code, r.headers, r.text)
    b = lodge_body(code); b["complainant"]["credit_code"] = code[:-1] + ("0" if code[-1] != "0" else "1")
    r = client.post("/api/v1/complaints", json=b, headers=ent)
    print(r.status_code, r.text)
    for bb in [{"kind": "x"}, {"extra": 1}, {"title": 5}]:
        b = lodge_body(code); b.update(bb)
        r = client.post("/api/v1/complaints", json=b, headers=ent)
        print(r.status_code, r.text)
    b = lodge_body(code); del b["title"]
    r = client.post("/api/v1/complaints", json=b, headers=ent)
    print(r.status_code, r.text)
    r = client.get(f"/api/v1/complaints/{cid}?as_of=2024-09-23T09:00:00", headers=ent)
    print(r.status_code, r.text)
    r = client.get("/schema/swagger")
    print(r.status_code, r.text)
    r = client.get("/readyz")
    print(r.status_code, r.text)
    r = client.get(f"/api/v1/audit-trail?case_id={cid}", headers=bearer("inspector", "i"))
    print(r.status_code, r.text)
    assert 0
