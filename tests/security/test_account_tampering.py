"""Row 5, the account: tampered profile, preference, address, registration, sign-up and seller
application requests (API and forms) never make anyone staff, never write another user's rows,
and store exactly the fields the form owns.

How every door is attacked and judged: tests/security/tampering.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.models import Address, PrivacyLevel, Seller, SellerStatus, Theme, TimeFormat, User, UserPreferences
from accounts.models import UserSession as SignIn
from accounts.services import address_create
from common.models import Channel, DeliveryStatus, Notification

from .tampering import (
    FEW_EXAMPLES,
    STRONG_PASSWORD,
    Door,
    api,
    as_form,
    attack,
    changed_beyond,
    fresh_address,
    ignoring_world,
    injected,
    owner_fields,
    page,
    profile_strategy,
    redirected,
    role_problems,
    snapshot,
    world_extras,
)
from .world import World

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]


def check_roles(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world)
    keys = ("orders", "wallets", "ledger", "stock", "coupons", "issued", "prices", "passwords", "sign-ins", "sellers")
    after = snapshot(world)
    for key in keys:
        if after[key] != before[key]:
            problems.append(f"{key} changed through a profile or address form")
    return problems


def send_api_me(world: World, data: Any) -> Any:
    name, extra = data
    return api(world).patch("/api/v1/me/", {"first_name": name, **extra}, format="json")


def send_page_profile(world: World, data: Any) -> Any:
    name, extra = data
    return page(world).post("/accounts/profile/", {**{k: str(v) for k, v in extra.items()}, "first_name": name})


def send_register(world: World, data: Any) -> Any:
    _name, extra = data
    body = {
        "email": f"new-{uuid.uuid4().hex[:8]}@example.com",
        "password": "a-long-enough-passphrase-1",
        "first_name": "New",
        "last_name": "Shopper",
        **{k: v for k, v in extra.items() if k != "email"},
    }
    return APIClient().post("/api/v1/auth/register/", body, format="json", REMOTE_ADDR=fresh_address())


def send_page_signup(world: World, data: Any) -> Any:
    _name, extra = data
    password = "a-long-enough-passphrase-1"
    form = {
        **{k: str(v) for k, v in extra.items()},
        "email": f"new-{uuid.uuid4().hex[:8]}@example.com",
        "first_name": "New",
        "last_name": "Shopper",
        "password1": password,
        "password2": password,
    }
    return Client().post("/accounts/signup/", form)


def check_register(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = []
    for user in User.objects.exclude(pk__in=[u["pk"] for u in before["users"]]).filter(first_name="New"):
        if user.is_staff or user.is_superuser or not user.is_active:
            problems.append(f"a registration made user {user.pk} staff/superuser/inactive")
    return problems


def send_preferences(world: World, data: Any) -> Any:
    _name, extra = data
    return api(world).patch("/api/v1/me/preferences/", {"theme": "dark", **extra}, format="json")


def check_preferences(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = check_roles(world, data, response, before)
    owners = set(UserPreferences.objects.values_list("user_id", flat=True))
    if owners - {p["user_id"] for p in before["preferences"]} - {world.a.user.pk}:
        problems.append("preferences created for another user")
    return problems


def checkbox(data: dict[str, Any], name: str) -> bool:
    """What Django's CheckboxInput reads from a form: absent is False, "false" is False, else truthy."""
    if name not in data:
        return False
    value = data[name]
    return {"true": True, "false": False}.get(value.lower(), bool(value)) if isinstance(value, str) else bool(value)


PREFERENCE_CHOICES = {"theme": Theme.values, "time_format": TimeFormat.values, "privacy_level": PrivacyLevel.values}


PREFERENCE_TEXT = ("language", "currency", "date_format")


PREFERENCE_FLAGS = ("email_notifications", "push_notifications", "marketing_emails", "personalization_enabled")


