"""Row 13: sign-in and sessions (ASVS 5.0 V6 authentication, V7 session management, V9 tokens).

Through the real doors: the sign-in page, the token API and a JWT-protected endpoint.
"""

import base64
import json
import random
import re
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories.accounts import DEFAULT_PASSWORD, CustomerFactory

pytestmark = [pytest.mark.scorecard(row=13), pytest.mark.django_db]

NEW_PASSWORD = "a-brand-new-passphrase-42"
ME = "/api/v1/me/"


def page_sign_in(client: Client, email: str, password: str = DEFAULT_PASSWORD, **extra):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, **extra)


def api_sign_in(client: APIClient, email: str, password: str = DEFAULT_PASSWORD, **extra):
    return client.post(reverse("accounts_api:token"), {"email": email, "password": password}, format="json", **extra)


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def user():
    return CustomerFactory().user


def test_session_key_cycles_on_sign_in(client, user, scorecard_row):
    session = client.session  # an anonymous session, as a visitor browsing first would have
    session["probe"] = True
    session.save()
    before = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = before
    response = page_sign_in(client, user.email)
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    cycled = response.status_code == 302 and after != before and not Session.objects.filter(pk=before).exists()
    passed = scorecard_row(
        "session key cycles on sign-in",
        "new key, the pre-sign-in session deleted" if cycled else f"status {response.status_code}, key kept",
        cycled,
    )
    assert passed


def test_sign_out_kills_the_server_session(client, user, scorecard_row):
    assert page_sign_in(client, user.email).status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(reverse("accounts:logout"))
    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = key  # the old cookie, replayed
    replay = stolen.get(reverse("accounts:overview"))
    gone = not Session.objects.filter(pk=key).exists()
    ok = response.status_code in (200, 302) and gone and replay.status_code == 302
    passed = scorecard_row(
        "sign-out kills the server session",
        f"session row {'deleted' if gone else 'STILL THERE'}, replayed cookie -> {replay.status_code}",
        ok,
    )
    assert passed


