"""gatepass.tokens."""
