"""The throttled login page keeps only a validated ``next``."""

from __future__ import annotations

from pathlib import Path

import httpx

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from server.server_helpers import BROWSER, csrf_from, fast_hasher

EVIL = "https://evil.example/phish"


async def test_the_429_login_page_drops_an_unsafe_next(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, login_limit="1/minute")
    app = create_app(settings, hasher=fast_hasher(), security=SecurityLog())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            form = await http.get("/login", headers=BROWSER)
            fields = {"email": "ann@example.com", "password": "wrong"}
            fields["csrf_token"] = csrf_from(form.text)
            for _ in range(3):
                answer = await http.post(
                    "/login", params={"next": EVIL}, data=fields, headers=BROWSER
                )
    assert answer.status_code == 429
    assert "evil.example" not in answer.text
