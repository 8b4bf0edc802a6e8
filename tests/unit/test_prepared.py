"""Prepared statements (idp.prepared): the hot paths' Core statements run straight on the DBAPI connection
must give what SQLAlchemy gives, and stay inside the session's transaction."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import bindparam, select, update

from consent.models import Grant, GrantModule
from idp.database import utcnow
from idp.extensions import db
from idp.prepared import Prepared
from tests.consent.helpers import citizen, grant, landlord_client

grants, modules = Grant.__table__, GrantModule.__table__
GRANT_ROWS = (
    select(grants.c.id, grants.c.expires_at, grants.c.revoked_at, modules.c.module, modules.c.can_read)
    .join(modules, modules.c.grant_id == grants.c.id)
    .where(grants.c.user_id == bindparam("user_id"), modules.c.can_write.is_(False))
    .order_by(modules.c.module)
)
EXTEND = (
    update(grants)
    .where(grants.c.id == bindparam("grant_id"))
    .values(purpose=bindparam("purpose"), updated_at=bindparam("now", type_=grants.c.updated_at.type))
    .returning(grants.c.id, grants.c.purpose)
)


def a_grant():
    user = citizen()
    return user, grant(user, landlord_client(), {"vault:tenancy:read", "vault:money:read"})


def test_a_prepared_select_gives_the_rows_and_typed_values_core_gives(app):
    user, _ = a_grant()
    core = [tuple(row) for row in db.session.execute(GRANT_ROWS, {"user_id": user.id})]
    prepared = Prepared(GRANT_ROWS).execute({"user_id": user.id})
    assert [tuple(row) for row in prepared] == core and len(core) == 2
    first = prepared[0]
    assert first.expires_at.tzinfo == UTC and first.can_read is True and first.revoked_at is None


def test_a_prepared_update_returns_the_new_values(app):
    _, recorded = a_grant()
    row = Prepared(EXTEND).first({"grant_id": recorded.id, "purpose": "Rent arrears advice", "now": utcnow()})
    assert (row.id, row.purpose) == (recorded.id, "Rent arrears advice")


def test_a_prepared_write_belongs_to_the_sessions_transaction(app):
    _, recorded = a_grant()
    grant_id, purpose = recorded.id, recorded.purpose
    Prepared(EXTEND).execute({"grant_id": grant_id, "purpose": "rolled back", "now": utcnow()})
    db.session.rollback()
    assert db.session.scalar(select(grants.c.purpose).where(grants.c.id == grant_id)) == purpose
    Prepared(EXTEND).execute({"grant_id": grant_id, "purpose": "committed", "now": utcnow()})
    db.session.commit()
    assert db.session.scalar(select(grants.c.purpose).where(grants.c.id == grant_id)) == "committed"


def test_a_missing_parameter_is_an_error_not_a_null(app):
    with pytest.raises(KeyError, match="user_id"):
        Prepared(GRANT_ROWS).execute({})


def test_a_statement_that_needs_python_side_defaults_is_refused_rather_than_sending_null(app):
    """``Grant.updated_at`` has ``onupdate=utcnow``: SQLAlchemy runs it per execution, a prepared statement cannot."""
    _, recorded = a_grant()
    statement = update(grants).where(grants.c.id == bindparam("grant_id")).values(purpose=bindparam("purpose"))
    with pytest.raises(ValueError, match="updated_at"):
        Prepared(statement).execute({"grant_id": recorded.id, "purpose": "x"})
