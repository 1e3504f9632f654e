"""The identity endpoints' request examples in the OpenAPI document work (issue 14 for
issue 15's endpoints): an administrator sends each example of the reference data and
account operations for real and gets a success; the examples that carry secrets
(a password, a refresh token, a one-time code) are well formed, so the server answers
about the secret (401) or the state, never that the request is malformed (400, 422).

And the answers keep their shapes on the wire: the OAuth 2.0 token response, who I am,
the lists."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.identity_support import STRONG, auth, ready_admin, tokens

pytestmark = pytest.mark.http

TOKEN_FIELDS = {"access_token", "token_type", "expires_in", "refresh_token"}


def example(document: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    media = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    examples = media["examples"]
    assert examples, (method, path)
    return next(iter(examples.values()))["value"]


def test_each_identity_example_is_accepted(ic):
    document = ic.get("/schema/openapi.json").json()
    admin = ready_admin(ic)

    # Reference data: register, then change, with the documented examples.
    for plural in ("departments", "categories"):
        body = example(document, f"/api/v1/{plural}")
        created = ic.post(f"/api/v1/{plural}", json=body, headers=admin)
        assert created.status_code == 201, (plural, created.text)
        assert created.json()["position"] >= 1
        url = created.headers["location"]
        change = example(document, f"/api/v1/{plural}/{{code}}", "patch")
        changed = ic.patch(url, json=change, headers=admin)
        assert changed.status_code == 200, (plural, changed.text)
        assert changed.json()["version"] == created.json()["version"] + 1
        seen = {**admin, "X-Min-Position": changed.headers["x-position"]}
        listed = ic.get(f"/api/v1/{plural}", headers=seen).json()["items"]
        mine = next(item for item in listed if item["code"] == body["code"])
        assert mine["name"] == change["name"]
        assert mine["active_until"] == change["active_until"]

    # An account from the example, then every administrator's change in turn (moving it
    # to a second department).
    move_to = example(document, "/api/v1/accounts/{login}/change-organisation")["org"]
    other = {"code": move_to, "name": "省发展和改革委员会"}
    assert ic.post("/api/v1/departments", json=other, headers=admin).status_code == 201
    created = ic.post("/api/v1/accounts", json=example(document, "/api/v1/accounts"), headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["password"]
    url = created.headers["location"]
    for name in (
        "grant-role",
        "change-organisation",
        "withdraw-role",
        "lock",
        "unlock",
        "disable",
        "enable",
    ):
        body = example(document, f"/api/v1/accounts/{{login}}/{name}")
        r = ic.post(f"{url}/{name}", json=body, headers=admin)
        assert r.status_code == 200, (name, r.text)
    # Its second factor was never turned on: the example is taken, the state refuses it.
    body = example(document, "/api/v1/accounts/{login}/disable-totp")
    r = ic.post(f"{url}/disable-totp", json=body, headers=admin)
    assert (r.status_code, r.json()["type"].rsplit("/", 1)[-1]) == (409, "move-not-allowed")
    page = ic.get("/api/v1/accounts", headers=admin).json()
    assert set(page) == {"items", "next_cursor"}
    assert [a["login"] for a in page["items"]] == sorted(a["login"] for a in page["items"])

    # An API key for the example's service account.
    key_body = example(document, "/api/v1/api-keys")
    service = {"login": key_body["login"], "role": "clerk", "kind": "service"}
    assert ic.post("/api/v1/accounts", json=service, headers=admin).status_code == 201
    key = ic.post("/api/v1/api-keys", json=key_body, headers=admin)
    assert key.status_code == 201, key.text
    assert key.json()["key"]
    me = ic.get("/api/v1/me", headers={"Authorization": f"Bearer {key.json()['key']}"})
    assert me.json()["credential"] == "api_key", me.text

    # An enterprise registers with the example.
    registered = ic.post("/api/v1/auth/register", json=example(document, "/api/v1/auth/register"))
    assert registered.status_code == 201, registered.text
    assert registered.json()["kind"] == "enterprise"


def test_examples_with_secrets_are_well_formed(ic):
    document = ic.get("/schema/openapi.json").json()
    admin = ready_admin(ic)
    signed = tokens(ic, "root", STRONG)
    assert set(signed) == TOKEN_FIELDS
    assert signed["token_type"] == "Bearer"
    assert isinstance(signed["expires_in"], int)

    for path, headers, wanted in (
        ("/api/v1/auth/login", {}, 401),  # no such login
        ("/api/v1/auth/refresh", {}, 401),  # no such refresh token
        ("/api/v1/auth/logout", {}, 204),  # nothing to revoke: the same answer
        ("/api/v1/auth/password", auth(signed), 401),  # not the old password
    ):
        r = ic.post(path, json=example(document, path), headers=headers)
        assert r.status_code == wanted, (path, r.text)
    # The example code for a secret just enrolled: refused for its value only (a code of
    # the enrolled secret is right once in a million).
    assert ic.post("/api/v1/auth/totp", headers=admin).status_code == 201
    r = ic.post(
        "/api/v1/auth/totp/confirm",
        json=example(document, "/api/v1/auth/totp/confirm"),
        headers=admin,
    )
    assert r.status_code == 200 or [e["field"] for e in r.json()["errors"]] == ["code"], r.text
    # The admin is still who it was: nothing the refused examples did changed it.
    me = ic.get("/api/v1/me", headers=admin).json()
    assert me["login"] == "root"
    assert me["account"]["totp_enabled"] is (r.status_code == 200)


def test_the_accounts_list_pages_by_cursor_and_refuses_the_old_name(ic):
    admin = ready_admin(ic)
    for login in ("paging-a", "paging-b", "paging-c"):
        r = ic.post("/api/v1/accounts", json={"login": login, "role": "clerk"}, headers=admin)
        assert r.status_code == 201, r.text
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": "1", "role": "clerk", **({"cursor": cursor} if cursor else {})}
        page = ic.get("/api/v1/accounts", params=params, headers=admin).json()
        seen += [item["login"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and {"paging-a", "paging-b", "paging-c"} <= set(seen)
    assert len(seen) == len(set(seen))
    refused = ic.get("/api/v1/accounts", params={"after": "paging-a"}, headers=admin)
    assert refused.status_code == 400
    assert "renamed: use cursor" in refused.text
