"""The mails of the account flows: both parts, escaping, and an app's own templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatepass.mail import MailTemplates

NAMES = {
    "verify_email": {"link": "https://x.test/verify-email?token=t", "expires_in": "24 hours"},
    "reset_password": {"link": "https://x.test/password/reset?token=t", "expires_in": "30 minutes"},
    "password_changed": {},
    "change_email": {"link": "https://x.test/verify-email?token=t", "expires_in": "1 hour"},
    "email_change_requested": {"new_email": "new@example.com"},
    "login_email": {
        "link": "https://x.test/login/email?token=t",
        "code": "123456",
        "expires_in": "15 minutes",
    },
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_flow_mail_has_a_subject_and_both_parts(name: str) -> None:
    templates = MailTemplates(sender="no-reply@example.com", site_name="Example")
    message = templates.render(name, to="carol@example.com", **NAMES[name])
    assert message["Subject"]
    assert "Example" in message["Subject"]
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    for value in NAMES[name].values():
        assert value in text.get_content()


def test_the_sign_in_code_is_not_in_the_subject() -> None:
    templates = MailTemplates(sender="no-reply@example.com", site_name="Example")
    message = templates.render("login_email", to="c@example.com", **NAMES["login_email"])
    # Subjects show on lock screens and in previews.
    assert "123456" not in message["Subject"]


def test_html_part_escapes_what_it_shows() -> None:
    templates = MailTemplates(sender="no-reply@example.com", site_name="<b>Ex</b>")
    message = templates.render("password_changed", to="c@example.com")
    html = message.get_body(("html",))
    assert html is not None
    assert "<b>Ex</b>" not in html.get_content()
    assert "&lt;b&gt;Ex&lt;/b&gt;" in html.get_content()


def test_an_app_overrides_a_template_from_its_own_folder(tmp_path: Path) -> None:
    (tmp_path / "password_changed.txt").write_text(
        "{% block subject %}Heads up from {{ site_name }}{% endblock %}"
        "{% block body %}Changed.{% endblock %}"
    )
    templates = MailTemplates(sender="no-reply@example.com", site_name="Acme", folder=tmp_path)
    message = templates.render("password_changed", to="c@example.com")
    assert message["Subject"] == "Heads up from Acme"
    text = message.get_body(("plain",))
    assert text is not None
    assert text.get_content() == "Changed.\n"
