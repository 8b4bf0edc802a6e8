"""The machinery of the bad-input sweep (tests/test_bad_input_everywhere.py): every URL rule of the app,
filled in, and a fixed set of hostile requests to send to each.

Everything here is deterministic: the same rules, values and requests on every run.
"""

from __future__ import annotations

import base64
import json
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from tests.oauth.forge import hmac_signed, unsigned

# Rules the sweep leaves alone: static files served by Flask itself.
SKIPPED_ENDPOINTS = {"static", "assets", "frontend"}

# Endpoints that end the sign-in (or the account) they are called with: sent last, so that the rest of the
# sweep runs signed in.
ENDING_ENDPOINTS = (
    "account.end_session",
    "account.end_other_sessions",
    "accounts.sign_out",
    "oauth2.end_session",
    "oauth2_consent.logout_confirm",
    "vault.delete_account",
)

# Every form field the app's pages read, plus the protocol parameters of OAuth 2.0 / OIDC and the vault.
FIELD_NAMES = (
    "allowed_modules auth_method birthdate channel check code confirm confirm_password contact current_password "
    "days decision delivery documents email family_name given_name jwks keep logo_uri max_auth_age min_acr "
    "min_identity_level modules name new_password overlap_hours password phone post_logout_redirect_uris postcode "
    "purpose redirect_uris reference request_id roles scope scopes type next acr max_age kind "
    "response_type client_id redirect_uri state nonce code_challenge code_challenge_method prompt acr_values claims "
    "id_token_hint login_hint ui_locales authorization_details grant_type refresh_token code_verifier token "
    "token_type_hint client_secret client_assertion client_assertion_type post_logout_redirect_uri step_up "
    "subject sharing_code tenancy_reference start_date rent_amount credential"
).split()

# Values for path variables, by variable name; ``None`` means "a seeded id" (see Seeded.path_values).
HOSTILE_SEGMENTS = {
    "unknown id": "00000000-0000-0000-0000-000000000000",
    "very long": "a" * 5000,
    "dot-dot": "..",
    "percent-encoded NUL": "%00",
    "invalid UTF-8": "%FF%FE",
    "non-ASCII": "\u00e9\u202e\U0001f600",
    "quote and angle brackets": "%22%3Cscript%3E",
}

OAUTH_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "unsupported_response_type",
    "server_error",
    "temporarily_unavailable",
    "unsupported_token_type",
    "invalid_token",
    "insufficient_scope",
    "login_required",
    "consent_required",
    "interaction_required",
    "account_selection_required",
    "invalid_request_uri",
    "invalid_request_object",
    "request_not_supported",
    "request_uri_not_supported",
    "registration_not_supported",
    "unmet_authentication_requirements",
    "invalid_authorization_details",
    "insufficient_user_authentication",
}
# RFC 6749 section 5.2: error and error_description use %x20-21 / %x23-5B / %x5D-7E only.
OAUTH_TEXT = re.compile(r"^[\x20\x21\x23-\x5b\x5d-\x7e]*$")
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "sqlalchemy.exc", "werkzeug.exceptions.")


@dataclass
class Endpoint:
    """One (rule, method) pair with its path filled in."""

    rule: Rule
    method: str
    path: str

    @property
    def label(self) -> str:
        return f"{self.method} {self.rule.rule} ({self.rule.endpoint})"


@dataclass
class Context:
    """What a hostile request may carry to get past the front door: a CSRF token for the browser's session,
    and the right credentials for the protocol and API endpoints."""

    csrf: str | None = None
    client_basic: tuple[str, str] | None = None
    bearer: str | None = None
    service_bearer: str | None = None
    plausible: dict[str, str] = field(default_factory=dict)

    def authorization(self, path: str) -> dict[str, str]:
        if path.startswith("/oauth2/") and self.client_basic:
            pair = f"{self.client_basic[0]}:{self.client_basic[1]}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        if path.startswith("/api/v1/access-requests") and self.service_bearer:
            return {"Authorization": f"Bearer {self.service_bearer}"}
        if path.startswith(("/api/", "/userinfo")) and self.bearer:
            return {"Authorization": f"Bearer {self.bearer}"}
        return {}


