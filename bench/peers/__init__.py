"""Peers: the same routes as ``bench/apps/gatepass_app.py``, written without gatepass.

``starlette_pyjwt`` and ``fastapi_pyjwt`` are what a Python user writes today by hand
(PyJWT and argon2-cffi); ``express/`` is the seed's Express + Passport stack.
"""
