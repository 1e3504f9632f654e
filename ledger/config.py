"""What the ledger's signer needs to know, as plain data (built from the settings by the
composition root, oversight/runtime.py): where the key is, how often to sign, where
signed heads are published."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ledger.keys import LedgerKey, signing_key


@dataclass(frozen=True)
class LedgerConfig:
    key_path: Path  # the Ed25519 signing key (OVERSIGHT_LEDGER_KEY, else var/)
    var_dir: Path  # where the published heads log goes unless heads_log names a file
    key_configured: bool = False  # OVERSIGHT_LEDGER_KEY was given
    head_events: int = 1000  # a head at least every N events
    head_seconds: float = 60.0  # and once M seconds passed since the last one
    # OVERSIGHT_LEDGER_HEADS_LOG: where signed heads are also appended
    # (ledger/published.py); None: var/ledger-heads-<database>.jsonl; "off": nowhere.
    heads_log: str | None = None
    poll_seconds: float = 1.0  # how often the signer looks for new leaves

    def signing_key(self) -> LedgerKey:
        """The signing key from its file; never made here (a missing key is an error
        naming `oversight ledger init-key`). Creating it is an explicit step: `oversight
        ledger init-key`, or oversight/runtime.py `prepare_secrets` for the embedded
        development server."""
        return signing_key(self.key_path, configured=self.key_configured, embedded=False)
