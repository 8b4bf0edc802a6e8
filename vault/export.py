"""The citizen's download of everything: every module, every record with its full history and provenance."""

from __future__ import annotations

from typing import Any

from idp.database import utcnow
from vault import catalogue
from vault.services import RecordView, history, list_records

EXPORT_FORMAT = "logbook-vault-export/1"


def export_all(user_id: str) -> dict[str, Any]:
    modules: dict[str, Any] = {}
    for module in catalogue.modules().values():
        modules[module.name] = {
            "title": module.title,
            "schema": module.schema_id,
            "records": [_exported(user_id, record) for record in list_records(user_id, module.name)],
        }
    return {"exported_at": utcnow().isoformat(), "format": EXPORT_FORMAT, "modules": modules}


def _exported(user_id: str, record: RecordView) -> dict[str, Any]:
    exported = record.as_json()
    exported["history"] = [
        {"version": version.version, "data": version.data, "provenance": version.provenance.as_json()}
        for version in history(user_id, record.module, record.id)
    ]
    return exported
