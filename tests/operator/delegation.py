#!/usr/bin/python3 -I
"""Operator-side delegation for ORG (team) mailboxes: Dovecot's checkpassword passdb.

A professional opens the ORG mailbox of a structure they belong to with their own Pro Santé
Connect access token (SASL XOAUTH2 / OAUTHBEARER: Dovecot hands the token to the passdb as the
password). This program asks the provider's introspection endpoint who the token belongs to and
accepts it only when the token is active, not expired, and its subject (``SubjectNameID`` =
"8" + RPPS) is listed as a member of the mailbox in the operator's configuration
(``delegation.json`` beside this file, written by tests/operator/config.py). PER mailboxes keep
Dovecot's own ``oauth2`` passdb (token owner = mailbox), APP mailboxes their client certificate.

Checkpassword protocol (Dovecot): ``user NUL password NUL ...`` on fd 3; success = exec the
reply program given as first argument with ``USER`` set; exit 1 = refused, 111 = temporary
failure (the provider could not be reached). Runs with Debian's /usr/bin/python3, standard
library only: it is started by Dovecot's auth process, outside the project's virtualenv.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

REFUSED, TEMPORARY = 1, 111


def _log(text: str) -> None:
    # stderr reaches Dovecot's log (no token, no health data).
    print(f"delegation: {text}", file=sys.stderr, flush=True)


def introspect(config: dict[str, Any], token: str) -> dict[str, Any]:
    credentials = f"{config['client_id']}:{config['client_secret']}".encode()
    request = urllib.request.Request(  # noqa: S310 - URL from the operator's own configuration
        config["introspection_url"],
        data=urllib.parse.urlencode({"token": token}).encode(),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "authorization": "Basic " + base64.b64encode(credentials).decode(),
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        result: dict[str, Any] = json.load(answer)
    return result


def decide(config: dict[str, Any], user: str, answer: dict[str, Any], now: float) -> str:
    """'' when the token opens ``user``'s mailbox, else the reason it is refused."""
    members = config["boxes"].get(user.lower())
    if members is None:
        return "not a delegated mailbox"
    if answer.get("active") is not True:
        return "token inactive (expired or revoked)"
    if int(answer.get("exp") or 0) <= now:
        return "token expired"
    subject = str(answer.get("SubjectNameID") or "")
    if subject not in members:
        return f"subject {subject or '?'} is not a member"
    return ""


def main(argv: list[str]) -> int:
    with os.fdopen(3, "rb") as handle:
        fields = handle.read(16384).split(b"\0")
    if len(fields) < 2 or len(argv) < 2:
        return 2
    user, token = fields[0].decode("utf-8", "replace"), fields[1].decode("ascii", "replace")
    config = json.loads(Path(__file__).with_name("delegation.json").read_text())
    if user.lower() not in config["boxes"]:
        return REFUSED
    try:
        answer = introspect(config, token)
    except (OSError, ValueError) as exc:
        _log(f"introspection unavailable for {user}: {exc}")
        return TEMPORARY
    reason = decide(config, user, answer, time.time())
    if reason:
        _log(f"refused for {user}: {reason}")
        return REFUSED
    _log(f"{user} opened by {answer.get('SubjectNameID')}")
    os.environ["USER"] = user
    os.execv(argv[1], argv[1:])  # noqa: S606 - Dovecot's checkpassword-reply
    return TEMPORARY  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv))
