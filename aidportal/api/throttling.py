"""Request limits: per key or staff user, and per address for anonymous callers (429 with
Retry-After). Rates come from REST_FRAMEWORK's DEFAULT_THROTTLE_RATES, read at each request
so that settings changes apply without a restart of the class. Counters live in the default
cache, which is Redis, shared by every worker, wherever REDIS_URL is set (always in production).
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from aidportal.addresses import client_address
from aidportal.api.callers import caller_of


class _Throttle(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_ident(self, request):
        # The same address the admin sign-in lock counts, never one the caller names itself.
        return client_address(request)


class AnonymousThrottle(_Throttle):
    scope = "anonymous"

    def get_cache_key(self, request, view):
        if not caller_of(request).is_anonymous:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class CallerThrottle(_Throttle):
    scope = "caller"

    def get_cache_key(self, request, view):
        caller = caller_of(request)
        if caller.is_anonymous:
            return None
        return self.cache_format % {"scope": self.scope, "ident": caller.identity}
