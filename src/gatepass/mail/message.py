"""Mail built from Jinja2 templates: a text part, an HTML part, a Message-ID.

Each template ``<name>.txt`` defines the blocks ``subject`` and ``body``; ``<name>.html``
extends ``base.html``. An app overrides any of them by passing its own folder, searched
before the bundled one. The HTML is autoescaped; a message carries no secret but its
one-time link or code.
"""

from __future__ import annotations

import email.utils
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["MailTemplates"]

_BUNDLED = Path(__file__).parent / "templates"


class MailTemplates:
    """Renders the mails of the account flows.

    Args:
        sender: the ``From`` address, such as ``"Example <no-reply@example.com>"``.
        site_name: the name the mails speak in.
        folder: an app's template folder, searched before the bundled templates.
    """

    def __init__(self, *, sender: str, site_name: str, folder: str | Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(_BUNDLED)]
        if folder is not None:
            loaders.insert(0, jinja2.FileSystemLoader(folder))
        self._environment = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        self.sender = sender
        self.site_name = site_name
        _, address = email.utils.parseaddr(sender)
        self._domain = address.rpartition("@")[2] or "localhost"

    def render(self, name: str, *, to: str, **context: Any) -> EmailMessage:
        """Build the message ``name`` for ``to``.

        Args:
            name: the template name, such as ``"reset_password"``.
            to: the recipient address.
            **context: the template's variables (``link``, ``code``, ...).

        Returns:
            The message, ready for a transport.

        Raises:
            jinja2.TemplateNotFound: no template of that name.
        """
        variables = {"site_name": self.site_name, "to": to, **context}
        text = self._environment.get_template(f"{name}.txt")
        blocks = text.new_context(variables)
        subject = "".join(text.blocks["subject"](blocks)).strip()
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = email.utils.formatdate(localtime=False)
        message["Message-ID"] = email.utils.make_msgid(domain=self._domain)
        message.set_content("".join(text.blocks["body"](blocks)).strip() + "\n")
        html = self._environment.get_template(f"{name}.html")
        message.add_alternative(html.render(subject=subject, **variables), subtype="html")
        return message
