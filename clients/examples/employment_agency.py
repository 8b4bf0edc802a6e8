"""Millbrook Works, an example employment support agency. An adviser asks, by API, for a citizen's work
and skills (an access request made with a client-credentials token and the one-time sharing code the
citizen gave them); once the citizen approves it in Logbook, the citizen signs in here (Logbook asks only
about signing in: the data is already granted) and the agency reads their employment module.

    AGENCY_CLIENT_ID=... AGENCY_CLIENT_SECRET=... python -m clients.examples.employment_agency
"""

from __future__ import annotations

from typing import Any

import requests
from flask import request

from clients.examples.common import HTTP_TIMEOUT, RelyingParty

rp = RelyingParty("agency", "Millbrook Works", "openid profile vault:employment:read", 5103)
app = rp.app

HOME = """
<h2 class="govuk-heading-m">For advisers: ask a citizen to share their work and skills</h2>
<form method="post" action="/requests" novalidate>
<input type="hidden" name="csrf_token" value="{{ csrf }}"><div class="govuk-form-group">
<label class="govuk-label" for="sharing_code">Sharing code the citizen gave you</label>
<div class="govuk-hint" id="sharing_code-hint">For example, ABCD-EFGH-JKLM</div>
<input class="govuk-input govuk-input--width-20" id="sharing_code" name="sharing_code" type="text"
 autocomplete="off" spellcheck="false" aria-describedby="sharing_code-hint"></div>
<button class="govuk-button" type="submit">Send access request</button></form>
<h2 class="govuk-heading-m">For citizens</h2>
<a class="govuk-button govuk-button--secondary" href="/my-work"
 role="button" draggable="false">See what you share with us</a>"""

SENT = """<p class="govuk-body">Request {{ request.id }} is <strong>{{ request.status }}</strong>.</p>
<a class="govuk-link" href="/requests/{{ request.id }}">Check the request again</a>"""

WORK = """<ul class="govuk-list govuk-list--bullet">{% for record in records %}
<li>{{ record.data.skill or record.data.title or record.data.course or record.data.kind }}</li>
{% else %}<li>No work or skills shared yet.</li>{% endfor %}</ul>"""


def _api(method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {rp.client_credentials_token('access_requests')}"}
    url = f"{rp.settings.issuer}/api/v1/access-requests{path}"
    return requests.request(method, url, headers=headers, timeout=HTTP_TIMEOUT, **kwargs)


@app.get("/")
def home() -> str:
    return rp.page("Millbrook Works", HOME)


@app.post("/requests")
def send_request() -> Any:
    body = {"sharing_code": request.form.get("sharing_code", "").strip(), "modules": {"employment": ["read"]}}
    response = _api("POST", "", json=body)
    if response.status_code != 201:
        reason = response.json().get("error_description", "the request was refused")
        return rp.page("The request was not sent", "<p class='govuk-body'>{{ r }}</p>", r=reason), 400
    return rp.page("Access request sent", SENT, request=response.json())


@app.get("/requests/<request_id>")
def request_status(request_id: str) -> Any:
    response = _api("GET", f"/{request_id}")
    if response.status_code != 200:
        return rp.page("No such request"), 404
    return rp.page("Access request", SENT, request=response.json())


@app.get("/my-work")
@rp.signed_in
def my_work() -> Any:
    response = rp.vault("GET", "/modules/employment/records")
    if response.status_code != 200:
        reason = response.json().get("error_description", "")
        return rp.page("We cannot see your work and skills", "<p class='govuk-body'>{{ r }}</p>", r=reason), 403
    return rp.page("Your work and skills", WORK, records=response.json()["records"])


if __name__ == "__main__":
    rp.run()
