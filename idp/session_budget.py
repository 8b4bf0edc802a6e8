"""A ceiling on the Flask session cookie.

The cookie is signed, not encrypted, and browsers drop one over 4 KB without a word: a sign-in, step-up or
pending authorization that outgrew it would simply be lost. Some of what goes into it comes from the
request (the ``next`` URL kept while a second factor is asked for, the step-up's way back, the pending
consent's authorization parameters), so a long enough request could push it over. Rather than let that
happen, a request that would leave the cookie over ``MAX_SESSION_COOKIE_BYTES`` is answered with a clear
400 and the session keeps what it had before the request.
"""

from __future__ import annotations

from flask import Flask, Response, request, session

from idp.errors import error_response

# Room under werkzeug's 4,093-byte limit for the cookie's name and attributes (``__Host-`` prefix, Path,
# SameSite, Secure, HttpOnly, Expires).
MAX_SESSION_COOKIE_BYTES = 3800
MESSAGE = "This request is too long for us to keep while you sign in. Go back to the service and start again."


def install(app: Flask) -> None:
    """Register the check; it runs after the other ``after_request`` hooks that may still change the
    session (the last registered runs first), and before Flask saves the session."""

    @app.after_request
    def refuse_oversized_session(response: Response) -> Response:
        if not session.modified or _cookie_size(app) <= MAX_SESSION_COOKIE_BYTES:
            return response
        earlier = app.session_interface.open_session(app, request)  # as the request's cookie had it
        session.clear()
        session.update(dict(earlier or {}))
        return app.make_response(error_response(400, "request_too_large", MESSAGE))


def _cookie_size(app: Flask) -> int:
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return len(serializer.dumps(dict(session))) if serializer is not None else 0
