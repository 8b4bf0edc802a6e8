"""Riverside Homes, an example landlord portal: reads the tenant's tenancy from Logbook's vault and
writes the repairs they report back into it (scopes vault:tenancy:read and vault:tenancy:write).

    LANDLORD_CLIENT_ID=... LANDLORD_CLIENT_SECRET=... python -m clients.examples.landlord
"""

from __future__ import annotations

import datetime
from typing import Any

from flask import redirect, request

from clients.examples.common import RelyingParty

rp = RelyingParty("landlord", "Riverside Homes", "openid profile vault:tenancy:read vault:tenancy:write", 5101)
app = rp.app

HOME = """
{% if not user %}
<p class="govuk-body">See your tenancy and report repairs, using the information you keep in Logbook.</p>
<a class="govuk-button govuk-button--start" href="/sign-in"
 role="button" draggable="false">Sign in with Logbook</a>
{% elif error %}<p class="govuk-body">We could not read your tenancy from Logbook ({{ error }}).</p>
{% else %}
<h2 class="govuk-heading-m">Your tenancy</h2>
{% for record in tenancies %}<dl class="govuk-summary-list">
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Reference</dt>
<dd class="govuk-summary-list__value">{{ record.data.tenancy_reference }}</dd></div>
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Address</dt>
<dd class="govuk-summary-list__value">{{ record.data.property_address }}</dd></div></dl>
{% else %}<p class="govuk-body">You have not shared a tenancy with us.</p>{% endfor %}
<h2 class="govuk-heading-m">Repairs you have reported</h2>
<ul class="govuk-list govuk-list--bullet">{% for record in repairs %}
<li>{{ record.data.description }} ({{ record.data.status or "reported" }})</li>
{% else %}<li>None yet.</li>{% endfor %}</ul>
<form method="post" action="/repairs" novalidate>
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<div class="govuk-form-group"><h2 class="govuk-label-wrapper">
<label class="govuk-label govuk-label--m" for="description">Report a repair</label></h2>
<div class="govuk-hint" id="description-hint">Tell us what needs fixing and where in your home.</div>
<textarea class="govuk-textarea" id="description" name="description" rows="4"
 aria-describedby="description-hint"></textarea></div>
<button class="govuk-button" type="submit">Report repair</button></form>
{% endif %}"""


def _records() -> tuple[list[dict[str, Any]], str | None]:
    response = rp.vault("GET", "/modules/tenancy/records")
    if response.status_code != 200:
        return [], response.json().get("error", str(response.status_code))
    return response.json()["records"], None


@app.get("/")
def home() -> str:
    records, error = _records() if rp.user() else ([], None)
    tenancies = [r for r in records if r["data"]["kind"] == "tenancy"]
    repairs = [r for r in records if r["data"]["kind"] == "repair"]
    return rp.page("Your home", HOME, tenancies=tenancies, repairs=repairs, error=error)


@app.post("/repairs")
@rp.signed_in
def report_repair() -> Any:
    description = request.form.get("description", "").strip()
    if not description:
        return rp.page("Your home", '<p class="govuk-error-message">Enter what needs repairing.</p>'), 400
    record = {
        "kind": "repair",
        "reported_on": datetime.date.today().isoformat(),
        "description": description,
        "status": "reported",
    }
    response = rp.vault("POST", "/modules/tenancy/records", json=record)
    if response.status_code != 201:
        return rp.page("Your repair was not saved", "<p class='govuk-body'>{{ e }}</p>", e=response.text), 502
    return redirect("/")


if __name__ == "__main__":
    rp.run()
