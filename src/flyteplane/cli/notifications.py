"""``flyteplane sandbox``'s notification flags: the SMTP server and webhooks that ended executions notify through.

The SMTP password is never a flag (it would show in ``ps`` and shell history): it is read from the environment
variable :data:`SMTP_PASSWORD_ENV` when ``--smtp-user`` is given.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flyteplane.admin.domain.notifications import NotificationsConfig

__all__ = ["SMTP_PASSWORD_ENV", "add_notification_flags", "notifications_config", "show_notification_log"]

SMTP_PASSWORD_ENV = "FLYTEPLANE_SMTP_PASSWORD"


def add_notification_flags(parser: argparse.ArgumentParser) -> None:
    """The ``notifications`` group of flags."""
    group = parser.add_argument_group(
        "notifications",
        "where ended executions' notifications go (without any, each is logged as not delivered); Slack and "
        "PagerDuty notifications without a webhook are emailed to their recipients, as Flyte Admin does",
    )
    group.add_argument("--smtp-host", metavar="HOST", help="SMTP server that sends notification emails")
    group.add_argument("--smtp-port", metavar="N", type=int, help="its port (default 25)")
    group.add_argument("--smtp-starttls", action="store_true", help="upgrade the SMTP connection with STARTTLS")
    group.add_argument("--smtp-ca-file", metavar="PEM", help="CA that verifies the SMTP server (default: the system's)")
    group.add_argument(
        "--smtp-user", metavar="USER", help=f"log in to the SMTP server (password: ${SMTP_PASSWORD_ENV})"
    )
    group.add_argument("--notify-sender", metavar="EMAIL", help="From of notification emails")
    group.add_argument("--notify-subject", metavar="TEMPLATE", help="subject template ({{ name }}, {{ phase }}, ...)")
    group.add_argument("--notify-body", metavar="TEMPLATE", help="body template (HTML; {{ error }}, ...)")
    group.add_argument("--slack-webhook", metavar="URL", help="POST Slack notifications to this URL as JSON")
    group.add_argument("--pagerduty-webhook", metavar="URL", help="POST PagerDuty notifications to this URL as JSON")


def notifications_config(args: argparse.Namespace) -> NotificationsConfig:
    """The ``AdminConfig.notifications`` the flags ask for (ValueError for flags that do not fit together)."""
    from flyteplane.admin.domain.notifications import NotificationsConfig, SmtpServer

    smtp = None
    if args.smtp_host is not None:
        password = ""
        if args.smtp_user is not None:
            password = os.environ.get(SMTP_PASSWORD_ENV, "")
        smtp = SmtpServer(
            host=args.smtp_host,
            port=args.smtp_port if args.smtp_port is not None else 25,
            starttls=args.smtp_starttls,
            ca_file=args.smtp_ca_file,
            username=args.smtp_user,
            password=password,
        )
    else:
        given = [
            flag
            for flag, value in (
                ("--smtp-port", args.smtp_port),
                ("--smtp-starttls", args.smtp_starttls or None),
                ("--smtp-ca-file", args.smtp_ca_file),
                ("--smtp-user", args.smtp_user),
            )
            if value is not None
        ]
        if given:
            raise ValueError(f"{', '.join(given)} without --smtp-host")
    webhooks = {
        kind: url for kind, url in (("slack", args.slack_webhook), ("pager_duty", args.pagerduty_webhook)) if url
    }
    templates = {
        key: value
        for key, value in (("sender", args.notify_sender), ("subject", args.notify_subject), ("body", args.notify_body))
        if value is not None
    }
    return NotificationsConfig(smtp=smtp, webhooks=webhooks, **templates)


def show_notification_log() -> None:
    """Print the notifier's log lines (one per notification: delivered, or why not) on stderr."""
    logger = logging.getLogger("flyteplane.admin.notifications")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("flyteplane admin: %(message)s"))
        logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