def preferences_form_strategy(world: World) -> st.SearchStrategy:
    flag = st.sampled_from(["on", "true", "false", "0", "", "off"])
    body = st.fixed_dictionaries(
        {
            "language": st.sampled_from(["en-US", "de-DE", "", " fr-FR ", "x" * 17, "<script>"]),
            "currency": st.sampled_from(["USD", "EUR", "", "DOLLARS", "us"]),
            "theme": st.sampled_from([*Theme.values, "", "neon"]),
            "date_format": st.sampled_from(["YYYY-MM-DD", "DD/MM/YYYY", "", "x" * 17]),
            "time_format": st.sampled_from([*TimeFormat.values, "", "25h"]),
            "privacy_level": st.sampled_from([*PrivacyLevel.values, "everyone", ""]),
        },
        optional=dict.fromkeys(PREFERENCE_FLAGS, flag),
    )
    return st.tuples(body, owner_fields(world, ["user", "user_id", "id", "guest"]), injected())


def send_page_preferences(world: World, data: Any) -> Any:
    body, owner, extra = data
    return page(world).post("/accounts/preferences/", as_form({**owner, **extra, **body}))


def check_page_preferences(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    body, _owner, _extra = data
    problems = check_roles(world, data, response, before) + changed_beyond(world, before, {"preferences"})
    mine = UserPreferences.objects.filter(user=world.a.user).values().first()
    if mine is None:
        return [*problems, "accepted, but customer A has no preferences"]
    for name, choices in PREFERENCE_CHOICES.items():
        if mine[name] not in choices or mine[name] != body[name]:
            problems.append(f"{name} stored {mine[name]!r} from {body[name]!r}")
    for name in PREFERENCE_TEXT:
        if mine[name] != body[name].strip():
            problems.append(f"{name} stored {mine[name]!r} from {body[name]!r}")
    for name in PREFERENCE_FLAGS:
        if mine[name] != checkbox(body, name):
            problems.append(f"{name} stored {mine[name]} from {body.get(name)!r}")
    others = [row for row in before["preferences"] if row["user_id"] != world.a.user.pk]
    if others != list(UserPreferences.objects.exclude(user=world.a.user).order_by("pk").values()):
        problems.append("another user's (or a guest's) preferences changed")
    return problems


def address_strategy() -> st.SearchStrategy:
    plain = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789-.", min_size=2, max_size=30).filter(
        str.strip
    )
    text = st.one_of(plain, plain, plain, st.text(min_size=1, max_size=30), st.sampled_from(["", " ", "x" * 300]))
    body = st.fixed_dictionaries(
        {
            "address_type": st.sampled_from(["shipping", "shipping", "billing", "bogus"]),
            "recipient_name": text,
            "street_address": text,
            "city": text,
            "postal_code": text,
            "country": text,
        }
    )
    owner_fields = st.dictionaries(
        st.sampled_from(["user", "user_id", "owner", "id", "is_primary", "deleted_at"]),
        st.sampled_from([1, 0, -1, True, "x"]),
        max_size=3,
    )
    return st.tuples(body, owner_fields, injected())


def send_api_address_create(world: World, data: Any) -> Any:
    body, owner, extra = data
    return api(world).post("/api/v1/me/addresses/", {**body, **owner, **extra}, format="json")


def send_api_address_update(world: World, data: Any) -> Any:
    body, owner, extra = data
    return api(world).patch(f"/api/v1/me/addresses/{world.a.address.pk}/", {**body, **owner, **extra}, format="json")


def send_page_address_create(world: World, data: Any) -> Any:
    body, owner, extra = data
    return page(world).post("/accounts/addresses/add/", {**body, **{k: str(v) for k, v in {**owner, **extra}.items()}})


