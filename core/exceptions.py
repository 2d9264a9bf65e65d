"""Exceptions services raise when a rule of the domain refuses a change.

They name the rule, not the transport: the API turns them into problem+json, the admin into a
message, each at its own edge.
"""


class Conflict(Exception):
    """The record's current state does not allow this change (HTTP 409 at the API edge)."""

    code = "conflict"
