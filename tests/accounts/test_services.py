"""Service tests against PostgreSQL: rows written, errors raised, nothing written on bad input."""

import pytest
from django.contrib.sessions.models import Session
from django.db import transaction
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import selectors, services
from accounts.exceptions import (
    AddressNotFoundError,
    AdministratorExistsError,
    AdministratorNotFoundError,
    DisplayNameTakenError,
    EmailTakenError,
    FieldError,
    InvalidTransitionError,
    RegistrationNumberTakenError,
    SellerAlreadyAppliedError,
    SignInNotFoundError,
    TokenInvalidError,
    WeakPasswordError,
)
from accounts.models import (
    Address,
    Administrator,
    Customer,
    Seller,
    SellerStatus,
    SessionKind,
    User,
    UserPreferences,
    UserProfile,
    UserSession,
)
from tests.factories.accounts import (
    DEFAULT_PASSWORD,
    AddressFactory,
    AdministratorFactory,
    SellerFactory,
    UserFactory,
    UserPreferencesFactory,
    UserProfileFactory,
)

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a-long-and-unusual-passphrase"
ADDRESS = {
    "recipient_name": "Ada Lovelace",
    "street_address": "12 Analytical Row",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "GB",
}


# --- customer_register ------------------------------------------------------------------------


def test_customer_register_creates_user_customer_profile_and_preferences():
    user = services.customer_register(
        email="  New.Person@Example.com ", password=GOOD_PASSWORD, first_name="New", last_name="Person"
    )
    assert user.email == "new.person@example.com"
    assert user.check_password(GOOD_PASSWORD)
    assert Customer.objects.filter(user=user).exists()
    assert UserProfile.objects.filter(user=user).exists()
    assert UserPreferences.objects.get(user=user).currency == "USD"


def test_customer_register_refuses_a_taken_email_whatever_its_case():
    UserFactory(primary_address=False, email="taken@example.com")
    with pytest.raises(EmailTakenError) as info:
        services.customer_register(email="TAKEN@example.com", password=GOOD_PASSWORD)
    assert info.value.fields == {"email": ["An account with this email address already exists."]}
    assert User.objects.count() == 1


@pytest.mark.parametrize("password", ["short", "password123", "12345678901234", "jane.doe@example.com"])
def test_customer_register_refuses_weak_passwords_and_writes_nothing(password):
    with pytest.raises(WeakPasswordError) as info:
        services.customer_register(email="jane.doe@example.com", password=password, first_name="Jane")
    assert info.value.fields["password"]
    assert not User.objects.exists()
    assert not Customer.objects.exists()


def test_customer_register_refuses_an_invalid_email():
    with pytest.raises(FieldError) as info:
        services.customer_register(email="not-an-email", password=GOOD_PASSWORD)
    assert "email" in info.value.fields
    assert not User.objects.exists()


# --- sellers ----------------------------------------------------------------------------------


def _application(**overrides):
    data = {
        "business_name": "Lovelace Looms",
        "business_registration_number": "GB-123456",
        "contact_person_name": "Ada Lovelace",
    }
    data.update(overrides)
    return data


def test_seller_apply_as_a_signed_in_user_waits_under_review():
    user = UserFactory(primary_address=False)
    seller = services.seller_apply(user=user, **_application())
    assert seller.user == user
    assert seller.status == SellerStatus.UNDER_REVIEW


def test_seller_apply_as_a_new_user_creates_the_account_too():
    seller = services.seller_apply(
        user=None,
        email="maker@example.com",
        password=GOOD_PASSWORD,
        first_name="Mia",
        last_name="Maker",
        **_application(),
    )
    assert seller.user.email == "maker@example.com"
    assert seller.user.check_password(GOOD_PASSWORD)
    assert UserProfile.objects.filter(user=seller.user).exists()
    assert seller.status == SellerStatus.UNDER_REVIEW


def test_seller_apply_twice_is_refused():
    seller = SellerFactory()
    with pytest.raises(SellerAlreadyAppliedError):
        services.seller_apply(user=seller.user, **_application())
    assert Seller.objects.count() == 1


def test_seller_apply_with_a_taken_registration_number_writes_nothing():
    SellerFactory(business_registration_number="GB-123456")
    with pytest.raises(RegistrationNumberTakenError):
        services.seller_apply(user=None, email="maker@example.com", password=GOOD_PASSWORD, **_application())
    assert not User.objects.filter(email="maker@example.com").exists()
    assert Seller.objects.count() == 1


