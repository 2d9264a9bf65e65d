"""Request limits: per key or staff user, and per address for anonymous callers (429 with
Retry-After). Rates come from REST_FRAMEWORK's DEFAULT_THROTTLE_RATES, read at each request
so that settings changes apply without a restart of the class.

Requests are counted in a moving window by the `limits` library: in Redis wherever REDIS_URL is
set (production requires it), where one script per request checks and counts atomically, so the
workers together let through exactly the limit; else in this process's memory (the demo).
"""

import functools
import time
from typing import TYPE_CHECKING

# Imported whole before any request: `limits` imports it lazily and reads its __version__, and in
# a threaded worker two first requests at once saw it half-imported ("Found version: 0.0.0", a 500).
import redis  # noqa: F401
from django.conf import settings
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from api.callers import caller_of
from core.addresses import client_address

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

KEY_PREFIX = "aidportal-limits"


@functools.cache
def _limiter_at(storage: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage, key_prefix=KEY_PREFIX))


def rate_limiter() -> MovingWindowRateLimiter:
    """One limiter per process and storage: Redis at REDIS_URL, else local memory."""
    return _limiter_at(settings.REDIS_URL or "memory://")


class _Throttle(BaseThrottle):
    scope = ""
    seconds_left = 0.0

    def identity(self, request: "Request") -> str | None:
        """Who is counted; None for requests this throttle does not count."""
        raise NotImplementedError

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        identity = self.identity(request)
        if identity is None:
            return True
        # The rates are strings such as "60/minute"; the stubs allow numbers.
        rate = parse(api_settings.DEFAULT_THROTTLE_RATES[self.scope])  # type: ignore[arg-type]
        limiter = rate_limiter()
        if limiter.hit(rate, self.scope, identity):
            return True
        reset_at, _remaining = limiter.get_window_stats(rate, self.scope, identity)
        # Until the oldest counted request leaves the window; at least a second.
        self.seconds_left = max(reset_at - time.time(), 1.0)
        return False

    def wait(self) -> float:
        return self.seconds_left


class AnonymousThrottle(_Throttle):
    scope = "anonymous"

    def identity(self, request: "Request") -> str | None:
        if not caller_of(request).is_anonymous:
            return None
        # The same address the admin sign-in lock counts, never one the caller names itself.
        return client_address(request)


class CallerThrottle(_Throttle):
    scope = "caller"

    def identity(self, request: "Request") -> str | None:
        caller = caller_of(request)
        if caller.is_anonymous:
            return None
        return caller.identity
