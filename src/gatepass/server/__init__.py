"""gatepass.server."""
