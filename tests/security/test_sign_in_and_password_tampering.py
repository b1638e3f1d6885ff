"""Row 5, sign-in and passwords: tampered password changes and resets, token, refresh and sign-out
requests, and ends of sign-ins only ever act on the caller's own credentials, mint tokens only for
the right password, and never redirect off the site.

How every door is attacked and judged: tests/security/tampering.py.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import User
from accounts.models import UserSession as SignIn
from accounts.services import user_api_sign_in, user_api_token_refresh
from tests.factories.accounts import DEFAULT_PASSWORD

from .tampering import (
    FEW_EXAMPLES,
    STRONG_PASSWORD,
    Door,
    api,
    as_form,
    attack,
    changed_beyond,
    fresh_address,
    injected,
    ok_or_redirected,
    owner_fields,
    page,
    page_sign_in,
    parsed,
    raw_json,
    redirected,
    role_problems,
    world_extras,
)
from .world import World

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]


NEW_PASSWORDS = st.sampled_from([STRONG_PASSWORD, "another-fine-passphrase-7", "short", "1234567890123", "", " " * 12])


def password_change_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(
        st.sampled_from([DEFAULT_PASSWORD, DEFAULT_PASSWORD, "not-the-password", ""]),
        NEW_PASSWORDS,
        st.sampled_from(["same", "same", "different"]),
        owner_fields(world, ["user", "user_id", "id", "uid"]),
        injected(),
    )


def send_password_change(world: World, data: Any) -> Any:
    old, new, again, owner, extra = data
    values = {**owner, **extra, "old_password": old, "new_password1": new}
    values["new_password2"] = new if again == "same" else f"{new}x"
    return page(world).post("/accounts/password/", as_form(values))


def password_problems(world: World, before: dict[str, Any], owner: User | None, new: str) -> list[str]:
    """Only `owner`'s password changed, and to `new`."""
    problems = []
    old = dict(before["passwords"])
    for user in User.objects.all():
        if owner is not None and user.pk == owner.pk:
            if not user.check_password(new):
                problems.append("the password was not set to the new one")
        elif user.password != old.get(user.pk, user.password):
            problems.append(f"user {user.pk}'s password changed")
    return problems


def sign_ins_ended(world: World, before: dict[str, Any], user: User, keep: set[int]) -> list[str]:
    """`user`'s sign-ins ended (all but `keep`), nobody else's touched."""
    problems = []
    was = {row["pk"]: row for row in before["sign-ins"]}
    for row in SignIn.objects.filter(pk__in=was):
        if row.user_id == user.pk and row.pk not in keep:
            if row.is_active:
                problems.append(f"sign-in {row.pk} of the user stayed active")
        elif row.is_active != was[row.pk]["is_active"] or (
            row.user_id != user.pk and row.refresh_jti != was[row.pk]["refresh_jti"]
        ):
            problems.append(f"sign-in {row.pk} (user {row.user_id}) changed")
    return problems


