"""gatepass.strategies."""