def fill(rule: Rule, values: dict[str, str]) -> str:
    """The rule's path with each ``<converter:name>`` replaced by ``values[name]`` (already URL-shaped)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda match: values[match.group(1)], rule.rule)


def endpoints(app: Flask, values: dict[str, str]) -> list[Endpoint]:
    """Every (rule, method) of the app, path variables from ``values``; the session-ending ones last."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append(Endpoint(rule, method, fill(rule, values)))
    return sorted(found, key=lambda e: (e.rule.endpoint in ENDING_ENDPOINTS, e.rule.endpoint, e.rule.rule, e.method))


def rules_with_variables(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.arguments and r.endpoint not in SKIPPED_ENDPOINTS]


# --- forged credentials ---------------------------------------------------------------------------------------

ATTACKER_KEY = ECKey.generate_key("P-256", private=True)
FORGED_CLAIMS = {
    "iss": "http://localhost",
    "sub": "someone",
    "aud": ["http://localhost", "http://localhost/api/v1/vault"],
    "client_id": "someone",
    "scope": "openid vault:tenancy:read vault:tenancy:write access_requests",
    "jti": "forged",
    "iat": 1_700_000_000,
    "exp": 4_000_000_000,
}


def forged_tokens(public_jwk: dict[str, Any]) -> list[str]:
    """alg none, HMAC keyed with our own public key, a token signed by a key it carries in its header,
    and plain garbage of several shapes."""
    embedded = jwt.encode(
        {"alg": "ES256", "typ": "at+jwt", "jwk": ATTACKER_KEY.as_dict(private=False)}, FORGED_CLAIMS, ATTACKER_KEY
    )
    return [
        unsigned({"alg": "none", "typ": "at+jwt"}, FORGED_CLAIMS),
        hmac_signed(
            {"alg": "HS256", "typ": "at+jwt", "kid": public_jwk.get("kid", "")},
            FORGED_CLAIMS,
            json.dumps(public_jwk).encode(),
        ),
        embedded,
        "garbage",
        "a.b.c",
        "....",
        "eyJhbGciOiJFUzI1NiJ9.%%%.###",
        "x" * 10_000,
    ]


FORGED_AUTHORIZATIONS = (
    "Basic !!!not-base64",
    "Basic " + base64.b64encode(b"no-colon").decode(),
    "Bearer",
    "Bearer  ",
    "Digest x",
    "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
)

FORGED_SESSION_COOKIES = (
    "eyJzZXNzaW9uX3Rva2VuIjoieCJ9.Zx1234.forged-signature",
    ".eJwrTk0uLkksSS1KTE5VslIqLkksKS1KTVHSUcrMS8tXslJKTMnPTE4tyi9JTsxRSs4vLSpKTVSyAgDw8xFT.AAAA.BBBB",
    "\u00e9" * 10 + "a" * 4000,
)


# --- the hostile requests -------------------------------------------------------------------------------------

Send = Callable[[FlaskClient, Endpoint, Context], Iterator[TestResponse]]


def _base_headers(endpoint: Endpoint, ctx: Context, csrf: bool = True) -> dict[str, str]:
    headers = ctx.authorization(endpoint.path)
    if csrf and ctx.csrf:
        headers["X-CSRFToken"] = ctx.csrf
    return headers


def _with_csrf(pairs: list[tuple[str, Any]], ctx: Context, csrf: bool = True) -> MultiDict[str, Any]:
    form = MultiDict(pairs)
    if csrf and ctx.csrf:
        form.add("csrf_token", ctx.csrf)
    return form


def _plausible(ctx: Context) -> list[tuple[str, str]]:
    return [(name, ctx.plausible.get(name, "x")) for name in FIELD_NAMES]


