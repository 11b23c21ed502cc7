"""Schemathesis hooks for .ci/schemathesis: the bearer token of one identity.

The identity comes from the environment: BEDRUD_ST_BASE (server origin), BEDRUD_ST_KIND
(`guest`, or `account` for email + password sign-in), BEDRUD_ST_EMAIL, BEDRUD_ST_PASSWORD.

Fuzzing signs the identity out (logout), changes its email (PUT /api/auth/me) or its
password: the hooks follow those changes and sign in afresh before the next case, so a
token ended by an earlier case is never the cause of a later failure. No check is
weakened: every response is still checked as the server sent it (no replay on 401).
"""

import json
import os
import urllib.request

import schemathesis

BASE = os.environ["BEDRUD_ST_BASE"]
KIND = os.environ.get("BEDRUD_ST_KIND", "account")


class _Identity:
    email = os.environ.get("BEDRUD_ST_EMAIL", "")
    password = os.environ.get("BEDRUD_ST_PASSWORD", "")
    token = None


IDENTITY = _Identity()


def _post(path, body):
    req = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def _sign_in():
    if KIND == "guest":
        out = _post("/api/auth/guest-login", {"name": "Fuzz Guest"})
    else:
        out = _post(
            "/api/auth/login", {"email": IDENTITY.email, "password": IDENTITY.password}
        )
    return out["tokens"]["accessToken"]


@schemathesis.auth(refresh_interval=None, retry_on=[])
class BedrudAuth:
    def get(self, case, ctx):
        if IDENTITY.token is None:
            IDENTITY.token = _sign_in()
        return IDENTITY.token

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def after_call(context, case, response):
    status = response.status_code
    path = case.operation.path
    method = case.operation.method.upper()
    body = case.body if isinstance(case.body, dict) else {}
    if status == 401:
        # The token may have been ended by an earlier case (logout, password change).
        IDENTITY.token = None
    if status != 200:
        return
    if method == "POST" and path == "/api/auth/logout":
        IDENTITY.token = None
    elif method == "PUT" and path == "/api/auth/me":
        try:
            email = json.loads(response.content).get("email")
        except (ValueError, AttributeError):
            email = None
        if isinstance(email, str) and email:
            IDENTITY.email = email
    elif method == "PUT" and path == "/api/auth/password":
        new = body.get("newPassword")
        if isinstance(new, str):
            IDENTITY.password = new
