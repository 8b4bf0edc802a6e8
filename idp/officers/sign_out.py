"""An officer signs a citizen out everywhere, typically because the citizen phoned to say a device was lost
or stolen. The citizen need not be present (no assisted window is needed: ending sessions takes nothing
from them that signing in again does not give back), but the action is audited, naming the window when
there is one, and the citizen is told through the outbox whoever asked for it."""

from __future__ import annotations

from consent.notifications import notify_citizen
from idp import audit
from idp.accounts.models import User
from idp.accounts.sessions import end_all_sessions
from idp.database import utcnow
from idp.officers import assisted
from idp.officers.models import ROLE_OFFICER

ACTION = "sessions.ended"
NOTICE_SUBJECT = "You have been signed out of Logbook on every device"


def sign_out_everywhere(officer: User, user: User) -> int:
    """End every sign-in session of ``user`` by the one rule (``end_sessions``: tokens issued in them are
    revoked and the services told), audit it and tell the citizen. Returns how many sessions ended."""
    window = assisted.live_session(officer, user)
    ended = end_all_sessions(user)
    audit.record(
        officer,
        ROLE_OFFICER,
        ACTION,
        subject_user_id=user.id,
        details={"sessions": ended},
        assisted_session_id=window.id if window else None,
    )
    notify_citizen(user.id, NOTICE_SUBJECT, _notice())
    return ended


def _notice() -> str:
    at = utcnow().strftime("%H:%M UTC on %-d %B %Y")
    return (
        f"A council officer signed you out of Logbook on every device at {at}.\n\n"
        "Council services and organisations you signed in to with Logbook have been told to sign you out "
        "too. To use them again, sign in to Logbook again.\n\n"
        "If you did not ask for this, or you think someone else may know your password, change your "
        "password after you sign in and contact the council.\n"
    )