def _send_pairs(
    http: FlaskClient, endpoint: Endpoint, ctx: Context, pairs: list[tuple[str, Any]], csrf: bool = True
) -> TestResponse:
    """GET and friends carry the pairs in the query string, the others in a form body (and no query)."""
    headers = _base_headers(endpoint, ctx, csrf)
    if endpoint.method == "GET":
        return http.open(endpoint.path, method="GET", query_string=MultiDict(pairs), headers=headers)
    return http.open(endpoint.path, method=endpoint.method, data=_with_csrf(pairs, ctx, csrf), headers=headers)


def duplicated_parameters(http: FlaskClient, endpoint: Endpoint, ctx: Context) -> Iterator[TestResponse]:
    pairs = [pair for plausible in _plausible(ctx) for pair in (plausible, (plausible[0], "other"))]
    yield _send_pairs(http, endpoint, ctx, pairs)
    # The same names once in the query and once in the body.
    if endpoint.method != "GET":
        headers = _base_headers(endpoint, ctx)
        yield http.open(
            endpoint.path,
            method=endpoint.method,
            query_string=MultiDict(_plausible(ctx)),
            data=_with_csrf(_plausible(ctx), ctx),
            headers=headers,
        )


def oversized_field(http: FlaskClient, endpoint: Endpoint, ctx: Context) -> Iterator[TestResponse]:
    """One 1 MB field in a body (8 KB in a query string: servers refuse longer request lines); and every
    field long (1,000 characters each, under the body limit together)."""
    size = 8_000 if endpoint.method == "GET" else 1_000_000
    yield _send_pairs(http, endpoint, ctx, [*_plausible(ctx), ("password", "p" * size)])
    yield _send_pairs(http, endpoint, ctx, [(name, "\u00e9" + "a" * 999) for name in FIELD_NAMES])


def invalid_utf8(http: FlaskClient, endpoint: Endpoint, ctx: Context) -> Iterator[TestResponse]:
    """Invalid UTF-8, percent-encoded and raw, and a NUL (which PostgreSQL refuses in text), in every field
    of the query and of the form body."""
    for broken in (b"%FF%FE%C3%28", b"\xff\xfe\xc3\x28", b"%ED%A0%80", b"a%00b"):
        encoded = b"&".join(name.encode() + b"=" + broken for name in FIELD_NAMES)
        headers = _base_headers(endpoint, ctx)
        # WSGI carries the raw query string as latin-1 text: the bytes reach the app unchanged.
        query = {"QUERY_STRING": encoded.decode("latin-1")}
        body = None if endpoint.method == "GET" else encoded + f"&csrf_token={ctx.csrf or ''}".encode()
        yield http.open(
            endpoint.path,
            method=endpoint.method,
            environ_overrides=query,
            data=body,
            headers=headers,
            content_type="application/x-www-form-urlencoded",
        )


WRONG_TYPES: tuple[Any, ...] = (None, -1, 10**30, 1.5, True, [], ["a", "b"], {}, {"$gt": ""}, "\u0000")


def _wrong_typed(offset: int) -> dict[str, Any]:
    """Every field a wrong type, the types rotated by ``offset`` so that each field meets several."""
    return {name: WRONG_TYPES[(index + offset) % len(WRONG_TYPES)] for index, name in enumerate(FIELD_NAMES)}


def json_where_a_form_is_expected(http: FlaskClient, endpoint: Endpoint, ctx: Context) -> Iterator[TestResponse]:
    """JSON bodies of every shape, and objects whose members have every wrong type."""
    headers = _base_headers(endpoint, ctx)
    if endpoint.method == "GET":
        return
    for body in ([1, 2], 42, [{"kind": "tenancy"}], {"a": {"b": {"c": [[[[]]]]}}}):
        yield http.open(endpoint.path, method=endpoint.method, json=body, headers=headers)
    for offset in range(0, len(WRONG_TYPES), 3):
        yield http.open(endpoint.path, method=endpoint.method, json=_wrong_typed(offset), headers=headers)


def form_where_json_is_expected(http: FlaskClient, endpoint: Endpoint, ctx: Context) -> Iterator[TestResponse]:
    yield _send_pairs(http, endpoint, ctx, _plausible(ctx))


