"""The caller's address, by one rule for the API's limits and the admin sign-in lock.

With no proxy in front (NUM_PROXIES = 0) it is the connection's address, REMOTE_ADDR: any
X-Forwarded-For is the caller's own words and is ignored. Behind NUM_PROXIES trusted proxies it is
the address the outermost of them saw, read from the right of X-Forwarded-For: each proxy appends
the address it was connected from, so a caller can only add entries to the left of those.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies == 0 or not forwarded:
        return remote
    entries = [entry.strip() for entry in forwarded.split(",")]
    if len(entries) < proxies:
        # Fewer entries than proxies: the request did not come through all of them, so the
        # header may be the caller's own; count it against the connection.
        return remote
    try:
        return str(ipaddress.ip_address(entries[-proxies]))
    except ValueError:
        # Not an address (a misconfigured proxy): the connection, not a name the caller chose.
        return remote
