"""Tests of gatepass.users."""