def test_seller_apply_with_a_registration_number_taken_in_another_case_is_the_field_error():
    SellerFactory(business_registration_number="GB-123456")
    user = UserFactory(primary_address=False)
    with pytest.raises(RegistrationNumberTakenError) as info:
        services.seller_apply(user=user, **_application(business_registration_number=" gb-123456 "))
    assert info.value.fields == {
        "business_registration_number": ["A seller with this business registration number already exists."]
    }
    assert not Seller.objects.filter(user=user).exists()


def test_seller_apply_with_a_blank_business_name_is_a_field_error():
    with pytest.raises(FieldError) as info:
        services.seller_apply(user=UserFactory(primary_address=False), **_application(business_name="  "))
    assert "business_name" in info.value.fields
    assert not Seller.objects.exists()


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (SellerStatus.UNDER_REVIEW, SellerStatus.ACTIVE),
        (SellerStatus.ACTIVE, SellerStatus.SUSPENDED),
        (SellerStatus.SUSPENDED, SellerStatus.ACTIVE),
        (SellerStatus.ACTIVE, SellerStatus.INACTIVE),
        (SellerStatus.INACTIVE, SellerStatus.UNDER_REVIEW),
    ],
)
def test_seller_set_status_follows_the_allowed_transitions(start, to):
    seller = SellerFactory(status=start)
    services.seller_set_status(seller_id=seller.pk, to=to)
    seller.refresh_from_db()
    assert seller.status == to


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (SellerStatus.UNDER_REVIEW, SellerStatus.SUSPENDED),
        (SellerStatus.INACTIVE, SellerStatus.ACTIVE),
        (SellerStatus.ACTIVE, SellerStatus.ACTIVE),
    ],
)
def test_seller_set_status_refuses_other_transitions(start, to):
    seller = SellerFactory(status=start)
    with pytest.raises(InvalidTransitionError) as info:
        services.seller_set_status(seller_id=seller.pk, to=to)
    assert info.value.http_status == 409
    seller.refresh_from_db()
    assert seller.status == start


def _sends(callbacks: list) -> list:
    """The after-commit e-mail sends among a transaction's callbacks (not the cache bumps)."""
    return [c for c in callbacks if getattr(c, "__qualname__", "").startswith("_send_after_commit")]


@pytest.mark.parametrize(
    ("start", "to", "subject", "says"),
    [
        (SellerStatus.UNDER_REVIEW, SellerStatus.ACTIVE, "Sam's Goods is approved to sell", "is approved"),
        (
            SellerStatus.UNDER_REVIEW,
            SellerStatus.INACTIVE,
            "Your application to sell as Sam's Goods was not approved",
            "cannot approve it",
        ),
        (SellerStatus.ACTIVE, SellerStatus.SUSPENDED, "Sam's Goods is suspended from selling", "is suspended"),
        (
            SellerStatus.SUSPENDED,
            SellerStatus.ACTIVE,
            "Sam's Goods can sell again",
            "suspension of Sam's Goods is lifted",
        ),
        (SellerStatus.ACTIVE, SellerStatus.INACTIVE, "Sam's Goods is closed for selling", "now closed"),
    ],
)
def test_seller_set_status_emails_the_decision_after_commit(
    django_capture_on_commit_callbacks, mailoutbox, start, to, subject, says
):
    seller = SellerFactory(status=start, business_name="Sam's Goods", user__email="sam@example.com")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.seller_set_status(seller_id=seller.pk, to=to)
        assert mailoutbox == []  # nothing before the commit
    # The e-mail's send; the other callback forgets the seller's kept request user (accounts.signals).
    assert len(_sends(callbacks)) == 1
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["sam@example.com"]
    assert message.subject == subject
    assert says in message.body
    assert "&#x27;" not in message.subject + message.body


