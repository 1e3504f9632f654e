from tests.conftest import bearer
from tests.support import credit_code, lodge_body


def test_lodge_and_read(client):
    code = credit_code()
    r = client.post("/api/v1/complaints", json=lodge_body(code), headers=bearer("enterprise", "u", code))
    assert r.status_code == 201, r.text
    r2 = client.get(r.headers["location"], headers=bearer("enterprise", "u", code))
    assert r2.json()["status"] == "lodged"
