"""The examples' settings: from the environment, or the JSON file ``EXAMPLES_CLIENTS_FILE`` that
``logbook demo seed`` writes. ``LOGBOOK_ISSUER``; ``<SLUG>_CLIENT_ID``, ``<SLUG>_CLIENT_SECRET``, ``<SLUG>_PORT``,
``<SLUG>_URL``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    issuer: str
    client_id: str
    client_secret: str
    port: int
    base_url: str

    @classmethod
    def from_env(cls, slug: str, default_port: int) -> Settings:
        saved = _saved_clients().get(slug, {})

        def env(name: str, default: Any) -> str:
            return os.environ.get(f"{slug.upper()}_{name}") or str(default)

        port = int(env("PORT", saved.get("port", default_port)))
        return cls(
            issuer=os.environ.get("LOGBOOK_ISSUER", "http://127.0.0.1:5000").rstrip("/"),
            client_id=env("CLIENT_ID", saved.get("client_id", "")),
            client_secret=env("CLIENT_SECRET", saved.get("client_secret", "")),
            port=port,
            base_url=env("URL", f"http://127.0.0.1:{port}").rstrip("/"),
        )


def _saved_clients() -> dict[str, dict[str, Any]]:
    path = os.environ.get("EXAMPLES_CLIENTS_FILE")
    return json.loads(Path(path).read_text()) if path and Path(path).exists() else {}
