"""The language of the pages, and OpenID Connect's ``ui_locales`` (Core section 3.1.2.1).

Logbook's pages are written in British English only, and discovery says so (``ui_locales_supported``:
``["en-GB"]``). A relying party's ``ui_locales`` is honoured by taking the first tag we support, matched
case-insensitively, or by its primary language (``en-US`` or ``en`` gets ``en-GB``); unsupported,
unknown or malformed tags are ignored, never an error, as the parameter is only a preference. Adding a
language means adding it to ``SUPPORTED`` with every sign-in and consent page written in it.

The choice reaches each page's ``<html lang>`` without server state: the authorization request carries
``ui_locales`` itself, and the pages it sends the browser to (sign in, second factor, step-up) carry
that request as their ``next`` URL. No claim in tokens depends on it (``claims_locales`` is not offered).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import request

SUPPORTED: tuple[str, ...] = ("en-GB",)
DEFAULT = "en-GB"
MAX_TAGS = 10  # a preference list, not a place to make us loop


def negotiate(ui_locales: str | None, supported: tuple[str, ...] = SUPPORTED) -> str:
    """The first supported locale in the space-separated ``ui_locales``, else the default."""
    for tag in (ui_locales or "").split()[:MAX_TAGS]:
        found = _match(tag, supported)
        if found:
            return found
    return DEFAULT


def _match(tag: str, supported: tuple[str, ...]) -> str | None:
    wanted = tag.lower()
    exact = [locale for locale in supported if locale.lower() == wanted]
    language = [locale for locale in supported if locale.lower().split("-")[0] == wanted.split("-")[0]]
    found = exact or language
    return found[0] if found else None


def _requested() -> str | None:
    """ui_locales of this request, or of the authorization request the browser will return to."""
    value = request.args.get("ui_locales")  # never the body: an error page must not parse one
    if value:
        return value
    next_url = request.args.get("next") or ""
    try:
        values = parse_qs(urlsplit(next_url).query).get("ui_locales")
    except ValueError:  # e.g. "http://[": not a URL, so no preference in it
        return None
    return values[0] if values else None


def page_locale() -> str:
    """The language tag for this page's ``<html lang>``."""
    return negotiate(_requested())
