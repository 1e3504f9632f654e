"""The in-browser verification of an evidence bundle (api/pages/static/verify.js), run in
headless Chromium under the pages' Content-Security-Policy (issue 17, 证据包 / 验证).

A real bundle comes from a real server (uvicorn in a thread, with its projection runner
and signer), and the script fetches the server's published key itself. The script's
verdict is held against ledger/bundle.py's (`oversight verify --bundle`) for the real
bundle, for targeted tampering (one byte of an event, the signature, the head, a wrong
key, a dropped last event) and for random single-byte changes of the bundle's text.
"""

from __future__ import annotations

import base64
import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.bundle import verify_bundle
from ledger.keys import parse_key
from tests.http.pages_browser import CHROMIUM_ARGS, serve
from tests.http.support import (
    API,
    clerk,
    department,
    enterprise,
    inspector,
    lodge_body,
    supervisor,
)
from tests.support import credit_code

pytestmark = pytest.mark.http

VERIFY_JS = Path(__file__).resolve().parents[2] / "api" / "pages" / "static" / "verify.js"
KEY_URL = "/api/v1/ledger/key"


@pytest.fixture(scope="module")
def served(database_url: str, settings: Any) -> Iterator[str]:
    with serve(database_url, settings, run_projections=True) as base:
        yield base


@pytest.fixture(scope="module")
def bundle(served: str) -> dict[str, Any]:
    """A complaint with a few versions, and its bundle as the server gives it."""
    with httpx.Client(base_url=served, timeout=30) as http:
        code = credit_code()
        r = http.post(API, json=lodge_body(code), headers=enterprise(code))
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]
        for name, body, who in (
            ("accept", {"note": "受理"}, clerk()),
            ("transfer", {"department": "dept-env"}, clerk()),
            ("reply", {"answer": "已处理"}, department("dept-env")),
            ("review", {"approved": True}, supervisor()),
        ):
            r = http.post(f"{API}/{case_id}/{name}", json=body, headers=who)
            assert r.status_code == 200, (name, r.text)
        r = http.get(f"{API}/{case_id}/bundle", headers=inspector())
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
    assert len(found["events"]) == 5
    return found


@pytest.fixture(scope="module")
def page(served: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from tests.browser import require_chromium

    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")  # the pages follow Accept-Language
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text))
            page.on("pageerror", lambda e: console.append(f"page error: {e}"))
            # Any page of the served app, under its strict CSP (script-src 'self'); the
            # script is loaded from our own origin as a file, as the pages load it.
            r = page.goto(served + "/")
            assert r is not None and r.status == 200
            assert "script-src 'self'" in (r.headers.get("content-security-policy") or "")
            script_url = served + "/__test__/verify.js"
            page.route(
                script_url,
                lambda route: route.fulfill(
                    body=VERIFY_JS.read_text(), content_type="text/javascript"
                ),
            )
            page.add_script_tag(url=script_url)
            page.wait_for_function("() => !!globalThis.OversightVerify")
            yield page
            assert not [m for m in console if "Content Security Policy" in m], console
            assert not [m for m in console if m.startswith("page error")], console
        finally:
            browser.close()


def in_browser(page: Any, bundle: Any, key: str | None = None) -> dict[str, Any]:
    """The script's verdict; without `key`, the key the server publishes, fetched by the
    page itself."""
    result: dict[str, Any] = page.evaluate(
        """async ([bundle, key, keyUrl]) => {
            if (key === null) {
                const r = await fetch(keyUrl);
                key = await r.text();
            }
            return await OversightVerify.verifyBundle(bundle, key);
        }""",
        [bundle, key, KEY_URL],
    )
    return result


def published_key(served: str) -> dict[str, Any]:
    r = httpx.get(served + KEY_URL, timeout=30)
    assert r.status_code == 200, r.text
    key: dict[str, Any] = r.json()
    return key


def python_problems(bundle: Any, key_text: str) -> list[str]:
    key = parse_key(key_text.encode())
    assert key is not None
    return verify_bundle(bundle, key)[1]


def test_a_real_bundle_verifies_against_the_published_key(
    page: Any, bundle: dict[str, Any], served: str
) -> None:
    result = in_browser(page, bundle)
    assert result["ok"], result
    assert result["problems"] == []
    key = published_key(served)
    assert result["keyId"] == key["key_id"]
    assert result["facts"][0] == (
        f"树头（大小 {bundle['tree_head']['size']}）由密钥 {key['key_id']} 签名"
    )
    assert result["facts"][1] == f"案件 {bundle['case_id']} 的 5 个事件均包含在树中"
    assert "全部历史" in result["facts"][2]
    # The key in each form the inspector may hold it in: PEM, raw base64, the JSON.
    for text in (key["pem"], key["public_key"], json.dumps(key)):
        assert in_browser(page, bundle, text)["ok"]
    # The same text as a file would give it (a string, parsed by the script).
    assert in_browser(page, json.dumps(bundle))["ok"]
    assert python_problems(bundle, key["pem"]) == []