def check_password_change(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    _old, new, _again, _owner, _extra = data
    problems = role_problems(world) + changed_beyond(world, before, {"passwords", "sign-ins", "tokens"})
    problems += password_problems(world, before, world.a.user, new)
    current = page_sign_in(world).pk
    problems += sign_ins_ended(world, before, world.a.user, keep={current})
    if not SignIn.objects.filter(pk=current, is_active=True).exists():
        problems.append("the browser that changed the password was signed out")
    return problems


def reset_request_strategy(world: World) -> st.SearchStrategy:
    a, b = world.a.user.email, world.b.user.email
    emails = st.sampled_from(
        [a, a, a.upper(), b, "nobody@example.com", "", "not-an-email", f"{a}\nBcc: mallory@example.com"]
    )
    overrides = st.dictionaries(
        st.sampled_from(
            ["domain_override", "from_email", "extra_email_context", "html_email_template_name", "use_https"]
        ),
        st.sampled_from(["evil.example", "mallory@example.com", "true"]),
        max_size=3,
    )
    return st.tuples(
        emails, st.one_of(st.none(), emails), st.sampled_from(["testserver", "evil.example"]), overrides, injected()
    )


def send_reset_request(world: World, data: Any) -> Any:
    email, duplicate, host, overrides, extra = data
    world_extras(world)["outbox before"] = len(mail.outbox)
    values = {**overrides, **extra, "email": [email] + ([duplicate] if duplicate is not None else [])}
    return Client().post("/accounts/password-reset/", as_form(values), HTTP_HOST=host)


def check_reset_request(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    email, duplicate, host, _overrides, _extra = data
    asked = duplicate if duplicate is not None else email  # a form field reads the last value
    problems = changed_beyond(world, before, set())
    sent = mail.outbox[world_extras(world)["outbox before"] :]
    owners = list(User.objects.filter(email__iexact=asked.strip(), is_active=True).values_list("email", flat=True))
    if len(sent) > len(owners):
        problems.append(f"{len(sent)} reset e-mails for {asked!r}")
    for message in sent:
        if message.to != owners[:1]:
            problems.append(f"a reset e-mail for {asked!r} went to {message.to}")
        if message.from_email != settings.DEFAULT_FROM_EMAIL:
            problems.append(f"a reset e-mail came from {message.from_email}")
        links = {match.split("/")[2] for match in _links(message.body)}
        if links - set(settings.ALLOWED_HOSTS) or "evil.example" in message.body:
            problems.append(f"a reset e-mail links to {sorted(links)} (asked with Host: {host})")
    return problems


def _links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


RESET_LINKS = ["a", "a", "a", "b uid, a token", "a uid, b token", "a uid, bad token", "garbage"]


def reset_confirm_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(
        st.sampled_from(RESET_LINKS),
        NEW_PASSWORDS,
        st.sampled_from(["same", "same", "different"]),
        owner_fields(world, ["user", "user_id", "uidb64", "email"]),
        injected(),
    )


def _reset_parts(user: User) -> tuple[str, str]:
    fresh = User.objects.get(pk=user.pk)  # the token hashes the password and the last sign-in
    return urlsafe_base64_encode(force_bytes(fresh.pk)), default_token_generator.make_token(fresh)


def send_reset_confirm(world: World, data: Any) -> Any:
    link, new, again, owner, extra = data
    a_uid, a_token = _reset_parts(world.a.user)
    b_uid, b_token = _reset_parts(world.b.user)
    uid, token = {
        "a": (a_uid, a_token),
        "b uid, a token": (b_uid, a_token),
        "a uid, b token": (a_uid, b_token),
        "a uid, bad token": (a_uid, "abc-0123456789abcdef"),
        "garbage": ("Zm9v", "x-y"),
    }[link]
    client = Client()
    opened = client.get(f"/accounts/password-reset/{uid}/{token}/")
    # A good link moves the token into the session and sends the browser to …/set-password/; a
    # tampered one gets the invalid-link page, and the form is posted there anyway.
    target = opened["Location"] if opened.status_code == 302 else f"/accounts/password-reset/{uid}/set-password/"
    values = {**owner, **extra, "new_password1": new, "new_password2": new if again == "same" else f"{new}x"}
    return client.post(target, as_form(values))


def check_reset_confirm(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    link, new, _again, _owner, _extra = data
    problems = role_problems(world) + changed_beyond(world, before, {"passwords", "sign-ins", "tokens"})
    if link != "a":
        return [*problems, f"a reset through a tampered link ({link}) was accepted"]
    problems += password_problems(world, before, world.a.user, new)
    return problems + sign_ins_ended(world, before, world.a.user, keep=set())


def sign_in_target_strategy(world: World) -> st.SearchStrategy:
    """Customer A's sign-ins (the app, this browser), customer B's, and an id that names nothing."""
    targets = st.sampled_from(["a app", "a app", "a browser", "b app", "missing"])
    return st.tuples(
        targets, owner_fields(world, ["user", "user_id", "session_key", "refresh_jti", "is_active"]), injected()
    )


def sign_in_id(world: World, target: str) -> int:
    if target == "a browser":
        return page_sign_in(world).pk
    return {"a app": world.a.api_session.pk, "b app": world.b.api_session.pk}.get(target, 10**9)


def send_page_session_end(world: World, data: Any) -> Any:
    target, owner, extra = data
    return page(world).post(f"/accounts/sessions/{sign_in_id(world, target)}/end/", as_form({**owner, **extra}))


def send_api_session_end(world: World, data: Any) -> Any:
    target, owner, extra = data
    return api(world).delete(f"/api/v1/me/sessions/{sign_in_id(world, target)}/", {**owner, **extra}, format="json")


def check_session_end(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target = data[0]
    problems = role_problems(world) + changed_beyond(world, before, {"sign-ins", "tokens"})
    if not target.startswith("a "):
        return [*problems, f"ending the {target} sign-in was accepted"]
    ended = sign_in_id(world, target)
    was = {row["pk"]: row for row in before["sign-ins"]}
    for row in SignIn.objects.all():
        if row.pk == ended:
            if row.is_active:
                problems.append("the sign-in asked to end is still active")
            if row.refresh_jti and not BlacklistedToken.objects.filter(token__jti=row.refresh_jti).exists():
                problems.append("the ended app sign-in's refresh token still works")
        elif row.is_active != was.get(row.pk, {}).get("is_active", row.is_active):
            problems.append(f"sign-in {row.pk} (user {row.user_id}) changed too")
    blacklisted = set(BlacklistedToken.objects.values_list("token__jti", flat=True)) - set(before["tokens"][1])
    if blacklisted - {SignIn.objects.get(pk=ended).refresh_jti}:
        problems.append("refresh tokens of other sign-ins were blacklisted")
    return problems


def token_strategy(world: World) -> st.SearchStrategy:
    a, b = world.a.user.email, world.b.user.email
    emails = st.sampled_from([a, a, a.upper(), b, "nobody@example.com", "", "not-an-email"])
    passwords = st.sampled_from([DEFAULT_PASSWORD, DEFAULT_PASSWORD, "not-the-password", ""])
    duplicate = st.one_of(
        st.none(), st.fixed_dictionaries({"email": emails}), st.fixed_dictionaries({"password": passwords})
    )
    return st.tuples(
        emails, passwords, owner_fields(world, ["user_id", "id", "jti", "token_type", "exp"]), injected(), duplicate
    )


def send_token(world: World, data: Any) -> Any:
    email, password, owner, extra, duplicate = data
    body = {**owner, **extra, "email": email, "password": password}
    return APIClient().post(
        "/api/v1/auth/token/", raw_json(body, duplicate), content_type="application/json", REMOTE_ADDR=fresh_address()
    )


def check_token(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    email, password, owner, extra, duplicate = data
    sent = parsed(raw_json({**owner, **extra, "email": email, "password": password}, duplicate))
    problems = role_problems(world) + changed_beyond(world, before, {"sign-ins", "tokens", "last sign-ins"})
    holder = User.objects.filter(email__iexact=str(sent["email"])).first()
    if holder is None or not holder.check_password(str(sent["password"])):
        return [*problems, f"tokens for {sent['email']!r} with a wrong password"]
    claims = jwt.decode(response.json()["access"], options={"verify_signature": False})
    if claims.get("user_id") not in (holder.pk, str(holder.pk)) or set(claims) & {"is_staff", "is_superuser", "owner"}:
        problems.append(f"the access token says {claims}, the sign-in was user {holder.pk}")
    new = list(SignIn.objects.exclude(pk__in=[r["pk"] for r in before["sign-ins"]]).values_list("user_id", "kind"))
    if new != [(holder.pk, "api")]:
        problems.append(f"the sign-in recorded {new}")
    return problems


REFRESH_KINDS = ["a", "a", "b", "a rotated", "a access", "a forged for b", "alg none", "garbage", ""]


def mint_refresh_tokens(world: World) -> None:
    a = user_api_sign_in(user=world.a.user, user_agent="probe", ip_address="198.51.100.8")
    rotated = user_api_sign_in(user=world.a.user, user_agent="probe", ip_address="198.51.100.9").refresh
    user_api_token_refresh(refresh=rotated)  # now blacklisted
    b = user_api_sign_in(user=world.b.user, user_agent="probe", ip_address="198.51.100.10")
    header, payload, signature = a.refresh.split(".")
    claims = jwt.decode(a.refresh, options={"verify_signature": False})
    world_extras(world)["refresh"] = {
        "a": a.refresh,
        "b": b.refresh,
        "a rotated": rotated,
        "a access": a.access,
        "a forged for b": f"{header}.{_b64({**claims, 'user_id': world.b.user.pk})}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "garbage": "not.a.token",
        "": "",
    }


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def refresh_strategy(world: World) -> st.SearchStrategy:
    kinds = st.sampled_from(REFRESH_KINDS)
    return st.tuples(
        kinds,
        owner_fields(world, ["user_id", "access", "jti"]),
        injected(),
        st.one_of(st.none(), st.fixed_dictionaries({"refresh": kinds})),
    )


def refresh_body(world: World, data: Any) -> tuple[str, str]:
    """(JSON text, the kind of refresh token the server reads: the last one sent)."""
    kind, owner, extra, duplicate = data
    tokens = world_extras(world)["refresh"]
    text = raw_json(
        {**owner, **extra, "refresh": tokens[kind]}, {"refresh": tokens[duplicate["refresh"]]} if duplicate else None
    )
    return text, duplicate["refresh"] if duplicate else kind


def send_refresh(world: World, data: Any) -> Any:
    return APIClient().post(
        "/api/v1/auth/token/refresh/", refresh_body(world, data)[0], content_type="application/json"
    )


def send_api_logout(world: World, data: Any) -> Any:
    return APIClient().post("/api/v1/auth/logout/", refresh_body(world, data)[0], content_type="application/json")


def _sent_refresh(world: World, data: Any) -> tuple[str, dict[str, Any]]:
    """The kind of refresh token the server read, and its claims (unverified) when it is a real one."""
    kind = refresh_body(world, data)[1]
    if kind not in ("a", "b"):
        return kind, {}
    return kind, jwt.decode(world_extras(world)["refresh"][kind], options={"verify_signature": False})


def check_refresh(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    kind, claims = _sent_refresh(world, data)
    problems = role_problems(world) + changed_beyond(world, before, {"sign-ins", "tokens"})
    if kind not in ("a", "b"):
        return [*problems, f"a refresh with the {kind!r} token was accepted"]
    owner = world.a.user if kind == "a" else world.b.user
    fresh = {
        key: jwt.decode(response.json()[key], options={"verify_signature": False}) for key in ("access", "refresh")
    }
    issued_to = {str(fresh["access"]["user_id"]), str(fresh["refresh"]["user_id"])}
    if issued_to != {str(claims["user_id"])} or str(claims["user_id"]) != str(owner.pk):
        problems.append(f"refreshing user {owner.pk}'s token gave tokens for {fresh['access']['user_id']}")
    if not BlacklistedToken.objects.filter(token__jti=claims["jti"]).exists():
        problems.append("the refresh token sent still works after the rotation")
    was = {row["pk"]: row for row in before["sign-ins"]}
    for row in SignIn.objects.all():
        if was.get(row.pk, {}).get("refresh_jti") == claims["jti"]:
            if row.refresh_jti != fresh["refresh"]["jti"] or not row.is_active:
                problems.append("the sign-in did not follow the rotated token")
        elif (row.refresh_jti, row.is_active) != (
            was.get(row.pk, {}).get("refresh_jti"),
            was.get(row.pk, {}).get("is_active"),
        ):
            problems.append(f"sign-in {row.pk} (user {row.user_id}) changed too")
    return problems


def check_api_logout(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    kind, claims = _sent_refresh(world, data)
    problems = role_problems(world) + changed_beyond(world, before, {"sign-ins", "tokens"})
    if kind not in ("a", "b"):
        return [*problems, f"a sign-out with the {kind!r} token was accepted"]
    blacklisted = set(BlacklistedToken.objects.values_list("token__jti", flat=True)) - set(before["tokens"][1])
    if blacklisted != {claims["jti"]}:
        problems.append(f"the sign-out blacklisted {len(blacklisted)} tokens, not the one sent")
    was = {row["pk"]: row for row in before["sign-ins"]}
    for row in SignIn.objects.all():
        old = was.get(row.pk, {})
        ends = old.get("refresh_jti") == claims["jti"]
        if row.is_active != (False if ends else old.get("is_active")) or row.refresh_jti != old.get("refresh_jti"):
            problems.append(f"sign-in {row.pk} (user {row.user_id}) {'stayed' if ends else 'ended or changed'}")
    return problems


NEXT = [None, "/products/", "https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]


def sign_out_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(st.sampled_from(["a", "a", "visitor"]), st.sampled_from(NEXT), st.booleans(), injected())


def send_page_sign_out(world: World, data: Any) -> Any:
    who, next_url, in_query, extra = data
    client = page(world) if who == "a" else Client()
    values = {**extra, **({"next": next_url} if next_url is not None and not in_query else {})}
    query = f"?next={quote(next_url)}" if next_url is not None and in_query else ""
    return client.post(f"/accounts/signout/{query}", as_form(values))


def check_page_sign_out(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    who = data[0]
    problems = role_problems(world) + changed_beyond(world, before, {"sign-ins"})
    location = response.get("Location", "")
    if location and not url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"}):
        problems.append(f"signing out redirects off the site, to {location}")
    was = {row["pk"]: row for row in before["sign-ins"]}
    this = page_sign_in(world).pk
    for row in SignIn.objects.all():
        if who == "a" and row.pk == this:
            if row.is_active:
                problems.append("the browser's sign-in stayed active after signing out")
        elif row.is_active != was.get(row.pk, {}).get("is_active", row.is_active):
            problems.append(f"signing out ended another sign-in ({row.pk}, user {row.user_id})")
    return problems


DOORS: list[Door] = [
    Door(
        "POST /accounts/password/ (form)",
        "accounts:password_change",
        password_change_strategy,
        send_password_change,
        check_password_change,
        redirected,
        control=lambda w: (DEFAULT_PASSWORD, STRONG_PASSWORD, "same", {}, {}),
    ),
    Door(
        "POST /accounts/password-reset/ (form)",
        "accounts:password_reset",
        reset_request_strategy,
        send_reset_request,
        check_reset_request,
        redirected,
        control=lambda w: (w.a.user.email, None, "testserver", {}, {}),
    ),
    Door(
        "POST /accounts/password-reset/{uid}/{token}/ (form)",
        "accounts:password_reset_confirm",
        reset_confirm_strategy,
        send_reset_confirm,
        check_reset_confirm,
        redirected,
        control=lambda w: ("a", STRONG_PASSWORD, "same", {}, {}),
    ),
    Door(
        "POST /accounts/sessions/{id}/end/",
        "accounts:session_end",
        sign_in_target_strategy,
        send_page_session_end,
        check_session_end,
        redirected,
        examples=FEW_EXAMPLES,
        control=lambda w: ("a app", {}, {}),
    ),
    Door(
        "DELETE /api/v1/me/sessions/{id}/",
        "accounts_api:session",
        sign_in_target_strategy,
        send_api_session_end,
        check_session_end,
        examples=FEW_EXAMPLES,
        control=lambda w: ("a app", {}, {}),
    ),
    Door(
        "POST /api/v1/auth/token/",
        "accounts_api:token",
        token_strategy,
        send_token,
        check_token,
        control=lambda w: (w.a.user.email, DEFAULT_PASSWORD, {}, {}, None),
    ),
    Door(
        "POST /api/v1/auth/token/refresh/",
        "accounts_api:token_refresh",
        refresh_strategy,
        send_refresh,
        check_refresh,
        prepare=mint_refresh_tokens,
        examples=FEW_EXAMPLES,
        control=lambda w: ("a", {}, {}, None),
    ),
    Door(
        "POST /api/v1/auth/logout/",
        "accounts_api:logout",
        refresh_strategy,
        send_api_logout,
        check_api_logout,
        prepare=mint_refresh_tokens,
        examples=FEW_EXAMPLES,
        control=lambda w: ("a", {}, {}, None),
    ),
    Door(
        "POST /accounts/signout/",
        "accounts:logout",
        sign_out_strategy,
        send_page_sign_out,
        check_page_sign_out,
        ok_or_redirected,
        examples=FEW_EXAMPLES,
        control=lambda w: ("a", "/products/", False, {}),
    ),
]


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    attack(next(door for door in DOORS if door.name == door_name), scorecard_row)
