"""The database roles: the owner that migrates and the runtime role the web and workers use."""
