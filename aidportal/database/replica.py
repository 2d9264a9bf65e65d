"""Public reads from a read replica, and read-your-writes for whoever has just written.

With REPLICA_DATABASE_URL set (the `replica` alias: a streaming replica of the primary, reached
as the runtime role), a request that only reads (GET, HEAD or OPTIONS outside the staff admin)
and whose caller has not written in the last REPLICA_READ_YOUR_WRITES_SECONDS reads through
the replica. Everything else reads the primary: writes and whatever follows a write in the same
request, reads inside a transaction, the admin, Celery tasks, management commands, and
credentials (API keys and sessions, whose revocation must take effect at once).

A caller that writes is remembered for the window in two ways, since a browser sends a cookie
and an API client its key: a signed cookie on the response, and a cache entry (Redis in
production) named by a hash of the Authorization header it sent. The replica may lag behind the
primary by up to the window without anyone missing their own write.
"""

import hashlib
import re
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
COOKIE_SALT = "aidportal.database.replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Models whose rows are credentials: a revoked key or a closed session must stop working at once.
PRIMARY_ONLY_MODELS = frozenset({"api.apikey", "sessions.session"})


@dataclass
class RequestReads:
    """Where the current request may read: the replica until it writes."""

    replica: bool
    wrote: bool = False


current: ContextVar[RequestReads | None] = ContextVar("replica_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def _admin_path() -> re.Pattern[str]:
    languages = "|".join(re.escape(code) for code, _ in settings.LANGUAGES)
    return re.compile(rf"^/(?:(?:{languages})/)?admin/")


def _key_marker(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    return "replica:wrote:" + hashlib.sha256(header.encode("latin-1", "replace")).hexdigest()


class ReplicaRouter:
    """Reads go to the replica only when the request's middleware allowed it (see above)."""

    def db_for_read(self, model, **hints):
        reads = current.get()
        if (
            reads is not None
            and reads.replica
            and model._meta.label_lower not in PRIMARY_ONLY_MODELS
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        instance = hints.get("instance")
        if instance is not None and instance._state.db == REPLICA:
            return DEFAULT_DB_ALIAS
        return None

    def db_for_write(self, model, **hints):
        reads = current.get()
        # Rows always read from the primary need no read-your-writes (an API key's last use).
        if reads is not None and model._meta.label_lower not in PRIMARY_ONLY_MODELS:
            reads.wrote = True
            reads.replica = False
        instance = hints.get("instance")
        if instance is not None and instance._state.db == REPLICA:
            # A record read from the replica is saved to the primary, never back where it came from.
            return DEFAULT_DB_ALIAS
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: a record from either may point to the other's.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # A replica is read-only and follows the primary's schema: nothing migrates there.
        return False if db == REPLICA else None


class ReplicaReadsMiddleware:
    """Decides per request whether its reads may use the replica, and remembers writers."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin = _admin_path()
        self.window = settings.REPLICA_READ_YOUR_WRITES_SECONDS
        self.cookie = settings.REPLICA_READ_YOUR_WRITES_COOKIE

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        marker = _key_marker(request)
        reads = RequestReads(replica=self.may_read_replica(request, marker))
        token = current.set(reads)
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        if reads.wrote or request.method not in SAFE_METHODS:
            self.remember_writer(response, marker)
        return response

    def may_read_replica(self, request, marker: str | None) -> bool:
        if request.method not in SAFE_METHODS or self.admin.match(request.path_info):
            return False
        if request.get_signed_cookie(
            self.cookie, default=None, salt=COOKIE_SALT, max_age=self.window
        ):
            return False
        return not (marker and cache.get(marker))

    def remember_writer(self, response, marker: str | None) -> None:
        response.set_signed_cookie(
            self.cookie,
            "1",
            salt=COOKIE_SALT,
            max_age=self.window,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        if marker:
            cache.set(marker, 1, timeout=self.window)
