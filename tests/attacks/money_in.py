"""Play the money-in attacks of issue #10 (points 1, 2, 3 and 8) against a running server over HTTP.

    python tests/attacks/money_in.py http://127.0.0.1:8000 --campaign tet-khuyen-hoc-2026 \
        --known-phone 0912345678 --known-name "Nguyễn Văn Đức" \
        --treasurer treasurer:PASSWORD --ward-treasurer treasurer_hacthanh:PASSWORD \
        --foreign-fund QKH-TH --ward-donor 12

Prints one line per attack and "N attacks, M succeeded"; exits 1 when any succeeded. Standard
library only, so it runs from any machine. It writes to the server (pledges, a payment) and locks
the log-in of the made-up user `attack-probe`: point it at a test or demo server, never production.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


class Session:
    """A browser-like client: cookies, CSRF token, no redirects followed."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect)

    def request(self, method: str, path: str, *, data=None, json_body=None, headers=None) -> tuple[int, str]:
        headers = dict(headers or {})
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method != "GET":
            headers.setdefault("X-CSRFToken", self.csrf_token())
            headers.setdefault("Referer", self.base + path)
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def csrf_token(self) -> str:
        return next((cookie.value for cookie in self.cookies if cookie.name == "csrftoken"), "")

    def login(self, username: str, password: str, *, forwarded_for: str | None = None) -> int:
        status, page = self.request("GET", "/admin/login/")
        token = _hidden(page, "csrfmiddlewaretoken")
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        status, _page = self.request(
            "POST", "/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"},
            headers=headers,
        )
        return status


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    return match.group(1) if match else ""


def _credentials(value: str) -> tuple[str, str]:
    username, _, password = value.partition(":")
    return username, password


def attack_contact_injection(args) -> tuple[bool, str]:
    """1. A stranger pledges with a known donor's phone and name, and their own e-mail."""
    visitor = Session(args.base)
    status, page = visitor.request("GET", f"/c/{args.campaign}/pledge/")
    if status != 200:
        return False, f"the pledge form answered {status}"
    stranger = f"attacker-{uuid.uuid4().hex[:8]}@example.invalid"
    time.sleep(args.form_wait)  # the form refuses what was filled in faster than a person could
    form = {
        "csrfmiddlewaretoken": _hidden(page, "csrfmiddlewaretoken"), "idempotency_key": _hidden(page, "idempotency_key"),
        "started": _hidden(page, "started"), "website": "", "donor_kind": "individual", "donor_name": args.known_name,
        "phone": args.known_phone, "email": stranger, "address": "Địa chỉ giả", "amount": "100.000",
        "installments": "1", "list_on_honor_roll": "on", "email_consent": "on",
    }
    status, _page = visitor.request("POST", f"/c/{args.campaign}/pledge/", data=form)
    treasurer = Session(args.base)
    treasurer.login(*_credentials(args.treasurer))
    _status, body = treasurer.request("GET", "/api/v1/donors/?limit=200")
    donors = json.loads(body).get("results", []) if _status == 200 else []
    hijacked = [donor for donor in donors if donor["id"] in args.known_ids and donor["email"] == stranger]
    return bool(hijacked), f"form {status}; existing donor given the stranger's e-mail: {bool(hijacked)}"


def attack_cross_unit_payment(args) -> tuple[bool, str]:
    """2. A ward treasurer posts a payment into another unit's fund through the API."""
    ward = Session(args.base)
    ward.login(*_credentials(args.ward_treasurer))
    status, body = ward.request("POST", "/api/v1/payments/", json_body={
        "donor": args.ward_donor, "fund": args.foreign_fund, "amount": 1_000_000, "method": "cash",
        "received_on": time.strftime("%Y-%m-%d"),
    })
    return status in (200, 201), f"POST /api/v1/payments/ into {args.foreign_fund}: {status}"


def attack_counted_twice(args) -> tuple[bool, str]:
    """3. The same Idempotency-Key twice, then with another body."""
    treasurer = Session(args.base)
    treasurer.login(*_credentials(args.treasurer))
    key = f"attack-{uuid.uuid4().hex}"
    body = {"donor": args.treasurer_donor, "fund": args.treasurer_fund, "amount": 50_000, "method": "cash",
            "received_on": time.strftime("%Y-%m-%d")}
    first = treasurer.request("POST", "/api/v1/payments/", json_body=body, headers={"Idempotency-Key": key})
    again = treasurer.request("POST", "/api/v1/payments/", json_body=body, headers={"Idempotency-Key": key})
    other = treasurer.request("POST", "/api/v1/payments/", json_body={**body, "amount": 70_000},
                              headers={"Idempotency-Key": key})
    ids = {json.loads(text).get("id") for status, text in (first, again) if status in (200, 201)}
    doubled = len(ids) > 1 or other[0] in (200, 201)
    return doubled, f"first {first[0]}, repeat {again[0]} ({len(ids)} payment id), other body {other[0]}"


def attack_forged_forwarded_for(args) -> tuple[bool, str]:
    """8. Guess a password past the lock-out by forging a new X-Forwarded-For on every try."""
    statuses = []
    for attempt in range(args.lockout_tries):
        session = Session(args.base)
        statuses.append(session.login("attack-probe", f"wrong-{attempt}", forwarded_for=f"198.51.100.{attempt + 1}"))
    locked = 429 in statuses
    return not locked, f"{len(statuses)} failed log-ins with forged addresses; locked out: {locked}"


ATTACKS = [attack_contact_injection, attack_cross_unit_payment, attack_counted_twice, attack_forged_forwarded_for]


def play(argv: list[str] | None = None, out=sys.stdout) -> int:
    """Run every attack; the number that succeeded."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--campaign", required=True)
    parser.add_argument("--known-phone", required=True)
    parser.add_argument("--known-name", required=True)
    parser.add_argument("--known-ids", type=lambda text: {int(part) for part in text.split(",")}, required=True,
                        help="ids of the existing donors with that phone")
    parser.add_argument("--treasurer", required=True, help="username:password of a treasurer of the campaign's unit")
    parser.add_argument("--treasurer-donor", type=int, required=True)
    parser.add_argument("--treasurer-fund", required=True)
    parser.add_argument("--ward-treasurer", required=True, help="username:password of a treasurer of a unit below")
    parser.add_argument("--ward-donor", type=int, required=True)
    parser.add_argument("--foreign-fund", required=True, help="a fund code outside the ward treasurer's units")
    parser.add_argument("--form-wait", type=float, default=3.5)
    parser.add_argument("--lockout-tries", type=int, default=7)
    args = parser.parse_args(argv)
    succeeded = 0
    for attack in ATTACKS:
        success, detail = attack(args)
        succeeded += success
        print(f"{'SUCCEEDED' if success else 'refused  '} {attack.__doc__.splitlines()[0]} – {detail}", file=out)
    print(f"{len(ATTACKS)} attacks, {succeeded} succeeded", file=out)
    return succeeded


if __name__ == "__main__":
    sys.exit(1 if play() else 0)
