"""Tests of gatepass.passwords."""