def check_addresses(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = check_roles(world, data, response, before)
    known = {a["id"]: a for a in before["addresses"]}
    for address in Address.objects.all():
        if address.pk not in known and address.user_id != world.a.user.pk:
            problems.append(f"a new address was given to user {address.user_id}")
        if address.pk in known and address.user_id != known[address.pk]["user_id"]:
            problems.append(f"address {address.pk} changed owner")
        if (
            address.pk in known
            and known[address.pk]["user_id"] != world.a.user.pk
            and _row(address) != known[address.pk]
        ):
            problems.append(f"another user's address {address.pk} changed")
    return problems


def _row(address: Address) -> dict[str, Any]:
    return Address.objects.filter(pk=address.pk).values().get()


ADDRESS_TEXT = ("recipient_name", "street_address", "city", "postal_code", "country")


def address_edit_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(address_strategy(), st.sampled_from(["a", "a", "a", "b", "missing"]))


def address_id(world: World, target: Any) -> int:
    return {"a": world.a.address.pk, "b": world.b.address.pk, "missing": 10**9}.get(target, target)


def send_page_address_edit(world: World, data: Any) -> Any:
    (body, owner, extra), target = data
    return page(world).post(
        f"/accounts/addresses/{address_id(world, target)}/edit/", as_form({**owner, **extra, **body})
    )


def send_api_address_put(world: World, data: Any) -> Any:
    (body, owner, extra), target = data
    return api(world).put(
        f"/api/v1/me/addresses/{address_id(world, target)}/", {**owner, **extra, **body}, format="json"
    )


def check_address_edit(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    (body, _owner, _extra), target = data
    problems = check_addresses(world, data, response, before) + changed_beyond(world, before, {"addresses"})
    if target != "a":
        return [*problems, f"an edit of the {target} address was accepted"]
    known = {row["id"]: row for row in before["addresses"]}
    row = Address.objects.filter(pk=world.a.address.pk).values().get()
    if row["address_type"] != body["address_type"]:
        problems.append(f"address_type stored {row['address_type']!r} from {body['address_type']!r}")
    problems += [
        f"{name} stored {row[name]!r} from {body[name]!r}" for name in ADDRESS_TEXT if row[name] != body[name].strip()
    ]
    if row["is_primary"] != known[row["id"]]["is_primary"] or row["user_id"] != world.a.user.pk:
        problems.append("an edit changed which address is primary, or its owner")
    return problems


def add_second_address(world: World) -> None:
    address_create(
        user=world.a.user,
        data={
            "recipient_name": "Customer 1",
            "street_address": "2 Side Street",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "United States",
        },
    )


def address_target_strategy(world: World) -> st.SearchStrategy:
    """Customer A's addresses (the primary and another), customer B's, and ids that name nothing."""
    own = list(Address.objects.filter(user=world.a.user).order_by("pk").values_list("pk", flat=True))
    targets = st.sampled_from([*own, *own, world.b.address.pk, 10**9, 0])
    return st.tuples(targets, owner_fields(world, ["user", "user_id", "is_primary", "id", "deleted_at"]), injected())


def send_page_address_delete(world: World, data: Any) -> Any:
    target, owner, extra = data
    return page(world).post(f"/accounts/addresses/{target}/delete/", as_form({**owner, **extra}))


def send_api_address_delete(world: World, data: Any) -> Any:
    target, owner, extra = data
    return api(world).delete(f"/api/v1/me/addresses/{target}/", {**owner, **extra}, format="json")


def send_page_make_primary(world: World, data: Any) -> Any:
    target, owner, extra = data
    return page(world).post(f"/accounts/addresses/{target}/make-primary/", as_form({**owner, **extra}))


def send_api_make_primary(world: World, data: Any) -> Any:
    target, owner, extra = data
    return api(world).post(f"/api/v1/me/addresses/{target}/make-primary/", {**owner, **extra}, format="json")


def _address_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("is_primary", "updated_at")}


def check_address_delete(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target = data[0]
    problems = role_problems(world) + changed_beyond(world, before, {"addresses"})
    was = {row["id"]: row for row in before["addresses"]}
    now = {row["id"]: row for row in Address.objects.values()}
    if was.get(target, {}).get("user_id") != world.a.user.pk:
        return [*problems, f"deleting address {target}, not customer A's, was accepted"]
    if set(was) - set(now) != {target} or set(now) - set(was):
        problems.append(f"asked to delete {target}, deleted {sorted(set(was) - set(now))}")
    for pk, row in now.items():
        if _address_fields(row) != _address_fields(was[pk]) or (row["user_id"] != world.a.user.pk and row != was[pk]):
            problems.append(f"address {pk} changed")
    mine = [row for row in now.values() if row["user_id"] == world.a.user.pk]
    if mine and sum(row["is_primary"] for row in mine) != 1:
        problems.append(f"customer A has {sum(row['is_primary'] for row in mine)} primary addresses")
    return problems


def check_make_primary(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target = data[0]
    problems = role_problems(world) + changed_beyond(world, before, {"addresses"})
    was = {row["id"]: row for row in before["addresses"]}
    if was.get(target, {}).get("user_id") != world.a.user.pk:
        return [*problems, f"making address {target}, not customer A's, primary was accepted"]
    for row in Address.objects.values():
        if row["user_id"] == world.a.user.pk:
            if row["is_primary"] != (row["id"] == target):
                problems.append(f"address {row['id']} primary={row['is_primary']} after making {target} primary")
            if _address_fields(row) != _address_fields(was[row["id"]]):
                problems.append(f"address {row['id']}'s fields changed")
        elif row != was.get(row["id"]):
            problems.append(f"another user's address {row['id']} changed")
    return problems


SELLER_TEXT = ("business_name", "contact_person_name", "contact_person_phone")


def seller_apply_strategy(world: World) -> st.SearchStrategy:
    names = st.sampled_from(["Acme Goods", " Padded Ltd ", "", "x" * 201, "<b>Shop</b>"])
    business = st.fixed_dictionaries(
        {
            "business_name": names,
            "business_registration_number": st.sampled_from(["fresh", "fresh", "taken", "", "x" * 65, " fresh "]),
            "contact_person_name": names,
            "contact_person_phone": st.sampled_from(["", "+1 555 0100", "x" * 40]),
        }
    )
    account = st.fixed_dictionaries(
        {
            "email": st.sampled_from(["fresh", "fresh", world.a.user.email, "not-an-email", ""]),
            "first_name": st.sampled_from(["New", ""]),
            "last_name": st.sampled_from(["Seller", ""]),
            "password1": st.sampled_from([STRONG_PASSWORD, STRONG_PASSWORD, "short", "1234567890123"]),
            "password2": st.sampled_from(["same", "same", "different"]),
        }
    )
    seller = st.dictionaries(
        st.sampled_from(["status", "user", "user_id", "seller", "deleted_at", "is_staff"]),
        st.sampled_from([SellerStatus.ACTIVE, world.b.user.pk, True, "2000-01-01"]),
        max_size=3,
    )
    return st.tuples(st.sampled_from(["a", "a", "visitor", "visitor", "seller"]), business, account, seller, injected())


def seller_apply_form(world: World, data: Any) -> dict[str, Any]:
    _who, business, account, seller, extra = data
    values = {**extra, **seller, **account, **business}
    tag = uuid.uuid4().hex[:10]
    number = business["business_registration_number"]
    values["business_registration_number"] = {"taken": _seller_number(world)}.get(
        number, number.replace("fresh", f"BRN-{tag}")
    )
    values["email"] = f"seller-{tag}@example.com" if account["email"] == "fresh" else account["email"]
    values["password2"] = account["password1"] + ("" if account["password2"] == "same" else "x")
    return values


def _seller_number(world: World) -> str:
    return Seller.objects.get(user=world.seller_a.user).business_registration_number


def send_seller_apply(world: World, data: Any) -> Any:
    who = data[0]
    client = {"a": lambda: page(world), "seller": lambda: page(world, world.seller_a.user)}.get(who, Client)()
    values = seller_apply_form(world, data)
    world_extras(world)["last seller form"] = values
    return client.post("/accounts/seller/apply/", as_form(values))


def check_seller_apply(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    who = data[0]
    values = world_extras(world)["last seller form"]
    # A visitor's application also makes the account: a user with default preferences, signed in.
    made = {"user count", "passwords", "last sign-ins", "preferences", "sign-ins"}
    allowed = {"sellers"} | (made if who == "visitor" else set())
    problems = role_problems(world) + changed_beyond(world, before, allowed)
    known = {row["id"] for row in before["sellers"]}
    if list(Seller.objects.filter(pk__in=known).order_by("pk").values()) != before["sellers"]:
        problems.append("an existing seller changed")
    new = list(Seller.objects.exclude(pk__in=known).select_related("user"))
    if who == "seller":
        return [*problems, f"a seller applied again: {len(new)} new"] if new else problems
    if len(new) != 1:
        return [*problems, f"{len(new)} sellers made by one application"]
    seller = new[0]
    if seller.status != SellerStatus.UNDER_REVIEW:
        problems.append(f"a new seller starts {seller.status}")
    for name in (*SELLER_TEXT, "business_registration_number"):
        if getattr(seller, name) != values[name].strip():
            problems.append(f"{name} stored {getattr(seller, name)!r} from {values[name]!r}")
    if who == "a" and seller.user_id != world.a.user.pk:
        problems.append(f"customer A's application made user {seller.user_id} a seller")
    if who == "visitor":
        user = seller.user
        known_users = {row[0] for row in before["passwords"]}
        if user.pk in known_users or user.email != values["email"].lower():
            problems.append(f"a visitor's application went to user {user.pk} ({user.email})")
        if user.is_staff or user.is_superuser or not user.is_active:
            problems.append("a visitor's application made a staff/superuser/inactive user")
        for row in SignIn.objects.exclude(pk__in=[r["pk"] for r in before["sign-ins"]]):
            if row.user_id != user.pk:
                problems.append(f"a sign-in was made for user {row.user_id}")
        if list(UserPreferences.objects.exclude(user=user).order_by("pk").values()) != before["preferences"]:
            problems.append("existing preferences changed")
    return problems


# The untampered requests: what an honest client sends to each door.
UNTAMPERED_ADDRESS = {
    "address_type": "shipping",
    "recipient_name": "Ada Lovelace",
    "street_address": "12 Analytical Row",
    "city": "London",
    "postal_code": "NW1 2AB",
    "country": "United Kingdom",
}
UNTAMPERED_PREFERENCES = {
    "language": "de-DE",
    "currency": "EUR",
    "theme": "dark",
    "date_format": "DD/MM/YYYY",
    "time_format": TimeFormat.values[-1],
    "privacy_level": PrivacyLevel.values[-1],
    "email_notifications": "on",
}
UNTAMPERED_BUSINESS = {
    "business_name": "Acme Goods",
    "business_registration_number": "fresh",
    "contact_person_name": "Ada Lovelace",
    "contact_person_phone": "+1 555 0100",
}
UNTAMPERED_ACCOUNT = {
    "email": "fresh",
    "first_name": "New",
    "last_name": "Seller",
    "password1": STRONG_PASSWORD,
    "password2": "same",
}


def second_address(world: World) -> int:
    """Customer A's address that is not the primary one (made by `add_second_address`)."""
    return Address.objects.filter(user=world.a.user, is_primary=False).order_by("pk").values_list("pk", flat=True)[0]


# --- notifications: mark one read, mark all read ------------------------------------------------


def _notification_rows() -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in Notification.objects.values()}


def remember_notifications(world: World) -> None:
    """The notifications as the world has them (each example is rolled back to this); A's e-mail row
    too, whose id is A's but not one of her in-app notifications."""
    world_extras(world)["notifications"] = _notification_rows()


def notification_target_strategy(world: World) -> st.SearchStrategy:
    """Customer A's in-app notification, her e-mail row of the same news, B's, and ids of nothing."""
    a_email = Notification.objects.get(order=world.a.order, kind="confirmation", channel=Channel.EMAIL).pk
    mine = world.a.notification.pk
    targets = st.sampled_from([mine, mine, a_email, world.b.notification.pk, 10**9, 0])
    owner = owner_fields(world, ["user", "user_id", "read_at", "status", "channel", "id", "title", "is_read"])
    return st.tuples(targets, owner, injected())


def send_page_notification_read(world: World, data: Any) -> Any:
    target, owner, extra = data
    return page(world).post(f"/accounts/notifications/{target}/read/", as_form({**owner, **extra}))


def send_api_notification_read(world: World, data: Any) -> Any:
    target, owner, extra = data
    return api(world).post(f"/api/v1/me/notifications/{target}/read/", {**owner, **extra}, format="json")


def _notifications_marked(world: World, marked: set[int]) -> list[str]:
    """Exactly `marked` got a reading time; nothing else of any notification changed."""
    problems = []
    was = world_extras(world)["notifications"]
    for pk, row in _notification_rows().items():
        before = was.get(pk)
        if before is None:
            problems.append(f"notification {pk} appeared")
            continue
        if pk in marked:
            if row["read_at"] is None:
                problems.append(f"notification {pk} was not marked read")
            row = {**row, "read_at": before["read_at"], "updated_at": before["updated_at"]}
        if row != before:
            problems.append(f"notification {pk} (user {row['user_id']}, {row['channel']}) changed")
    return problems


def check_notification_read(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    target = data[0]
    problems = role_problems(world) + changed_beyond(world, before, set())
    if target != world.a.notification.pk:
        return [*problems, f"marking notification {target}, not customer A's in-app one, was accepted"]
    return problems + _notifications_marked(world, {target})


def notifications_all_strategy(world: World) -> st.SearchStrategy:
    return st.tuples(owner_fields(world, ["user", "user_id", "ids", "channel", "page"]), injected())


def send_page_notifications_read_all(world: World, data: Any) -> Any:
    owner, extra = data
    return page(world).post("/accounts/notifications/read-all/", as_form({**owner, **extra}))


def send_api_notifications_read_all(world: World, data: Any) -> Any:
    owner, extra = data
    return api(world).post("/api/v1/me/notifications/read-all/", {**owner, **extra}, format="json")


def check_notifications_read_all(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    problems = role_problems(world) + changed_beyond(world, before, set())
    mine = set(
        Notification.objects.filter(user=world.a.user, channel=Channel.IN_APP)
        .exclude(status=DeliveryStatus.SKIPPED)
        .values_list("pk", flat=True)
    )
    return problems + _notifications_marked(world, mine)


DOORS: list[Door] = [
    Door(
        "PATCH /api/v1/me/",
        "accounts_api:me",
        ignoring_world(profile_strategy),
        send_api_me,
        check_roles,
        control=lambda w: ("Ada", {}),
    ),
    Door(
        "POST /api/v1/me/addresses/",
        "accounts_api:addresses",
        ignoring_world(address_strategy),
        send_api_address_create,
        check_addresses,
        control=lambda w: (UNTAMPERED_ADDRESS, {}, {}),
    ),
    Door(
        "PATCH /api/v1/me/addresses/{id}/",
        "accounts_api:address",
        ignoring_world(address_strategy),
        send_api_address_update,
        check_addresses,
        control=lambda w: (UNTAMPERED_ADDRESS, {}, {}),
    ),
    Door(
        "PUT /api/v1/me/addresses/{id}/",
        "accounts_api:address",
        address_edit_strategy,
        send_api_address_put,
        check_address_edit,
        control=lambda w: ((UNTAMPERED_ADDRESS, {}, {}), "a"),
    ),
    Door(
        "POST /accounts/addresses/add/ (form)",
        "accounts:address_add",
        ignoring_world(address_strategy),
        send_page_address_create,
        check_addresses,
        redirected,
        control=lambda w: (UNTAMPERED_ADDRESS, {}, {}),
    ),
    Door(
        "POST /accounts/addresses/{id}/edit/ (form)",
        "accounts:address_edit",
        address_edit_strategy,
        send_page_address_edit,
        check_address_edit,
        redirected,
        control=lambda w: ((UNTAMPERED_ADDRESS, {}, {}), "a"),
    ),
    Door(
        "PATCH /api/v1/me/preferences/",
        "accounts_api:preferences",
        ignoring_world(profile_strategy),
        send_preferences,
        check_preferences,
        control=lambda w: ("", {}),
    ),
    Door(
        "POST /accounts/preferences/ (form)",
        "accounts:preferences",
        preferences_form_strategy,
        send_page_preferences,
        check_page_preferences,
        redirected,
        control=lambda w: (UNTAMPERED_PREFERENCES, {}, {}),
    ),
    Door(
        "POST /api/v1/auth/register/",
        "accounts_api:register",
        ignoring_world(profile_strategy),
        send_register,
        check_register,
        control=lambda w: ("", {}),
    ),
    Door(
        "POST /accounts/profile/ (form)",
        "accounts:profile",
        ignoring_world(profile_strategy),
        send_page_profile,
        check_roles,
        redirected,
        control=lambda w: ("Ada", {}),
    ),
    Door(
        "POST /accounts/signup/ (form)",
        "accounts:signup",
        ignoring_world(profile_strategy),
        send_page_signup,
        check_register,
        redirected,
        control=lambda w: ("", {}),
    ),
    Door(
        "POST /accounts/seller/apply/ (form)",
        "accounts:seller_apply",
        seller_apply_strategy,
        send_seller_apply,
        check_seller_apply,
        redirected,
        control=lambda w: ("visitor", UNTAMPERED_BUSINESS, UNTAMPERED_ACCOUNT, {}, {}),
    ),
    Door(
        "POST /accounts/addresses/{id}/delete/",
        "accounts:address_delete",
        address_target_strategy,
        send_page_address_delete,
        check_address_delete,
        redirected,
        add_second_address,
        FEW_EXAMPLES,
        control=lambda w: (second_address(w), {}, {}),
    ),
    Door(
        "DELETE /api/v1/me/addresses/{id}/",
        "accounts_api:address",
        address_target_strategy,
        send_api_address_delete,
        check_address_delete,
        prepare=add_second_address,
        examples=FEW_EXAMPLES,
        control=lambda w: (second_address(w), {}, {}),
    ),
    Door(
        "POST /accounts/addresses/{id}/make-primary/",
        "accounts:address_make_primary",
        address_target_strategy,
        send_page_make_primary,
        check_make_primary,
        redirected,
        add_second_address,
        FEW_EXAMPLES,
        control=lambda w: (second_address(w), {}, {}),
    ),
    Door(
        "POST /api/v1/me/addresses/{id}/make-primary/",
        "accounts_api:address_make_primary",
        address_target_strategy,
        send_api_make_primary,
        check_make_primary,
        prepare=add_second_address,
        examples=FEW_EXAMPLES,
        control=lambda w: (second_address(w), {}, {}),
    ),
    Door(
        "POST /accounts/notifications/{id}/read/",
        "accounts:notification_read",
        notification_target_strategy,
        send_page_notification_read,
        check_notification_read,
        redirected,
        remember_notifications,
        FEW_EXAMPLES,
        control=lambda w: (w.a.notification.pk, {}, {}),
    ),
    Door(
        "POST /api/v1/me/notifications/{id}/read/",
        "accounts_api:notification_read",
        notification_target_strategy,
        send_api_notification_read,
        check_notification_read,
        prepare=remember_notifications,
        examples=FEW_EXAMPLES,
        control=lambda w: (w.a.notification.pk, {}, {}),
    ),
    Door(
        "POST /accounts/notifications/read-all/",
        "accounts:notifications_read_all",
        notifications_all_strategy,
        send_page_notifications_read_all,
        check_notifications_read_all,
        redirected,
        remember_notifications,
        FEW_EXAMPLES,
        control=lambda w: ({}, {}),
    ),
    Door(
        "POST /api/v1/me/notifications/read-all/",
        "accounts_api:notifications_read_all",
        notifications_all_strategy,
        send_api_notifications_read_all,
        check_notifications_read_all,
        prepare=remember_notifications,
        examples=FEW_EXAMPLES,
        control=lambda w: ({}, {}),
    ),
]


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    attack(next(door for door in DOORS if door.name == door_name), scorecard_row)
