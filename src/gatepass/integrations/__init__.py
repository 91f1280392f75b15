"""gatepass.integrations."""
