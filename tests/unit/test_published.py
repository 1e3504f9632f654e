"""The published heads' file: appended JSON lines, read back exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.heads import TreeHead
from ledger.keys import generate_key_file
from ledger.published import append_heads, read_heads


def test_heads_append_and_read_back(tmp_path: Path) -> None:
    key = generate_key_file(tmp_path / "k.key")
    heads = [TreeHead.sign(key, n, bytes([n]) * 32, 1_700_000_000_000 + n) for n in (1, 2, 5)]
    log = tmp_path / "sub" / "heads.jsonl"
    append_heads(log, heads[:2])
    append_heads(log, [])
    append_heads(log, heads[2:])
    assert read_heads(log) == heads
    assert len(log.read_text().splitlines()) == 3
    assert all(h.verify(key) for h in read_heads(log))


def test_a_damaged_line_is_named(tmp_path: Path) -> None:
    log = tmp_path / "heads.jsonl"
    log.write_text('{"size": 1, "timestamp": 5, "key_id": "k", "root": "AA==", "signature": ""}\n')
    with pytest.raises(ValueError, match=r"heads\.jsonl:1: tree_head\.root"):
        read_heads(log)
    log.write_text("not json\n")
    with pytest.raises(ValueError, match=r"heads\.jsonl:1:"):
        read_heads(log)
