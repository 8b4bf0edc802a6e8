"""Millbrook Council Tax, an example first-party council service: single sign-on through Logbook (no
consent page for openid and profile; no password asked again when the citizen is already signed in).
Logbook's service linking (registered for this client by ``logbook demo seed``) asks for the council-tax
account number and postcode once, the first time; nothing here changes for it.

    COUNCILTAX_CLIENT_ID=... COUNCILTAX_CLIENT_SECRET=... python -m clients.examples.council_tax
"""

from __future__ import annotations

from clients.examples.common import RelyingParty

rp = RelyingParty("counciltax", "Millbrook Council Tax", "openid profile email", 5104)
app = rp.app

HOME = """
{% if not user %}
<p class="govuk-body">Check your council tax band, bills and discounts.</p>
<a class="govuk-button govuk-button--start" href="/sign-in"
 role="button" draggable="false">Sign in with your council account</a>
{% else %}
<h2 class="govuk-heading-m">Your details</h2>
<dl class="govuk-summary-list">
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Name</dt>
<dd class="govuk-summary-list__value">{{ user.name or "Not given" }}</dd></div>
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Email</dt>
<dd class="govuk-summary-list__value">{{ user.email or "Not given" }}</dd></div></dl>
<p class="govuk-body">Your bill for this year is on its way.</p>
{% endif %}"""


@app.get("/")
def home() -> str:
    return rp.page("Your council tax", HOME)


if __name__ == "__main__":
    rp.run()
