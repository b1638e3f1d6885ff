"""Popular products: the last N calendar days in UTC (today included), ties by product id,
rolled-up days from ProductDailySales and the others from live ProductSaleStat rows, cancelled
orders not counted, the result cached. The order history's prepared reads answer as the ORM."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Order, ProductDailySales, ProductSaleStat
from orders.selectors import (
    order_of,
    orders_of,
    popular_product_quantities,
    popular_products,
    popular_window,
)
from orders.services import order_cancel, order_place, sales_rollup
from promotions.models import CouponStatus
from promotions.selectors import coupons_usable
from promotions.services import coupon_claim
from tests.factories.commerce import CouponFactory, ProductFactory, VariantFactory

from .conftest import place

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)


def sold(customer, variant, quantity, day: dt.date) -> Order:
    """An order paid on `day` (noon UTC), its live sale rows dated that day."""
    order = place(customer, variant, quantity)
    paid_at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    Order.objects.filter(pk=order.pk).update(paid_at=paid_at, created_at=paid_at)
    ProductSaleStat.objects.filter(order_item__order=order).update(date=day)
    order.refresh_from_db()
    return order


@pytest.fixture
def products(db):
    return [VariantFactory(price=Decimal("1.00"), stock=100) for _ in range(4)]


def test_window_is_n_calendar_days_including_today():
    assert popular_window(days=3, today=TODAY) == (dt.date(2026, 11, 18), TODAY)
    assert popular_window(days=1, today=TODAY) == (TODAY, TODAY)


def test_counts_the_last_three_days_only(customer, products):
    a, b, c, d = products
    sold(customer, a, 2, TODAY)
    sold(customer, b, 3, TODAY - dt.timedelta(days=2))  # first day of the window
    sold(customer, c, 9, TODAY - dt.timedelta(days=3))  # just outside
    sold(customer, d, 1, TODAY + dt.timedelta(days=1))  # after "today" (clock skew): not counted

    assert popular_product_quantities(days=3, limit=5, today=TODAY) == [(b.product_id, 3), (a.product_id, 2)]
    assert popular_product_quantities(days=4, limit=5, today=TODAY)[0] == (c.product_id, 9)


def test_ties_are_broken_by_product_id(customer, products):
    for variant in reversed(products):
        sold(customer, variant, 2, TODAY)

    ranked = popular_product_quantities(days=3, limit=3, today=TODAY)

    assert ranked == sorted((v.product_id, 2) for v in products)[:3]


def test_quantities_of_one_product_add_up_across_variants_and_days(customer, products):
    product = ProductFactory()
    red, blue = VariantFactory(product=product, price=Decimal("1.00")), VariantFactory(product=product)
    sold(customer, red, 2, TODAY)
    sold(customer, blue, 1, TODAY - dt.timedelta(days=1))
    sold(customer, products[0], 2, TODAY)

    assert popular_product_quantities(days=3, today=TODAY)[0] == (product.pk, 3)


def test_rolled_up_days_come_from_daily_sales_later_days_from_live_rows(customer, products):
    a, b, _, _ = products
    yesterday = TODAY - dt.timedelta(days=1)
    sold(customer, a, 2, yesterday)
    sold(customer, a, 1, TODAY)
    sales_rollup(day=yesterday)
    # Prove the source: the rollup row for yesterday says 10 while the live rows say 2.
    ProductDailySales.objects.filter(product=a.product, date=yesterday).update(quantity=10)
    sold(customer, b, 4, yesterday)  # after the rollup: a rolled-up day is read from the rollup only
    # A rollup row for today is ignored: today is not over, it is always read live.
    ProductDailySales.objects.create(product=b.product, date=TODAY, quantity=50)

    assert popular_product_quantities(days=3, today=TODAY) == [(a.product_id, 11)]


def test_a_day_the_rollup_has_not_reached_is_read_live(customer, products):
    a, b, _, _ = products
    two_days_ago, yesterday = TODAY - dt.timedelta(days=2), TODAY - dt.timedelta(days=1)
    sold(customer, a, 2, two_days_ago)
    sold(customer, b, 3, yesterday)
    sales_rollup(day=yesterday)  # two days ago was never rolled up

    assert popular_product_quantities(days=3, today=TODAY) == [(b.product_id, 3), (a.product_id, 2)]


def test_cancelled_orders_do_not_count_live_or_rolled_up(customer, products):
    a, b, _, _ = products
    yesterday = TODAY - dt.timedelta(days=1)
    cancelled_yesterday = sold(customer, a, 5, yesterday)
    cancelled_today = sold(customer, a, 5, TODAY)
    sold(customer, b, 1, TODAY)
    order_cancel(order_id=cancelled_yesterday.pk, user=customer)
    order_cancel(order_id=cancelled_today.pk, user=customer)

    assert popular_product_quantities(days=3, today=TODAY) == [(b.product_id, 1)]
    sales_rollup(day=yesterday)
    assert not ProductDailySales.objects.filter(date=yesterday).exists()
    assert popular_product_quantities(days=3, today=TODAY) == [(b.product_id, 1)]


def test_popular_products_returns_listing_products_and_is_cached(customer, products, django_assert_num_queries):
    today = timezone.now().date()
    sold(customer, products[0], 3, today)
    sold(customer, products[1], 1, today)

    first = popular_products(days=3, limit=5)
    assert [(p.pk, q) for p, q in first] == [(products[0].product_id, 3), (products[1].product_id, 1)]
    product = first[0][0]
    assert product.price == Decimal("1.00") and product.available == 97

    sold(customer, products[2], 9, today)  # within the cache's lifetime nothing changes
    with django_assert_num_queries(0):
        again = popular_products(days=3, limit=5)
    assert [(p.pk, q) for p, q in again] == [(p.pk, q) for p, q in first]


def test_popular_products_leaves_out_products_no_longer_listed(customer, products):
    today = timezone.now().date()
    sold(customer, products[0], 3, today)
    sold(customer, products[1], 1, today)
    products[0].product.status = "inactive"
    products[0].product.save()

    assert [p.pk for p, _ in popular_products(days=3, limit=5)] == [products[1].product_id]


def test_orders_of_and_order_of_are_per_customer(customer, other_customer, products):
    mine = place(customer, products[0])
    theirs = place(other_customer, products[0])

    assert list(orders_of(user=customer)) == [mine]
    assert order_of(user=customer, order_id=mine.pk) == mine
    assert order_of(user=customer, order_id=theirs.pk) is None


def test_coupons_usable_at_checkout_are_promotions_usable_ones(customer, products):
    usable = coupon_claim(coupon_id=CouponFactory().pk, user=customer)
    used = coupon_claim(coupon_id=CouponFactory().pk, user=customer)
    place(customer, products[0], coupon_ref=used.pk)
    paused = coupon_claim(coupon_id=CouponFactory().pk, user=customer)
    paused.coupon.status = CouponStatus.PAUSED
    paused.coupon.save()
    expired = coupon_claim(coupon_id=CouponFactory().pk, user=customer)
    expired.coupon.expires_at = timezone.now() - dt.timedelta(minutes=1)
    expired.coupon.save()

    assert list(coupons_usable(user=customer)) == [usable]


def test_a_cancellation_on_a_rolled_up_day_leaves_popular_products_at_once(
    customer, products, django_capture_on_commit_callbacks
):
    """Popular products and the rollup agree after the cancel, cache included (not a night later)."""
    a, b, _, _ = products
    today = timezone.now().date()
    yesterday = today - dt.timedelta(days=1)
    sold(customer, a, 1, yesterday)
    cancelled = sold(customer, b, 5, yesterday)
    sold(customer, b, 1, yesterday)
    sales_rollup(day=yesterday)
    assert [(p.pk, q) for p, q in popular_products(days=3, limit=5)] == [(b.product_id, 6), (a.product_id, 1)]

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=cancelled.pk, user=customer)

    expected = [(a.product_id, 1), (b.product_id, 1)]
    assert popular_product_quantities(days=3, limit=5) == expected
    assert [(p.pk, q) for p, q in popular_products(days=3, limit=5)] == expected  # the cached answer is gone
    rolled_up = list(ProductDailySales.objects.filter(date=yesterday).values_list("product_id", "quantity", "revenue"))
    assert sorted(rolled_up) == [(a.product_id, 1, Decimal("1.00")), (b.product_id, 1, Decimal("1.00"))]
    sales_rollup(day=yesterday)
    assert sorted(
        ProductDailySales.objects.filter(date=yesterday).values_list("product_id", "quantity", "revenue")
    ) == (sorted(rolled_up))


def test_popular_products_fills_the_limit_past_products_no_longer_listed(customer, django_assert_max_num_queries):
    """Best sellers no longer for sale are dropped before the cut: the next ones take their places."""
    today = timezone.now().date()
    variants = [VariantFactory(price=Decimal("1.00"), stock=100) for _ in range(8)]
    for n, variant in enumerate(variants):
        sold(customer, variant, 20 - n, today)
    for delisted in variants[:2]:
        delisted.product.status = "inactive"
        delisted.product.save()
    variants[2].product.deleted_at = timezone.now()
    variants[2].product.save()

    with django_assert_max_num_queries(6):
        top = popular_products(days=3, limit=5, cached=False)

    assert [(p.pk, q) for p, q in top] == [(v.product_id, 20 - n) for n, v in enumerate(variants) if n >= 3]


def test_popular_products_looks_further_down_when_a_whole_batch_is_delisted(customer):
    today = timezone.now().date()
    variants = [VariantFactory(price=Decimal("1.00"), stock=100) for _ in range(12)]
    for n, variant in enumerate(variants):
        sold(customer, variant, 30 - n, today)
    for delisted in variants[:10]:  # the first batch of candidates (limit 2 asks for 10)
        delisted.product.status = "inactive"
        delisted.product.save()

    top = popular_products(days=3, limit=2, cached=False)

    assert [(p.pk, q) for p, q in top] == [(variants[10].product_id, 20), (variants[11].product_id, 19)]


def test_popular_products_returns_fewer_only_when_fewer_listed_products_sold(customer, products):
    today = timezone.now().date()
    for variant in products:
        sold(customer, variant, 2, today)
    products[0].product.status = "inactive"
    products[0].product.save()

    assert len(popular_products(days=3, limit=5, cached=False)) == 3


def test_the_history_reads_the_orms_orders_page_by_page_and_only_its_customers(customer, other_customer):
    from django.core.paginator import Paginator

    from orders.selectors import HistoryOrders, orders_for_history_page
    from tests.factories.accounts import CustomerFactory

    variant = VariantFactory(stock=100)
    for n in range(23):
        place(other_customer if n % 3 == 0 else customer, variant)  # interleaved ids
    history, orm = HistoryOrders(user=customer, per_page=10), orders_for_history_page(user=customer)

    def rows(orders):
        return [(o.pk, o.order_number, o.created_at, o.status.name, o.total_amount, o.currency) for o in orders]

    assert len(history) == orm.count() == 15
    for number in (1, 2):
        page, orm_page = Paginator(history, 10).page(number), Paginator(orm, 10).page(number)
        assert rows(page.object_list) == rows(orm_page.object_list) and page.paginator.num_pages == 2
    assert rows(history[3:7]) == rows(orm[3:7]) and rows(history[-2:]) == rows(orm[13:15])
    assert history[0].pk == orm[0].pk and history[5:5] == [] and history[15:20] == []
    # A short last page reads a full page's bounds (one statement per page number), cut to its own.
    assert rows(history[10:15]) == rows(orm[10:15]) and rows(history[2:4]) == rows(orm[2:4])
    with pytest.raises(IndexError):
        history[15]
    nobody = HistoryOrders(user=CustomerFactory().user, per_page=10)
    assert len(nobody) == 0 and nobody[0:10] == []


@pytest.mark.parametrize("asked", ["2", "7", "x", "-1", "99999999999"])
def test_a_history_page_brings_its_lines_and_the_count_and_past_the_end_shows_the_last(
    asked, django_assert_num_queries
):
    from django.core.paginator import Paginator

    from orders.selectors import HistoryOrders, orders_for_history_page
    from tests.orders.conftest import funded_user

    customer = funded_user("5000.00")

    variants = [VariantFactory(stock=100) for _ in range(2)]
    for n in range(13):
        order_place(user=customer, lines=[{"variant_id": v.pk, "quantity": 1 + n % 3} for v in variants[: 1 + n % 2]])
    orm = list(orders_for_history_page(user=customer).prefetch_related("items"))
    # Inside the history, one statement brings the page, its lines and the count; past the end
    # (or a page that is not one) the count and the page shown are read apart.
    expected = {"2": 1, "7": 3, "x": 1, "-1": 2, "99999999999": 2}[asked]
    with django_assert_num_queries(expected):
        page = Paginator(HistoryOrders(user=customer, per_page=10, page=asked), 10).get_page(asked)
        shown = list(page.object_list)
    number = 1 if asked == "x" else 2  # Paginator.get_page: not a number, the first; out of range, the last
    assert page.number == number and page.paginator.count == 13
    assert [o.pk for o in shown] == [o.pk for o in orm[(number - 1) * 10 : number * 10]]
    for order, expected_order in zip(shown, orm[(number - 1) * 10 :], strict=False):
        assert order.history_lines == [(i.quantity, i.product_title) for i in expected_order.items.all()]
