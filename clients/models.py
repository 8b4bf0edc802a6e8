"""Organisations and their OAuth clients (RFC 6749 section 2, RFC 7591 metadata names).

Client secrets are never stored: only an HMAC-SHA-256 digest keyed by a server pepper (derived from
``SECRET_KEY``), so the check costs microseconds and a database leak reveals nothing usable. During a
rotation the previous digest stays valid until ``previous_secret_expires_at``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.database import UTCDateTime, new_id, utcnow
from idp.extensions import db

ORGANISATION_TYPES = (
    "council_service",
    "landlord",
    "gp_practice",
    "employer",
    "support_agency",
    "identity_portal",
)
PEPPER_LABEL = b"logbook/client-secret-pepper/v1"


def secret_digest(secret: str) -> str:
    """HMAC-SHA-256 of a client secret under the server pepper (hex)."""
    pepper = hmac.new(current_app.config["SECRET_KEY"].encode(), PEPPER_LABEL, hashlib.sha256).digest()
    return hmac.new(pepper, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


class Organisation(db.Model):  # type: ignore[name-defined]
    """A council service or partner body that owns OAuth clients. Its id is the pairwise sector."""

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    clients: Mapped[list[Client]] = relationship(back_populates="organisation")

    @property
    def is_council(self) -> bool:
        return self.type == "council_service"


class Client(db.Model):  # type: ignore[name-defined]
    """A registered relying party, usable directly as Authlib's ``ClientMixin``."""

    __tablename__ = "oauth_clients"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    secret_digest: Mapped[str | None] = mapped_column(String(64))
    previous_secret_digest: Mapped[str | None] = mapped_column(String(64))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["authorization_code", "refresh_token"])
    response_types: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["code"])
    scope: Mapped[str] = mapped_column(Text, default="openid")  # the scopes this client may be granted
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32), default="client_secret_basic")
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # public keys for private_key_jwt
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(10), default="ES256")
    first_party: Mapped[bool] = mapped_column(Boolean, default=False)
    # Policy: what this client demands of a sign-in and what it may ask of the vault.
    min_acr: Mapped[str | None] = mapped_column(String(64))
    min_identity_level: Mapped[str | None] = mapped_column(String(32))
    max_auth_age: Mapped[int | None] = mapped_column(Integer)
    # Service linking (idp.linking.facts): the fact a citizen proves the first time they use this service.
    service_link_fact: Mapped[str | None] = mapped_column(String(32))
    allowed_modules: Mapped[list[str]] = mapped_column(JSON, default=list)
    purpose: Mapped[str | None] = mapped_column(Text)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(Text)
    logo_uri: Mapped[str | None] = mapped_column(Text)  # RFC 7591 metadata, shown on the consent page
    contacts: Mapped[list[str]] = mapped_column(JSON, default=list)  # RFC 7591: people responsible
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(back_populates="clients", lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    @property
    def sector(self) -> str:
        """Pairwise subjects are per organisation: its clients share a subject, others cannot correlate."""
        return self.organisation_id

    # -- Authlib ClientMixin -------------------------------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Never guess: every authorization request must name its registered redirect_uri exactly.
        return None

    def get_allowed_scope(self, scope: str) -> str:
        if not scope:
            return ""
        return " ".join(dict.fromkeys(s for s in scope.split() if s in self.scopes))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact string match, RFC 9700 section 4.1.3

    def check_client_secret(self, client_secret: str) -> bool:
        return self.verify_secret(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.token_endpoint_auth_method
        # Introspection and revocation accept the client's registered method too.
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.response_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    # -- secrets -------------------------------------------------------------------------------------
    def verify_secret(self, secret: str) -> bool:
        if not self.is_active:
            return False
        return secret_matches(secret, self.secret_digest, self.previous_secret_digest, self.previous_secret_expires_at)


def secret_matches(
    secret: object, current: str | None, previous: str | None, previous_expires_at: datetime | None
) -> bool:
    """Constant-time comparison against the current digest and, until it expires, the previous one
    (shared by the ORM client and the token endpoint's lean snapshot, ``idp.oauth2.client_auth``)."""
    if not isinstance(secret, str) or not secret:
        return False
    candidate = secret_digest(secret)
    current_ok = hmac.compare_digest(candidate, current or "")
    previous_live = previous_expires_at is not None and previous_expires_at > utcnow()
    previous_ok = hmac.compare_digest(candidate, previous or "") and previous_live
    return bool(current) and current_ok or bool(previous) and previous_ok
