"""gatepass.security."""
