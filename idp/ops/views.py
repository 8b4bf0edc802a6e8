"""``/metrics`` for Prometheus; the ``metrics_token`` guard keeps it absent unless switched on."""

from __future__ import annotations

from flask import Blueprint, Response

from idp import metrics

bp = Blueprint("ops", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
