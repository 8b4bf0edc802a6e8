"""Millbrook Surgery, an example GP practice: reads the patient's health module from Logbook's vault.
Health needs a recent second factor, so the vault answers RFC 9470's ``insufficient_user_authentication``
challenge; the practice sends the patient back to Logbook with the ``acr_values`` and ``max_age`` the
challenge names, and reads again when they return.

    GP_CLIENT_ID=... GP_CLIENT_SECRET=... python -m clients.examples.gp_practice
"""

from __future__ import annotations

from typing import Any

from flask import session

from clients.examples.common import RelyingParty
from clients.step_up import INSUFFICIENT_USER_AUTHENTICATION, parse_bearer_challenge

rp = RelyingParty("gp", "Millbrook Surgery", "openid profile vault:health:read", 5102)
app = rp.app
STEPPED_UP = "stepped_up"

HOME = """
{% if not user %}
<p class="govuk-body">Share your health information with the surgery before your appointment.</p>
<a class="govuk-button govuk-button--start" href="/sign-in?next=/health"
 role="button" draggable="false">Sign in with Logbook</a>
{% else %}<a class="govuk-button" href="/health"
 role="button" draggable="false">See the health information you share</a>{% endif %}"""

HEALTH = """
<ul class="govuk-list govuk-list--bullet">{% for record in records %}
<li>{{ record.data.practice_name or record.data.name or record.data.condition or record.data.kind }}</li>
{% else %}<li>You have not added any health information to Logbook yet.</li>{% endfor %}</ul>"""

REFUSED = """<p class="govuk-body">Logbook did not let us read your health information: {{ reason }}</p>
<a class="govuk-link" href="/">Back to the surgery's home page</a>"""


@app.get("/")
def home() -> str:
    return rp.page("Millbrook Surgery", HOME)


@app.get("/health")
@rp.signed_in
def health() -> Any:
    response = rp.vault("GET", "/modules/health/records")
    if response.status_code == 200:
        session.pop(STEPPED_UP, None)
        return rp.page("Your health information", HEALTH, records=response.json()["records"])
    challenge = parse_bearer_challenge(response.headers.get("WWW-Authenticate"))
    if challenge.get("error") == INSUFFICIENT_USER_AUTHENTICATION and not session.get(STEPPED_UP):
        session[STEPPED_UP] = True  # one round trip: a second refusal is shown, never looped
        max_age = challenge.get("max_age")
        return rp.sign_in_redirect("/health", acr_values=challenge.get("acr_values"), max_age=max_age)
    session.pop(STEPPED_UP, None)
    reason = challenge.get("error_description") or response.json().get("error_description", "")
    return rp.page("We could not read your health information", REFUSED, reason=reason), 403


if __name__ == "__main__":
    rp.run()