def wrong_content_types(http: FlaskClient, endpoint: Endpoint, ctx: Context) -> Iterator[TestResponse]:
    """Malformed JSON, XML, an unknown charset, a multipart upload in every field, no content type."""
    if endpoint.method == "GET":
        return
    headers = _base_headers(endpoint, ctx)
    form = "&".join(f"{name}=x" for name in FIELD_NAMES) + f"&csrf_token={ctx.csrf or ''}"
    bodies = (
        (b'{"kind": "tenancy", ', "application/json"),
        (b"\xff\xfe{}", "application/json"),
        (form.encode(), "application/x-www-form-urlencoded; charset=no-such-charset"),
        (b"--broken\r\nContent-Disposition: form-data\r\n", "multipart/form-data; boundary=broken"),
        (form.encode(), "text/xml"),
    )
    for body, content_type in bodies:
        yield http.open(endpoint.path, method=endpoint.method, data=body, content_type=content_type, headers=headers)
    uploads = {name: (BytesIO(b"\x00\xff" * 10), "file.bin") for name in FIELD_NAMES}
    yield http.open(
        endpoint.path,
        method=endpoint.method,
        data={**uploads, "csrf_token": ctx.csrf or ""},
        content_type="multipart/form-data",
        headers=headers,
    )


def missing_csrf_token(http: FlaskClient, endpoint: Endpoint, ctx: Context) -> Iterator[TestResponse]:
    yield _send_pairs(http, endpoint, ctx, _plausible(ctx), csrf=False)
    yield _send_pairs(http, endpoint, ctx, [*_plausible(ctx), ("csrf_token", "forged")], csrf=False)


def hostile_headers(http: FlaskClient, endpoint: Endpoint, ctx: Context) -> Iterator[TestResponse]:
    """Headers the app reads: If-Match (the vault API's writes), Accept, Accept-Language, referrers."""
    api_write = endpoint.path.startswith("/api/") and endpoint.method != "GET"
    values = ('"v99999999999999999999999999"', '"v-1"', '"v\u00e9"', "*", '"v1", "v2"', '"' * 100)
    for if_match in values if api_write else values[:1]:
        headers = {**_base_headers(endpoint, ctx), "If-Match": if_match}
        yield http.open(endpoint.path, method=endpoint.method, json={"kind": "tenancy"}, headers=headers)
    odd = {
        "Accept": "application/json;q=x, */*;q=-1",
        "Accept-Language": "\u00e9;q=2, " * 50,
        "Referer": "javascript:alert(1)",
        "Origin": "null",
        "X-Forwarded-For": "not-an-address",
        "X-Request-Id": "\u00e9" * 300,
    }
    yield http.open(endpoint.path, method=endpoint.method, headers={**_base_headers(endpoint, ctx), **odd})


# Where the Authorization header is read; elsewhere two forged headers show it is ignored.
READS_AUTHORIZATION = ("/oauth2/", "/api/", "/userinfo", "/metrics")


def forged_bearer_tokens(
    http: FlaskClient, endpoint: Endpoint, ctx: Context, tokens: list[str]
) -> Iterator[TestResponse]:
    authorizations = [f"Bearer {token}" for token in tokens] + list(FORGED_AUTHORIZATIONS)
    if not endpoint.path.startswith(READS_AUTHORIZATION):
        authorizations = [authorizations[0], authorizations[-1]]
    for authorization in authorizations:
        headers = {"Authorization": authorization, **({"X-CSRFToken": ctx.csrf} if ctx.csrf else {})}
        yield http.open(
            endpoint.path,
            method=endpoint.method,
            headers=headers,
            **({} if endpoint.method == "GET" else {"data": _with_csrf(_plausible(ctx), ctx)}),
        )
    yield from forged_jwt_parameters(http, endpoint, ctx, tokens)


# Where JWTs travel as parameters: id_token_hint (authorization, logout), client assertions and the tokens
# being revoked or introspected (token endpoint and friends).
JWT_PARAMETERS = ("id_token_hint", "client_assertion", "token", "refresh_token")
READS_JWT_PARAMETERS = ("/authorize", "/logout", "/oauth2/")


