"""The tamper-evident ledger over HTTP: the public key and the latest checkpoint (C2SP
tlog-checkpoint) for anyone; the latest signed tree head and RFC 9162 inclusion and
consistency proofs for supervisors and inspectors.

`position` is an event's notification id (what commands return as `position` and
`X-Position`); proofs answer its `leaf_index` in the tree too. Hashes, roots and
signatures are base64; formats in docs/ledger.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import MediaType, Router, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.config import ApiConfig
from api.errors import ApiError, invalid
from api.guards import roles_guard
from api.inputs import INT64_MAX
from api.representation import Representation
from api.services import Services
from domain.values import Role
from ledger.casemaps import CaseMapMismatch, case_map_at, keep
from ledger.checkpoint import origin_of, verifier_key
from ledger.heads import TreeHead, b64, from_ms
from ledger.keys import KeyFileError, LedgerKey
from ledger.merkle import consistency_proof, inclusion_proof, tree_root
from ledger.published import database_identity, publisher_for
from ledger.signer import LedgerKeyMismatch, LedgerMismatch, SigningPolicy, sign_due
from ledger.view import (
    LedgerGap,
    case_events,
    compute,
    head_at,
    latest_checkpoint,
    latest_head,
    leaf_of,
    ledger_size,
    log_origin,
)

B64 = msgspec.Meta(description="Base64.")
_HEAD_OPT = {"statuses": {404: "No tree head has been signed yet (`no-tree-head`)."}}


class SignedTreeHead(Representation, omit_defaults=True):
    """A signed tree head: the ledger's size and root, signed with Ed25519 (docs/ledger.md).
    `map_root` and `checkpoint` appear on heads that have them."""

    size: Annotated[int, msgspec.Meta(ge=0, description="Leaves (events) in the tree.")]
    root: Annotated[str, B64]
    timestamp: Annotated[int, msgspec.Meta(description="When signed, ms since the epoch.")]
    signed_at: Annotated[datetime, msgspec.Meta(description="`timestamp` as an instant.")]
    signature: Annotated[str, B64]
    key_id: str
    map_root: Annotated[str | None, B64] = None
    checkpoint: Annotated[
        str | None, msgspec.Meta(description="The head as a C2SP tlog-checkpoint note.")
    ] = None


def signed_tree_head(head: TreeHead) -> SignedTreeHead:
    return SignedTreeHead(
        size=head.size,
        root=b64(head.root),
        timestamp=head.timestamp,
        signed_at=from_ms(head.timestamp),
        signature=b64(head.signature),
        key_id=head.key_id,
        map_root=b64(head.map_root) if head.map_root is not None else None,
        checkpoint=head.checkpoint,
    )


class LedgerKeyOut(Representation):
    """The key that signs tree heads."""

    algorithm: Literal["Ed25519"]
    key_id: str
    public_key: Annotated[str, msgspec.Meta(description="The 32 raw bytes, base64.")]
    pem: Annotated[str, msgspec.Meta(description="The same key as PEM.")]
    origin: Annotated[str, msgspec.Meta(description="This log's name in its checkpoints.")]
    verifier_key: Annotated[
        str,
        msgspec.Meta(description="The key in the signed-note format: `<name>+<key ID>+<key>`."),
    ]


class InclusionProof(Representation):
    """An RFC 9162 inclusion proof of one event."""

    position: int
    case_id: UUID
    version: int
    leaf_index: int
    tree_size: int
    leaf_hash: Annotated[str, B64]
    inclusion_path: Annotated[list[str], msgspec.Meta(description="Base64 hashes.")]
    root: Annotated[str, B64]
    tree_head: SignedTreeHead | None


class ConsistencyProof(Representation):
    """An RFC 9162 consistency proof between two tree sizes."""

    tree_size_1: int
    tree_size_2: int
    consistency_path: Annotated[list[str], msgspec.Meta(description="Base64 hashes.")]
    root_1: Annotated[str, B64]
    root_2: Annotated[str, B64]
    tree_head_1: SignedTreeHead | None
    tree_head_2: SignedTreeHead | None


LEDGER_ROLES = frozenset({Role.SUPERVISOR, Role.INSPECTOR})
_guard = roles_guard(LEDGER_ROLES, "read the ledger")

_KEYS: dict[Path, LedgerKey] = {}


def ledger_key(settings: ApiConfig) -> LedgerKey:
    """The signing key from its file (loaded once per process)."""
    path = settings.ledger.key_path
    key = _KEYS.get(path)
    if key is None:
        try:
            key = _KEYS[path] = settings.ledger.signing_key()
        except KeyFileError as e:
            raise ApiError(
                503, "ledger-key-unavailable", "Ledger key unavailable", str(e)
            ) from None
    return key


def _no_head() -> ApiError:
    return ApiError(404, "no-tree-head", "No signed tree head", "no tree head has been signed yet")


async def head_covering(conn: asyncpg.Connection, settings: ApiConfig, size: int) -> TreeHead:
    """The latest signed head if it covers the first `size` leaves; else sign one now
    (the ledger must already hold them)."""
    head = await latest_head(conn)
    if head is not None and head.size >= size:
        return head
    key = ledger_key(settings)
    policy = SigningPolicy(settings.ledger.head_events, settings.ledger.head_seconds)
    publish = await publisher_for(conn, settings.ledger.heads_log, settings.ledger.var_dir)
    try:
        await sign_due(conn, key, policy, force=True, publish=publish)
    except LedgerKeyMismatch as e:
        _KEYS.pop(settings.ledger.key_path, None)  # read the file again next time
        raise ApiError(
            503,
            "ledger-key-mismatch",
            "Ledger key mismatch",
            f"no head can be signed with this key: {e}",
        ) from None
    except LedgerMismatch as e:
        raise ApiError(
            503,
            "ledger-inconsistent",
            "Ledger inconsistent",
            f"no head can be signed: {e}; run `oversight verify`",
        ) from None
    head = await latest_head(conn)
    if head is None or head.size < size:
        raise ApiError(
            503,
            "ledger-behind",
            "Ledger behind",
            "the ledger has not reached these events yet",
            headers={"Retry-After": "1"},
        )
    return head


async def bundle_evidence(
    conn: asyncpg.Connection, settings: ApiConfig, case_id: UUID, needed: int
) -> tuple[list[dict[str, Any]], TreeHead, list[list[bytes]], dict[str, Any] | None]:
    """What a case's bundle proves, read in one snapshot: the case's events under the
    latest signed head (one covering the first `needed` leaves is signed if there is
    none), each event's inclusion proof, and the case's entry in the head's case map
    with its proof (None for a head signed before the map)."""
    await head_covering(conn, settings, needed)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        head = await latest_head(conn)
        assert head is not None
        rows = [
            r
            for r in await case_events(conn, case_id)
            if r["position"] is not None and r["position"] < head.size
        ]
        positions = [r["position"] for r in rows]
        size = head.size
        proofs = await compute(conn, lambda get: [inclusion_proof(p, size, get) for p in positions])
        if head.map_root is None:
            return rows, head, proofs, None
        try:
            case_map, _ = await case_map_at(conn, head)
        except CaseMapMismatch as e:
            raise ApiError(
                503, "ledger-inconsistent", "Ledger inconsistent", f"{e}; run `oversight verify`"
            ) from None
        entry = case_map.get(case_id)
        proof = case_map.proof(case_id) if entry is not None else []
        await keep(conn, case_map, head.size)
    if entry is None:
        return rows, head, proofs, None
    return (
        rows,
        head,
        proofs,
        {
            "case_type": entry.case_type,
            "last_version": entry.last_version,
            "leaf_index": entry.leaf_index,
            "proof": [b64(h) for h in proof],
        },
    )


@get("/key", summary="The public key that signs tree heads (no token needed)", security=[{}])
async def public_key(services: NamedDependency[Services]) -> LedgerKeyOut:
    """Ed25519; `public_key` is the 32 raw bytes in base64, `pem` the same key as PEM
    (save it as a file for `oversight verify --key`); `origin` names this log in its
    checkpoints and `verifier_key` is the key in the signed-note format
    (`<name>+<key ID>+<base64(0x01 || key)>`) that note verifiers and witnesses take."""
    key = ledger_key(services.settings)
    async with services.pool.acquire() as conn:
        origin = await log_origin(conn, origin_of(await database_identity(conn)))
    described = key.describe()
    return LedgerKeyOut(
        algorithm="Ed25519",
        key_id=described["key_id"],
        public_key=described["public_key"],
        pem=described["pem"],
        origin=origin,
        verifier_key=verifier_key(origin, key),
    )


@get(
    "/checkpoint",
    summary="The latest signed head as a C2SP tlog-checkpoint signed note (no token needed)",
    media_type=MediaType.TEXT,
    security=[{}],
    opt=_HEAD_OPT,
)
async def checkpoint(services: NamedDependency[Services]) -> str:
    """`<origin>\n<size>\n<root, base64>\n\n— <origin> <base64(key ID || Ed25519
    signature)>\n` (c2sp.org/tlog-checkpoint, c2sp.org/signed-note): verify it with
    the `verifier_key` of `GET /api/v1/ledger/key`."""
    async with services.pool.acquire() as conn:
        note = await latest_checkpoint(conn)
    if note is None:
        raise _no_head()
    return note


@get("/head", guards=[_guard], summary="The latest signed tree head", opt=_HEAD_OPT)
async def tree_head(services: NamedDependency[Services]) -> SignedTreeHead:
    async with services.pool.acquire() as conn:
        head = await latest_head(conn)
    if head is None:
        raise _no_head()
    return signed_tree_head(head)


@get(
    "/proof/inclusion",
    guards=[_guard],
    summary="An RFC 9162 inclusion proof",
    opt={
        "statuses": {
            404: "No event at `position` is in the ledger yet (`not-in-ledger`), or no tree"
            " head is signed yet (`no-tree-head`)."
        }
    },
)
async def inclusion(
    services: NamedDependency[Services],
    position: Annotated[
        int, QueryParameter(ge=1, le=INT64_MAX, description="the event's notification id")
    ],
    size: Annotated[
        int | None,
        QueryParameter(ge=1, le=INT64_MAX, description="tree size (default: the latest head's)"),
    ] = None,
) -> InclusionProof:
    """The audit path of the event at `position` in the tree of `size` leaves."""
    async with services.pool.acquire() as conn:
        leaf = await leaf_of(conn, position)
        if leaf is None:
            raise ApiError(
                404,
                "not-in-ledger",
                "Not in the ledger",
                f"no event at position {position} is in the ledger (yet)",
            )
        if size is None:
            head = await latest_head(conn)
            if head is None:
                raise _no_head()
            size = head.size
        else:
            current = await ledger_size(conn)
            if size > current:
                raise invalid("size", f"the tree has {current} leaves")
            head = await head_at(conn, size)
        index = leaf["position"]
        if index >= size:
            raise invalid("size", f"the event is leaf {index}: not in a tree of {size} leaves")
        tree_size = size
        try:
            proof, root = await compute(
                conn,
                lambda get: (inclusion_proof(index, tree_size, get), tree_root(tree_size, get)),
            )
        except LedgerGap as e:
            raise ApiError(503, "ledger-gap", "Ledger incomplete", str(e)) from None
    return InclusionProof(
        position=position,
        case_id=leaf["originator_id"],
        version=leaf["originator_version"],
        leaf_index=index,
        tree_size=size,
        leaf_hash=b64(leaf["leaf_hash"]),
        inclusion_path=[b64(h) for h in proof],
        root=b64(root),
        tree_head=signed_tree_head(head) if head else None,
    )


@get("/proof/consistency", guards=[_guard], summary="An RFC 9162 consistency proof")
async def consistency(
    services: NamedDependency[Services],
    first: Annotated[
        int, QueryParameter(name="from", ge=1, le=INT64_MAX, description="the smaller tree size")
    ],
    second: Annotated[
        int, QueryParameter(name="to", ge=1, le=INT64_MAX, description="the larger tree size")
    ],
) -> ConsistencyProof:
    """Proves the tree of `to` leaves extends the tree of `from` leaves (0 < from <= to)."""
    if first < 1:
        raise invalid("from", "must be at least 1")
    if first > second:
        raise invalid("from", "must not be larger than to")
    async with services.pool.acquire() as conn:
        current = await ledger_size(conn)
        if second > current:
            raise invalid("to", f"the tree has {current} leaves")
        try:
            proof, root1, root2 = await compute(
                conn,
                lambda get: (
                    consistency_proof(first, second, get),
                    tree_root(first, get),
                    tree_root(second, get),
                ),
            )
        except LedgerGap as e:
            raise ApiError(503, "ledger-gap", "Ledger incomplete", str(e)) from None
        head1, head2 = await head_at(conn, first), await head_at(conn, second)
    return ConsistencyProof(
        tree_size_1=first,
        tree_size_2=second,
        consistency_path=[b64(h) for h in proof],
        root_1=b64(root1),
        root_2=b64(root2),
        tree_head_1=signed_tree_head(head1) if head1 else None,
        tree_head_2=signed_tree_head(head2) if head2 else None,
    )


router = Router(
    path="/api/v1/ledger",
    route_handlers=[public_key, checkpoint, tree_head, inclusion, consistency],
    tags=["ledger"],
)
