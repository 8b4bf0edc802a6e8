"""Domain errors and how they reach people (HTML pages) and programs (JSON).

Views raise ``DomainError`` subclasses; one handler turns them into a 4xx page or JSON body, so no bad
input ever becomes a 500 or a stack trace. Protocol endpoints use Authlib's ``OAuth2Error`` instead.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/oauth2/", "/.well-known/", "/userinfo", "/jwks")


class DomainError(Exception):
    """A rule was broken; ``message`` is safe and useful to show to the person or program."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


def wants_json() -> bool:
    if request.path.startswith(JSON_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, code: str, message: str) -> Response | tuple[Any, int]:
    if wants_json():
        response = jsonify(error=code, error_description=message)
        response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("errors/error.html", status=status, message=message), status


HTTP_MESSAGES = {
    400: "The request could not be understood. Check what you entered and try again.",
    403: "You do not have permission to see this page.",
    404: "Page not found. If you typed the web address, check it is correct.",
    405: "That action is not allowed here.",
    413: "What you sent is too large.",
    415: "That type of content is not accepted here.",
    429: "There have been too many attempts. Wait a few minutes, then try again.",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> Any:
        return error_response(error.status_code, error.code, error.message)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError) -> Any:
        return error_response(
            400, "csrf_failed", "Your form expired or was sent from elsewhere. Go back, reload and try again."
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if status >= 500:
            log.error("HTTP %s on %s", status, request.path)
        message = HTTP_MESSAGES.get(status, error.description or "Something went wrong.")
        code = (error.name or "error").lower().replace(" ", "_")
        response = error_response(status, code, message)
        if status == 405 and error.get_response().headers.get("Allow"):
            response = app.make_response(response)
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Any:
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "server_error", "Sorry, there is a problem with the service. Try again later.")