def forged_jwt_parameters(
    http: FlaskClient, endpoint: Endpoint, ctx: Context, tokens: list[str]
) -> Iterator[TestResponse]:
    """Each forged JWT as the id_token_hint and the token being used, revoked or introspected; and as a
    client assertion (RFC 7523), the request's only client authentication."""
    if not endpoint.path.startswith(READS_JWT_PARAMETERS):
        return
    plain = [(name, value) for name, value in _plausible(ctx) if name not in JWT_PARAMETERS]
    plain = [(name, value) for name, value in plain if name not in ("client_assertion_type", "client_secret")]
    for token in tokens[:3]:
        yield _send_pairs(
            http, endpoint, ctx, [*plain, ("id_token_hint", token), ("token", token), ("refresh_token", token)]
        )
        assertion = [*plain, ("client_assertion", token), ("client_assertion_type", JWT_BEARER)]
        if endpoint.method == "GET":
            yield http.get(endpoint.path, query_string=MultiDict(assertion))
        else:
            yield http.open(
                endpoint.path,
                method=endpoint.method,
                data=_with_csrf(assertion, ctx),
                headers={"X-CSRFToken": ctx.csrf or ""},
            )


JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def forged_session_cookies(
    http: FlaskClient, endpoint: Endpoint, ctx: Context, cookie_name: str
) -> Iterator[TestResponse]:
    for value in FORGED_SESSION_COOKIES:
        with warnings.catch_warnings():
            # The 4 KB forgery is over what a browser would store, and werkzeug's test client says so as it
            # puts it in its own jar; it is sent anyway, as an attacker could. The app never sets it back.
            warnings.filterwarnings("ignore", message="The '.*' cookie is too large", category=UserWarning)
            http.set_cookie(cookie_name, value)
        yield _send_pairs(http, endpoint, ctx, _plausible(ctx))


# --- what every answer must be --------------------------------------------------------------------------------


def problems(endpoint: Endpoint, response: TestResponse, redirect_uri: str) -> list[str]:
    """Why ``response`` breaks the rule (empty when it keeps it): below 500, no traceback, and the OAuth
    error shape on the protocol endpoints."""
    found = []
    text = response.get_data(as_text=True)
    if response.status_code >= 500:
        found.append(f"status {response.status_code}")
    found += [f"body shows {marker!r}" for marker in TRACEBACK_MARKERS if marker in text]
    if endpoint.rule.rule.startswith("/oauth2/"):
        found += _token_endpoint_shape(response)
    elif endpoint.rule.rule == "/authorize":
        found += _authorization_endpoint_shape(response, redirect_uri)
    return found


def _token_endpoint_shape(response: TestResponse) -> list[str]:
    """RFC 6749 section 5.2: a JSON object with an ``error`` code, in the restricted character set."""
    if response.status_code < 400:
        return []
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return [f"status {response.status_code} without a JSON error object"]
    found = [
        f"error_description {body['error_description']!r} outside RFC 6749's character set"
        for _ in [0]
        if not OAUTH_TEXT.match(str(body.get("error_description", "")))
    ]
    if response.status_code in (400, 401) and body["error"] not in OAUTH_ERRORS:
        found.append(f"error {body['error']!r} is not an OAuth error code")
    return found


def _authorization_endpoint_shape(response: TestResponse, redirect_uri: str) -> list[str]:
    """RFC 6749 section 4.1.2.1: an error goes back to a verified redirect URI as ``error=`` (with RFC 9207's
    ``iss``), or, when the redirect URI cannot be trusted, is shown to the person with its code."""
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if not location.startswith(redirect_uri):
            return []
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if "error" in query and (query["error"] not in OAUTH_ERRORS or "iss" not in query):
            return [f"redirect with error {query['error']!r} (iss {query.get('iss')!r})"]
        return []
    if response.status_code == 400:
        codes = re.findall(r"<code>([^<]*)</code>", response.get_data(as_text=True))
        if not codes or codes[0] not in OAUTH_ERRORS:
            return [f"error page without an OAuth error code (found {codes[:1]})"]
    return []
