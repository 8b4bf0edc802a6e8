"""Officer pages for a citizen's sign-in sessions (blueprint ``officers_sessions``, guard
``requires_role("officer")``): "Sign this person out everywhere", asked on a page of its own, answered on a
GOV.UK confirmation page. The rule is ``idp.officers.sign_out.sign_out_everywhere``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template

from idp.accounts.forms import ConfirmForm
from idp.accounts.models import User
from idp.accounts.sessions import active_sessions
from idp.extensions import db
from idp.forms import refuse_oversized_forms
from idp.guards import guarded_user
from idp.officers.navigation import add_staff_navigation
from idp.officers.sign_out import sign_out_everywhere

bp = Blueprint("officers_sessions", __name__, url_prefix="/officers/citizens/<user_id>")
add_staff_navigation(bp)
refuse_oversized_forms(bp)


def _officer_and_citizen(user_id: str) -> tuple[User, User]:
    officer, user = guarded_user(), db.session.get(User, user_id)
    if user is None:
        abort(404)
    return officer, user


@bp.get("/sign-out-everywhere")
def confirm_sign_out(user_id: str) -> Any:
    _, user = _officer_and_citizen(user_id)
    return render_template(
        "officers/sign_out_everywhere.html", citizen=user, form=ConfirmForm(), signed_in=len(active_sessions(user))
    )


@bp.post("/sign-out-everywhere")
def sign_out(user_id: str) -> Any:
    officer, user = _officer_and_citizen(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ended = sign_out_everywhere(officer, user)
    return render_template("officers/signed_out_everywhere.html", citizen=user, ended=ended)
