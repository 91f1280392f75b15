"""Tests of gatepass.sessions (a package so its conftest and helpers have unique names)."""
