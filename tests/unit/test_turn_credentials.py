"""Time-limited TURN credentials, the coturn REST API scheme (use-auth-secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from conversations.calls.turn import turn_credentials

SECRET = "coturn-static-auth-secret"
NOW = 1_800_000_000.0


def test_the_username_is_the_expiry_time_then_the_user_id():
    credentials = turn_credentials("6f1c2b7e-0000-4000-8000-000000000001", SECRET, 3600, now=NOW)
    expiry, user = credentials["username"].split(":", 1)
    assert int(expiry) == int(NOW) + 3600
    assert user == "6f1c2b7e-0000-4000-8000-000000000001"


def test_the_password_is_the_base64_hmac_sha1_of_the_username_with_the_shared_secret():
    credentials = turn_credentials("user-1", SECRET, 600, now=NOW)
    expected = hmac.new(SECRET.encode(), credentials["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(credentials["credential"]) == expected
    assert len(base64.b64decode(credentials["credential"])) == 20


def test_credentials_expire_after_the_ttl_and_change_with_time_and_secret():
    first = turn_credentials("user-1", SECRET, 600, now=NOW)
    later = turn_credentials("user-1", SECRET, 600, now=NOW + 60)
    other_secret = turn_credentials("user-1", "another secret", 600, now=NOW)
    assert int(later["username"].split(":")[0]) - int(first["username"].split(":")[0]) == 60
    assert later["credential"] != first["credential"]
    assert other_secret["credential"] != first["credential"]


def test_a_credential_is_stale_once_its_expiry_has_passed():
    credentials = turn_credentials("user-1", SECRET, 600, now=NOW)
    expiry = int(credentials["username"].split(":")[0])
    # coturn's check: refuse when the timestamp in the username is in the past.
    assert expiry > NOW + 599
    assert expiry < NOW + 601
