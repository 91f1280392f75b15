"""gatepass.sessions.stores."""
