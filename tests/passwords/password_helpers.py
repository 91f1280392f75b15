"""Shared argon2 parameters for the password tests: real argon2id, small costs."""

from __future__ import annotations

from gatepass.passwords import Argon2Parameters

# Real argon2id, just cheap: these tests check behaviour, not cost.
FAST = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
# Weaker still: a hash made with these needs a rehash under FAST.
FASTER = Argon2Parameters(time_cost=1, memory_cost=512, parallelism=1)
