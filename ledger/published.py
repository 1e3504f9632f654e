"""Signed tree heads published outside the database: an append-only JSON-lines file.

The heads in `views.ledger_heads` prove the store against everything but someone who can
rewrite the whole database: truncate events, ledger and heads together and start again.
Each head the signer commits is therefore also appended here, one JSON object per line
(`TreeHead.to_json`), flushed to disk; the file lives with the key, outside the
database (`OVERSIGHT_LEDGER_HEADS_LOG`, default `var/ledger-heads.jsonl`), and may be
copied anywhere (an inspector's machine, write-once storage). `oversight verify`
checks every head in it against the store: a head the store can no longer reproduce
(events removed, altered or replaced) is reported, even when the database's own heads
were rewritten or removed.

Several processes may sign (one at a time: the signer's advisory lock); each appends
to its own file when they do not share one. Any subset of the heads is a valid log.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from ledger.heads import TreeHead


def append_heads(path: Path, heads: Sequence[TreeHead]) -> None:
    """Append `heads` as JSON lines, in one write, and flush them to disk."""
    if not heads:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(h.to_json(), sort_keys=True) + "\n" for h in heads).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_heads(path: Path) -> list[TreeHead]:
    """The heads in a log, in file order; ValueError naming the first bad line."""
    heads = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                heads.append(TreeHead.from_json(json.loads(line)))
            except ValueError as e:  # json.JSONDecodeError is a ValueError
                raise ValueError(f"{path}:{number}: {e}") from None
    return heads
