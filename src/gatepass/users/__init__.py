"""gatepass.users."""
