"""What the staff roles (core.roles) may do with the partner API's records."""

ROLES = {
    # Auditors also read who wrote what through the partner API, and which keys exist.
    "Auditor": {"api": {"auditentry": ("view",), "apikey": ("view",)}},
}