def test_seller_reopened_for_review_or_refused_transition_sends_no_email(
    django_capture_on_commit_callbacks, mailoutbox
):
    closed = SellerFactory(status=SellerStatus.INACTIVE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.seller_set_status(seller_id=closed.pk, to=SellerStatus.UNDER_REVIEW)
        with pytest.raises(InvalidTransitionError):
            services.seller_set_status(seller_id=closed.pk, to=SellerStatus.SUSPENDED)
    assert _sends(callbacks) == []
    assert mailoutbox == []


def test_seller_decision_email_is_not_sent_when_the_change_rolls_back(django_capture_on_commit_callbacks, mailoutbox):
    seller = SellerFactory(status=SellerStatus.UNDER_REVIEW)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.seller_set_status(seller_id=seller.pk, to=SellerStatus.ACTIVE)
        raise RuntimeError("something later in the same transaction failed")
    assert callbacks == []
    assert mailoutbox == []
    seller.refresh_from_db()
    assert seller.status == SellerStatus.UNDER_REVIEW


def test_seller_decision_email_of_a_status_since_changed_is_not_sent(mailoutbox):
    seller = SellerFactory(status=SellerStatus.SUSPENDED)
    # The task of the earlier approval runs late: the seller was suspended in the meantime.
    assert services.seller_decision_email_send(seller_id=seller.pk, status="active", previous="under_review") is False
    assert services.seller_decision_email_send(seller_id=seller.pk + 1000, status="active", previous="x") is False
    assert mailoutbox == []
    assert services.seller_decision_email_send(seller_id=seller.pk, status="suspended", previous="active") is True
    assert len(mailoutbox) == 1


# --- administrators ---------------------------------------------------------------------------


def test_administrator_create_makes_the_user_staff():
    user = UserFactory(primary_address=False)
    administrator = services.administrator_create(user=user, role=" Support ", contact_phone="+1 555 0100")
    assert (administrator.role, administrator.contact_phone) == ("Support", "+1 555 0100")
    user.refresh_from_db()
    assert user.is_staff
    assert not user.is_superuser


def test_administrator_create_twice_or_without_a_role_is_refused_and_changes_nothing():
    administrator = AdministratorFactory()
    with pytest.raises(AdministratorExistsError) as info:
        services.administrator_create(user=administrator.user, role="Other")
    assert list(info.value.fields) == ["user"]

    user = UserFactory(primary_address=False)
    with pytest.raises(FieldError) as info:
        services.administrator_create(user=user, role="  ")
    assert "role" in info.value.fields
    user.refresh_from_db()
    assert not user.is_staff
    assert Administrator.objects.count() == 1


def test_administrator_update_changes_role_and_phone():
    administrator = AdministratorFactory(role="Support")
    services.administrator_update(administrator_id=administrator.pk, data={"role": "Catalogue", "contact_phone": "12"})
    administrator.refresh_from_db()
    assert (administrator.role, administrator.contact_phone) == ("Catalogue", "12")
    with pytest.raises(FieldError):
        services.administrator_update(administrator_id=administrator.pk, data={"role": ""})


def test_administrator_remove_drops_staff_status_but_not_a_superusers():
    staff = services.administrator_create(user=UserFactory(primary_address=False), role="Support")
    boss = services.administrator_create(
        user=UserFactory(primary_address=False, is_staff=True, is_superuser=True), role="Owner"
    )

    assert not services.administrator_remove(administrator_id=staff.pk).is_staff
    assert services.administrator_remove(administrator_id=boss.pk).is_staff
    assert not Administrator.objects.exists()
    assert list(User.objects.filter(is_staff=True)) == [boss.user]
    with pytest.raises(AdministratorNotFoundError):
        services.administrator_remove(administrator_id=staff.pk)


# --- profile and preferences ------------------------------------------------------------------


def test_profile_update_changes_user_and_profile_fields():
    user = UserFactory(primary_address=False)
    services.profile_update(
        user=user, data={"first_name": " Ada ", "phone_number": "+44 20 7946 0000", "display_name": "ada", "bio": "Hi"}
    )
    user.refresh_from_db()
    assert user.first_name == "Ada"
    assert user.phone_number == "+44 20 7946 0000"
    assert user.profile.display_name == "ada"
    assert user.profile.bio == "Hi"


def test_profile_update_refuses_a_display_name_taken_in_another_case():
    UserProfileFactory(display_name="Ada")
    user = UserFactory(primary_address=False)
    with pytest.raises(DisplayNameTakenError) as info:
        services.profile_update(user=user, data={"display_name": "ADA", "first_name": "Changed"})
    assert info.value.fields == {"display_name": ["This display name is already taken; choose another."]}
    user.refresh_from_db()
    assert user.first_name != "Changed"


def test_profile_update_keeps_your_own_display_name_in_another_case():
    profile = UserProfileFactory(display_name="Ada")
    services.profile_update(user=profile.user, data={"display_name": "ADA"})
    profile.refresh_from_db()
    assert profile.display_name == "ADA"


def test_profile_update_refuses_an_invalid_website():
    user = UserFactory(primary_address=False)
    with pytest.raises(FieldError) as info:
        services.profile_update(user=user, data={"website": "not a url"})
    assert "website" in info.value.fields


def test_profile_update_sets_social_links_trimmed_and_drops_empty_ones():
    profile = UserProfileFactory()
    services.profile_update(
        user=profile.user,
        data={
            "social_links": {"github": " https://github.com/ada ", "x": "", "mastodon": "http://social.example/@ada"}
        },
    )
    profile.refresh_from_db()
    assert profile.social_links == {"github": "https://github.com/ada", "mastodon": "http://social.example/@ada"}
    assert selectors.social_links_of(profile=profile) == profile.social_links

    services.profile_update(user=profile.user, data={"social_links": {}})
    profile.refresh_from_db()
    assert profile.social_links == {}


@pytest.mark.parametrize(
    ("links", "message"),
    [
        ({"github": "javascript:alert(1)"}, "GitHub: Enter a web address that starts with http:// or https://"),
        ({"github": "ftp://files.example.com/me"}, "GitHub: Enter a web address"),
        ({"github": "https://example.com/" + "a" * 200}, "GitHub: Use at most 200 characters."),
        ({"github": 42}, "GitHub: Enter a web address"),
        ({"myspace": "https://myspace.com/ada"}, "'myspace' is not a network we link to"),
        (["https://github.com/ada"], "Send an object of network name to web address"),
    ],
)
def test_profile_update_refuses_bad_social_links_and_writes_nothing(links, message):
    profile = UserProfileFactory(social_links={"x": "https://x.com/ada"})
    with pytest.raises(FieldError) as info:
        services.profile_update(user=profile.user, data={"social_links": links, "bio": "Changed"})
    assert list(info.value.fields) == ["social_links"]
    assert any(text.startswith(message) for text in info.value.fields["social_links"]), info.value.fields
    profile.refresh_from_db()
    assert (profile.social_links, profile.bio) == ({"x": "https://x.com/ada"}, "")


def test_social_links_of_a_profile_from_before_they_were_an_object_is_empty():
    profile = UserProfileFactory(social_links=[])
    assert selectors.social_links_of(profile=profile) == {}


def test_preferences_update_creates_them_when_missing_and_validates_choices():
    user = UserFactory(primary_address=False)
    prefs = services.preferences_update(user=user, data={"theme": "dark", "marketing_emails": True})
    assert (prefs.theme, prefs.marketing_emails) == ("dark", True)
    with pytest.raises(FieldError) as info:
        services.preferences_update(user=user, data={"theme": "neon"})
    assert "theme" in info.value.fields
    assert UserPreferences.objects.get(user=user).theme == "dark"


def test_preferences_update_changes_only_the_given_fields():
    prefs = UserPreferencesFactory(currency="EUR")
    services.preferences_update(user=prefs.user, data={"language": "fr-FR"})
    prefs.refresh_from_db()
    assert (prefs.language, prefs.currency) == ("fr-FR", "EUR")


# --- addresses --------------------------------------------------------------------------------


def test_the_first_address_becomes_primary_and_later_ones_do_not():
    user = UserFactory(primary_address=False)
    first = services.address_create(user=user, data=ADDRESS)
    second = services.address_create(user=user, data={**ADDRESS, "city": "Paris"})
    assert first.is_primary and not second.is_primary


def test_creating_an_address_as_primary_steps_the_old_one_down():
    user = UserFactory(primary_address=False)
    first = services.address_create(user=user, data=ADDRESS)
    second = services.address_create(user=user, data=ADDRESS, is_primary=True)
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary
    assert Address.objects.filter(user=user, is_primary=True).count() == 1


def test_address_create_with_missing_fields_writes_nothing():
    user = UserFactory(primary_address=False)
    with pytest.raises(FieldError) as info:
        services.address_create(user=user, data={**ADDRESS, "city": "", "postal_code": ""})
    assert {"city", "postal_code"} <= set(info.value.fields)
    assert not Address.objects.exists()


def test_address_update_changes_fields_but_not_another_users_address():
    mine = AddressFactory(is_primary=True)
    theirs = AddressFactory(is_primary=True, city="Rome")
    services.address_update(user=mine.user, address_id=mine.pk, data={"city": "Oslo"})
    mine.refresh_from_db()
    assert mine.city == "Oslo"
    with pytest.raises(AddressNotFoundError):
        services.address_update(user=mine.user, address_id=theirs.pk, data={"city": "Oslo"})
    theirs.refresh_from_db()
    assert theirs.city == "Rome"


def test_deleting_the_primary_address_promotes_the_oldest_other_one():
    user = UserFactory(primary_address=False)
    primary = services.address_create(user=user, data=ADDRESS)
    older = services.address_create(user=user, data=ADDRESS)
    services.address_create(user=user, data=ADDRESS)
    promoted = services.address_delete(user=user, address_id=primary.pk)
    assert promoted == older
    assert list(Address.objects.filter(user=user, is_primary=True)) == [older]


def test_deleting_a_secondary_or_the_last_address():
    user = UserFactory(primary_address=False)
    primary = services.address_create(user=user, data=ADDRESS)
    secondary = services.address_create(user=user, data=ADDRESS)
    assert services.address_delete(user=user, address_id=secondary.pk) is None
    assert services.address_delete(user=user, address_id=primary.pk) is None
    assert not Address.objects.filter(user=user).exists()


def test_make_primary_flips_in_one_go_and_refuses_another_users_address():
    user = UserFactory(primary_address=False)
    first = services.address_create(user=user, data=ADDRESS)
    second = services.address_create(user=user, data=ADDRESS)
    services.address_make_primary(user=user, address_id=second.pk)
    assert list(Address.objects.filter(user=user, is_primary=True)) == [second]
    services.address_make_primary(user=user, address_id=second.pk)  # already primary: a no-op
    assert list(Address.objects.filter(user=user, is_primary=True)) == [second]
    with pytest.raises(AddressNotFoundError):
        services.address_make_primary(user=UserFactory(primary_address=False), address_id=first.pk)
    with pytest.raises(AddressNotFoundError):
        services.address_delete(user=UserFactory(primary_address=False), address_id=first.pk)
    assert Address.objects.filter(user=user).count() == 2


def test_address_selectors_read_through_the_owner():
    mine = AddressFactory(is_primary=True)
    other = AddressFactory()
    assert list(selectors.address_list(user=mine.user)) == [mine]
    with pytest.raises(AddressNotFoundError):
        selectors.address_get(user=mine.user, address_id=other.pk)


# --- passwords, sign-ins and tokens -----------------------------------------------------------


def _web_sign_in(user, key):
    Session.objects.create(session_key=key, session_data="", expire_date="2999-01-01T00:00Z")
    return services.user_session_start_web(user=user, session_key=key, user_agent="Browser", ip_address="192.0.2.1")


def test_password_change_ends_every_other_sign_in_and_keeps_the_current_one():
    user = UserFactory(primary_address=False)
    current = _web_sign_in(user, "k" * 32)
    other = _web_sign_in(user, "o" * 32)
    pair = services.user_api_sign_in(user=user, user_agent="App", ip_address=None)

    ended = services.user_password_change(user=user, new_password=GOOD_PASSWORD, keep_session_key=current.session_key)

    assert ended == 2
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert UserSession.objects.get(pk=current.pk).is_active
    assert not UserSession.objects.get(pk=other.pk).is_active
    assert not UserSession.objects.get(pk=pair.sign_in.pk).is_active
    assert not Session.objects.filter(session_key="o" * 32).exists()
    assert Session.objects.filter(session_key="k" * 32).exists()
    with pytest.raises(TokenInvalidError):
        services.user_api_token_refresh(refresh=pair.refresh)


def test_password_change_refuses_a_weak_password_and_keeps_the_old_one():
    user = UserFactory(primary_address=False)
    with pytest.raises(WeakPasswordError):
        services.user_password_change(user=user, new_password="123")
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_user_session_end_closes_a_web_sign_in_and_its_session():
    user = UserFactory(primary_address=False)
    sign_in = _web_sign_in(user, "w" * 32)
    services.user_session_end(user=user, session_id=sign_in.pk)
    sign_in.refresh_from_db()
    assert not sign_in.is_active and sign_in.ended_at is not None
    assert not Session.objects.filter(session_key="w" * 32).exists()


def test_user_session_end_refuses_another_users_sign_in():
    sign_in = _web_sign_in(UserFactory(primary_address=False), "v" * 32)
    with pytest.raises(SignInNotFoundError):
        services.user_session_end(user=UserFactory(primary_address=False), session_id=sign_in.pk)
    sign_in.refresh_from_db()
    assert sign_in.is_active
    assert Session.objects.filter(session_key="v" * 32).exists()


def test_api_sign_in_records_the_refresh_tokens_id_and_expiry():
    user = UserFactory(primary_address=False)
    pair = services.user_api_sign_in(user=user, user_agent="ShopApp/2", ip_address="203.0.113.5")
    sign_in = pair.sign_in
    assert sign_in.kind == SessionKind.API
    assert sign_in.user_agent == "ShopApp/2"
    assert sign_in.ip_address == "203.0.113.5"
    outstanding = OutstandingToken.objects.get(jti=sign_in.refresh_jti)
    assert outstanding.user == user
    assert sign_in.expires_at == outstanding.expires_at
    user.refresh_from_db()
    assert user.last_login is not None


def test_token_refresh_rotates_and_the_sign_in_follows_the_newest_token():
    user = UserFactory(primary_address=False)
    first = services.user_api_sign_in(user=user, user_agent="App", ip_address=None)
    second = services.user_api_token_refresh(refresh=first.refresh)
    sign_in = UserSession.objects.get(pk=first.sign_in.pk)
    assert sign_in.refresh_jti != first.sign_in.refresh_jti
    assert BlacklistedToken.objects.filter(token__jti=first.sign_in.refresh_jti).exists()
    with pytest.raises(TokenInvalidError):
        services.user_api_token_refresh(refresh=first.refresh)
    third = services.user_api_token_refresh(refresh=second.refresh)
    assert third.refresh != second.refresh


def test_token_refresh_of_garbage_or_an_inactive_user_is_refused():
    with pytest.raises(TokenInvalidError):
        services.user_api_token_refresh(refresh="not-a-token")
    user = UserFactory(primary_address=False)
    pair = services.user_api_sign_in(user=user, user_agent="App", ip_address=None)
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(TokenInvalidError):
        services.user_api_token_refresh(refresh=pair.refresh)


def test_api_sign_out_blacklists_and_closes_the_sign_in():
    user = UserFactory(primary_address=False)
    pair = services.user_api_sign_in(user=user, user_agent="App", ip_address=None)
    services.user_api_sign_out(refresh=pair.refresh)
    assert not UserSession.objects.get(pk=pair.sign_in.pk).is_active
    with pytest.raises(TokenInvalidError):
        services.user_api_token_refresh(refresh=pair.refresh)
    with pytest.raises(TokenInvalidError):
        services.user_api_sign_out(refresh=pair.refresh)


def test_ending_an_api_sign_in_kills_its_refresh_token():
    user = UserFactory(primary_address=False)
    pair = services.user_api_sign_in(user=user, user_agent="App", ip_address=None)
    services.user_session_end(user=user, session_id=pair.sign_in.pk)
    with pytest.raises(TokenInvalidError):
        services.user_api_token_refresh(refresh=pair.refresh)


def test_session_list_shows_only_active_unexpired_sign_ins():
    user = UserFactory(primary_address=False)
    live = services.user_api_sign_in(user=user, user_agent="App", ip_address=None).sign_in
    ended = services.user_api_sign_in(user=user, user_agent="App", ip_address=None).sign_in
    services.user_session_end(user=user, session_id=ended.pk)
    assert list(selectors.user_session_list(user=user)) == [live]


def test_touch_rekey_and_close_follow_a_browser_sign_in():
    user = UserFactory(primary_address=False)
    sign_in = _web_sign_in(user, "a" * 32)
    UserSession.objects.filter(pk=sign_in.pk).update(last_active_at="2000-01-01T00:00Z")
    services.user_session_touch(session_key="a" * 32)
    sign_in.refresh_from_db()
    assert sign_in.last_active_at.year > 2000

    services.user_session_rekey(old_session_key="a" * 32, new_session_key="b" * 32)
    sign_in.refresh_from_db()
    assert sign_in.session_key == "b" * 32

    services.user_session_close_by_key(session_key="b" * 32)
    sign_in.refresh_from_db()
    assert not sign_in.is_active and sign_in.ended_at is not None


def test_guest_touch_records_an_anonymous_visitor_once_per_session():
    first = services.guest_touch(session_key="g" * 32, user_agent="Safari", ip_address="192.0.2.3")
    again = services.guest_touch(session_key="g" * 32, user_agent="Safari", ip_address="192.0.2.4")
    assert first.pk == again.pk
    assert again.ip_address == "192.0.2.4"
