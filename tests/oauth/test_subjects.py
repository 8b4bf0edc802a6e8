"""Subject identifiers: public for council services, pairwise per organisation for partners."""

from __future__ import annotations

from flask import Flask

from idp.oauth2.subjects import subject_for, user_for_subject
from tests.builders import create_client, create_user


def test_council_services_share_the_public_subject(app: Flask) -> None:
    user = create_user()
    tax, _ = create_client("Council tax", organisation_type="council_service")
    rents, _ = create_client("Rents", organisation_type="council_service")
    assert subject_for(user, tax) == subject_for(user, rents) == user.id


def test_partners_get_different_pairwise_subjects(app: Flask) -> None:
    """OIDC Core section 8.1: a different sub value to each Client, so Clients cannot correlate."""
    user = create_user()
    landlord, _ = create_client("Landlord", organisation_type="landlord")
    gp, _ = create_client("GP", organisation_type="gp_practice")
    assert subject_for(user, landlord) != subject_for(user, gp)
    assert user.id not in (subject_for(user, landlord), subject_for(user, gp))


def test_pairwise_subject_is_stable_and_reversible(app: Flask) -> None:
    user = create_user()
    landlord, _ = create_client("Landlord")
    sub = subject_for(user, landlord)
    assert subject_for(user, landlord) == sub
    assert user_for_subject(landlord, sub) is user


def test_another_sectors_subject_finds_nobody(app: Flask) -> None:
    user = create_user()
    landlord, _ = create_client("Landlord")
    gp, _ = create_client("GP", organisation_type="gp_practice")
    assert user_for_subject(gp, subject_for(user, landlord)) is None
