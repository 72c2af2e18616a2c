"""The HTML pages of the installation flow: "Add to Slack", installed, and not installed.

Every text comes from :mod:`bot.messages` and is HTML-escaped here (a failure reason can be the
``error`` query parameter, which anyone can type).
"""

from __future__ import annotations

from html import escape

from bot import messages

ADD_TO_SLACK_IMAGE = "https://platform.slack-edge.com/img/add_to_slack.png"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 3em auto;
       max-width: 36em; padding: 0 1em; line-height: 1.5; text-align: center; color: #1d1c1d; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>{text}</p>
{extra}
</body>
</html>
"""


def _page(title: str, text: str, extra: str = "") -> str:
    return _PAGE.format(title=escape(title), text=escape(text), extra=extra)


def install_page(authorize_url: str, install_path: str = "/slack/install") -> str:
    """The "Add to Slack" page: a button that opens Slack's authorization page."""
    button = (
        f'<p><a href="{escape(authorize_url)}"><img alt="Add to Slack" height="40" width="139" '
        f'src="{ADD_TO_SLACK_IMAGE}"></a></p>'
    )
    return _page(messages.INSTALL_PAGE_TITLE, messages.INSTALL_PAGE_TEXT, button)


def installed_page(team_name: str | None, open_url: str | None) -> str:
    """The page after a successful installation, with a link into Slack when known."""
    extra = f'<p><a href="{escape(open_url)}">Open Slack</a></p>' if open_url else ""
    return _page(messages.INSTALLED_TITLE, messages.installed(team_name), extra)


def failed_page(reason: str, install_path: str) -> str:
    """The page after a failed or cancelled installation, with a link to start again."""
    extra = f'<p><a href="{escape(install_path)}">{escape(messages.INSTALL_AGAIN)}</a></p>'
    return _page(messages.INSTALL_FAILED_TITLE, messages.install_failed(reason), extra)