def test_password_change_ends_the_other_sessions(user, scorecard_row):
    here, elsewhere, app = Client(), Client(), APIClient()
    assert page_sign_in(here, user.email).status_code == 302
    assert page_sign_in(elsewhere, user.email).status_code == 302
    tokens = api_sign_in(app, user.email).json()
    response = here.post(
        reverse("accounts:password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content[:500]
    this_browser = here.get(reverse("accounts:overview")).status_code
    other_browser = elsewhere.get(reverse("accounts:overview")).status_code
    refresh = app.post(reverse("accounts_api:token_refresh"), {"refresh": tokens["refresh"]}, format="json")
    access = bearer(tokens["access"]).get(ME).status_code
    ok = this_browser == 200 and other_browser == 302 and refresh.status_code == 401 and access == 401
    passed = scorecard_row(
        "password change ends the other sessions",
        f"this browser {this_browser}, other browser {other_browser} (302 = signed out), "
        f"other app's refresh token {refresh.status_code}, its access token {access}",
        ok,
    )
    assert passed


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_forged_expired_and_replayed_tokens_are_refused(user, scorecard_row):
    app = APIClient()
    tokens = api_sign_in(app, user.email).json()
    assert bearer(tokens["access"]).get(ME).status_code == 200
    claims = jwt.decode(tokens["access"], options={"verify_signature": False})
    expired = AccessToken.for_user(user)
    expired.set_exp(from_time=expired.current_time - timedelta(hours=1), lifetime=timedelta(minutes=1))
    forged = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "alg None, signature kept": f"{_b64({'alg': 'None', 'typ': 'JWT'})}.{_b64(claims)}."
        + tokens["access"].split(".")[2],
        "wrong key": jwt.encode(claims, "not-the-shop-key-" + "x" * 40, algorithm="HS256"),
        "HS512 with a wrong key": jwt.encode(claims, "k" * 64, algorithm="HS512"),
        "expired": str(expired),
        "tampered user id": ".".join(
            [
                tokens["access"].split(".")[0],
                _b64({**claims, "user_id": str(int(claims["user_id"]) + 1)}),
                tokens["access"].split(".")[2],
            ]
        ),
    }
    answers = {name: bearer(token).get(ME).status_code for name, token in forged.items()}
    rotated = app.post(reverse("accounts_api:token_refresh"), {"refresh": tokens["refresh"]}, format="json")
    reused = app.post(reverse("accounts_api:token_refresh"), {"refresh": tokens["refresh"]}, format="json")
    answers["reused rotated refresh token"] = reused.status_code
    wrong = {name: code for name, code in answers.items() if code != 401}
    passed = scorecard_row(
        "JWT alg none / wrong key / expired / tampered / reused rotated refresh -> 401",
        f"{len(answers) - len(wrong)} of {len(answers)} refused with 401"
        + (f"; NOT 401: {wrong}" if wrong else "")
        + ("" if rotated.status_code == 200 else f"; the first rotation failed ({rotated.status_code})"),
        not wrong and rotated.status_code == 200,
    )
    assert passed


# The same spoofed addresses on every run: a verdict never depends on the draw.
_SPOOFING = random.Random(20261201)


def _spoofed() -> str:
    r = _SPOOFING
    return f"{r.randint(1, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def test_fifty_wrong_passwords_lock_the_account_whatever_x_forwarded_for_says(user, scorecard_row):
    client, app = Client(), APIClient()
    statuses = []
    for n in range(50):
        door = page_sign_in if n % 2 == 0 else api_sign_in
        response = door(client if n % 2 == 0 else app, user.email, "wrong-password", HTTP_X_FORWARDED_FOR=_spoofed())
        statuses.append(response.status_code)
    right_page = page_sign_in(Client(), user.email, HTTP_X_FORWARDED_FOR=_spoofed())
    right_api = api_sign_in(APIClient(), user.email, HTTP_X_FORWARDED_FOR=_spoofed())
    locked = right_page.status_code == 429 and right_api.status_code == 429
    first_429 = statuses.index(429) + 1 if 429 in statuses else None
    passed = scorecard_row(
        "50 wrong passwords lock the account (spoofed X-Forwarded-For on every try)",
        f"locked after {first_429} failures; then the right password: page {right_page.status_code}, "
        f"API {right_api.status_code} (429 = locked out)",
        locked,
    )
    assert passed


def _normalized(html: str, email: str) -> str:
    html = html.replace(email, "EMAIL")
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", html)
    return re.sub(r'nonce="[^"]+"', "NONCE", html)


def test_same_answer_for_known_and_unknown_emails(user, scorecard_row):
    unknown = "nobody-here@example.com"
    differences = []
    known_page = page_sign_in(Client(), user.email, "wrong-password")
    unknown_page = page_sign_in(Client(), unknown, "wrong-password")
    if (known_page.status_code, _normalized(known_page.content.decode(), user.email)) != (
        unknown_page.status_code,
        _normalized(unknown_page.content.decode(), unknown),
    ):
        differences.append(f"sign-in page ({known_page.status_code} vs {unknown_page.status_code})")
    known_api = api_sign_in(APIClient(), user.email, "wrong-password")
    unknown_api = api_sign_in(APIClient(), unknown, "wrong-password")
    if (known_api.status_code, known_api.content) != (unknown_api.status_code, unknown_api.content):
        differences.append(f"token API ({known_api.status_code} vs {unknown_api.status_code})")
    reset = reverse("accounts:password_reset")
    known_reset = Client().post(reset, {"email": user.email})
    unknown_reset = Client().post(reset, {"email": unknown})
    if (known_reset.status_code, known_reset.get("Location")) != (
        unknown_reset.status_code,
        unknown_reset.get("Location"),
    ):
        differences.append(f"password reset ({known_reset.status_code} vs {unknown_reset.status_code})")
    passed = scorecard_row(
        "same answer for known and unknown emails (sign-in page, token API, password reset)",
        "identical" if not differences else "DIFFERENT: " + ", ".join(differences),
        not differences,
    )
    assert passed
