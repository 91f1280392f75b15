"""gatepass.passwords."""
