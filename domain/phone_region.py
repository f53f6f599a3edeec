"""The region a national phone number is read in when its lead names no country.

People write phone numbers the way they dial them (``6465550123``), and many teams sell in one
country. The operator names that country with ``LEADS_DEFAULT_PHONE_REGION`` (``infra.settings``)
and the composition root installs it with :func:`configure` before anything is served. Unset
(the default), a national number is read only in the lead's own ``address.country`` and refused
without one, since guessing a country would store a wrong number as if it were right. A lead's
``address.country`` always wins over the default: it is what the caller said about this lead.
"""

from __future__ import annotations

import phonenumbers

_region: str | None = None


def check_region(region: str) -> str:
    """``region`` as an upper-case ISO 3166-1 alpha-2 code that has phone numbers, else a
    ValueError saying what is expected (the setting is refused at start, not at the first lead)."""
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{region!r} is not an ISO 3166-1 alpha-2 country code with phone numbers (like US, GB, DE)")
    return code


def current() -> str | None:
    """The default region in force, or None."""
    return _region


def configure(region: str | None) -> None:
    """Install the operator's default region (the composition root does, before serving)."""
    global _region
    _region = None if region is None else check_region(region)
