from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client

from accounts import demo
from accounts.management.commands.seed_demo import demo_seeders
from accounts.models import Address, Customer, Seller, SellerStatus, User

from .conftest import page_sign_in

pytestmark = pytest.mark.django_db


def test_demo_seed_creates_the_demo_accounts_and_prints_the_logins():
    out = StringIO()
    demo.seed(out)
    text = out.getvalue()
    for email, password in [
        (demo.ADMIN_EMAIL, demo.ADMIN_PASSWORD),
        (demo.CUSTOMER_EMAIL, demo.CUSTOMER_PASSWORD),
        (demo.SELLER_EMAIL, demo.SELLER_PASSWORD),
    ]:
        assert email in text and password in text
        assert page_sign_in(Client(), email, password).status_code == 302
    admin = User.objects.get(email=demo.ADMIN_EMAIL)
    assert admin.is_superuser and admin.is_staff
    assert Customer.objects.filter(user__email=demo.CUSTOMER_EMAIL).exists()
    assert Seller.objects.get(user__email=demo.SELLER_EMAIL).status == SellerStatus.ACTIVE


def test_demo_seed_is_idempotent():
    demo.seed(StringIO())
    counts = (User.objects.count(), Seller.objects.count(), Customer.objects.count(), Address.objects.count())
    demo.seed(StringIO())
    assert counts == (User.objects.count(), Seller.objects.count(), Customer.objects.count(), Address.objects.count())


def test_seed_demo_command_seeds_accounts_then_every_app_and_can_run_again():
    for _ in range(2):
        out = StringIO()
        call_command("seed_demo", force=True, stdout=out)
        assert demo.CUSTOMER_EMAIL in out.getvalue()
        seeded = [line for line in out.getvalue().splitlines() if line.startswith("Seeding ")]
        assert seeded == [f"Seeding {label}…" for label, _ in demo_seeders()]
        assert "Seeding catalog…" in seeded and "Seeding orders…" in seeded
        assert out.getvalue().rstrip().endswith("Demo data is ready.")
    assert User.objects.filter(email__in=[demo.ADMIN_EMAIL, demo.CUSTOMER_EMAIL, demo.SELLER_EMAIL]).count() == 3


def test_seed_demo_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="publicly known passwords"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_other_apps_take_part_through_their_demo_module():
    labels = [label for label, _ in demo_seeders()]
    assert "accounts" not in labels  # seeded first, on its own
    for label, seed in demo_seeders():
        assert callable(seed), label
    # The loop above proves nothing if it never runs: every app of ours with a demo module takes
    # part, in INSTALLED_APPS order (an app seeds after the apps it depends on).
    ours_with_demo = [
        config.label
        for config in apps.get_app_configs()
        if config.label != "accounts"
        and Path(config.path).resolve().is_relative_to(Path(settings.BASE_DIR).resolve())
        and (Path(config.path) / "demo.py").is_file()
    ]
    assert labels == ours_with_demo
    assert {"catalog", "inventory", "promotions", "payments", "orders"} <= set(labels)
