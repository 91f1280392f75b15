"""gatepass.sessions."""