def _flip(data: str, at: int) -> str:
    raw = bytearray(base64.b64decode(data))
    raw[at % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_one_byte_changed_in_an_event_is_rejected(page: Any, bundle: dict[str, Any]) -> None:
    changed = copy.deepcopy(bundle)
    changed["events"][2]["state"] = _flip(changed["events"][2]["state"], 10)
    result = in_browser(page, changed)
    assert not result["ok"]
    leaf = changed["events"][2]["leaf_index"]
    nid = changed["events"][2]["notification_id"]
    assert result["problems"] == [
        f"第 3 版（通知 {nid}，叶 {leaf}）：内容与证明推不出签名的根（被改动，或不在此树中）"
    ]


def test_a_wrong_key_is_rejected(page: Any, bundle: dict[str, Any], served: str) -> None:
    other = Ed25519PrivateKey.generate().public_key()
    pem = other.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    result = in_browser(page, bundle, pem)
    assert not result["ok"]
    signer = published_key(served)["key_id"]
    assert result["keyId"] != signer
    assert result["problems"] == [f"树头由密钥 {signer} 签名，而不是所用公钥 {result['keyId']}"]
    assert in_browser(page, bundle, "not a key")["problems"][0].startswith("公钥无法识别")


def test_a_forged_signature_or_head_is_rejected(page: Any, bundle: dict[str, Any]) -> None:
    forged = copy.deepcopy(bundle)
    forged["tree_head"]["signature"] = _flip(forged["tree_head"]["signature"], 5)
    size = bundle["tree_head"]["size"]
    assert in_browser(page, forged)["problems"] == [f"树头（大小 {size}）的签名无效"]
    for field, value in (("timestamp", bundle["tree_head"]["timestamp"] + 1), ("size", size + 1)):
        moved = copy.deepcopy(bundle)
        moved["tree_head"][field] = value
        result = in_browser(page, moved)
        assert not result["ok"] and any("签名无效" in p for p in result["problems"]), result
    other_map = copy.deepcopy(bundle)
    other_map["tree_head"]["map_root"] = _flip(other_map["tree_head"]["map_root"], 0)
    result = in_browser(page, other_map)
    assert "签名无效" in result["problems"][0] and "映射根" in result["problems"][-1]


def test_a_bundle_missing_its_last_event_or_of_another_type_is_rejected(
    page: Any, bundle: dict[str, Any]
) -> None:
    dropped = {**bundle, "events": bundle["events"][:-1]}
    result = in_browser(page, dropped)
    assert not result["ok"]
    assert "有事件缺失" in result["problems"][-1]
    renamed = {**bundle, "case_type": "commitment"}
    assert in_browser(page, renamed)["problems"] == [
        "证据包称案件类型为 commitment；签名的案件映射为 complaint"
    ]
    swapped = {
        **bundle,
        "events": [bundle["events"][1], bundle["events"][0], *bundle["events"][2:]],
    }
    problems = in_browser(page, swapped)["problems"]
    assert any("应为第 1 版" in p for p in problems) and any(
        "不在上一事件之后" in p for p in problems
    )


def test_english_messages_follow_the_page_language(page: Any, bundle: dict[str, Any]) -> None:
    page.evaluate("document.documentElement.lang = 'en'")
    try:
        changed = copy.deepcopy(bundle)
        changed["events"][0]["state"] = _flip(changed["events"][0]["state"], 3)
        problems = in_browser(page, changed)["problems"]
        assert problems and problems[0].startswith("version 1 (notification ")
        assert "do not lead to the signed root" in problems[0]
    finally:
        page.evaluate("document.documentElement.lang = 'zh-CN'")


def test_random_single_byte_changes_agree_with_the_python_verifier(
    page: Any, bundle: dict[str, Any], served: str
) -> None:
    """Change one byte of the bundle's text at random places: the script and
    ledger/bundle.py accept and reject the same ones (a change to an unsigned field such
    as a notification id is accepted by both; invalid JSON is rejected)."""
    pem = published_key(served)["pem"]
    text = json.dumps(bundle)
    rng = random.Random(17)
    agreed = rejected = 0
    for _ in range(40):
        at = rng.randrange(len(text))
        replacement = rng.choice("0123456789abcdefABCDEF+/=")
        if text[at] == replacement:
            continue
        changed = text[:at] + replacement + text[at + 1 :]
        try:
            parsed: Any = json.loads(changed)
        except ValueError:
            parsed = None
        expected_ok = parsed is not None and python_problems(parsed, pem) == []
        result = in_browser(page, changed, pem)
        assert result["ok"] == expected_ok, (at, text[at - 20 : at + 20], result)
        agreed += 1
        rejected += not expected_ok
    assert agreed >= 30 and rejected >= 10  # most bytes of a bundle are signed evidence
