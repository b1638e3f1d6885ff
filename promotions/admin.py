"""The staff console for coupons. Creating, editing terms and pausing/resuming/ending go through the
services; the quantities belong to the claims and are never typed over."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.exceptions import DomainError

from . import selectors, services
from .exceptions import CouponInvalidError
from .models import Coupon, CouponStatus, DiscountType, IssuedCoupon

ADD_FIELDS = [
    "name",
    "code",
    "discount_type",
    "discount_value",
    "max_discount_amount",
    "minimum_order_value",
    "initial_quantity",
    "status",
    "starts_at",
    "expires_at",
]
CHANGE_FIELDS = [
    "name",
    "code",
    "discount_type",
    "discount_value",
    "max_discount_amount",
    "minimum_order_value",
    "initial_quantity",
    "quantity",
    "issued_count",
    "status",
    "starts_at",
    "expires_at",
    "created_at",
    "updated_at",
    "deleted_at",
]
CHANGE_READONLY = [
    "code",
    "initial_quantity",
    "quantity",
    "issued_count",
    "status",
    "created_at",
    "updated_at",
    "deleted_at",
]


class CouponAdminForm(forms.ModelForm):
    class Meta:
        model = Coupon
        fields = ADD_FIELDS

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if selectors.coupon_code_taken(code=code, exclude_id=self.instance.pk):
            raise forms.ValidationError(_("A coupon with this code already exists."), code="unique")
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        terms = {
            field: data.get(field, getattr(self.instance, field, None))
            for field in ["discount_type", "discount_value", "starts_at", "expires_at"]
        }
        if terms["discount_value"] is not None and not self.has_error("discount_value"):
            try:
                services.coupon_terms_check(**terms)
            except CouponInvalidError as exc:
                field = exc.extra.get("field")
                self.add_error(field if field in self.fields else None, str(exc.message))
        return data


class CouponStateFilter(admin.SimpleListFilter):
    title = _("left to claim")
    parameter_name = "left"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("some", _("Some left")), ("none", _("Sold out"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Coupon]) -> QuerySet[Coupon]:
        if self.value() == "some":
            return queryset.filter(quantity__gt=0)
        if self.value() == "none":
            return queryset.filter(quantity=0)
        return queryset


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    form = CouponAdminForm
    list_display = [
        "code",
        "name",
        "discount",
        "minimum_order_value",
        "issued_count",
        "remaining",
        "initial_quantity",
        "status",
        "starts_at",
        "expires_at",
    ]
    list_filter = ["status", CouponStateFilter, "discount_type", "expires_at"]
    search_fields = ["code", "name"]
    date_hierarchy = "created_at"
    actions = ["pause", "resume", "end"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Coupon]:
        # Staff see soft-deleted coupons too.
        return Coupon.all_objects.all()

    def get_fields(self, request: HttpRequest, obj: Coupon | None = None) -> list[str]:
        return CHANGE_FIELDS if obj else ADD_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Coupon | None = None) -> list[str]:
        return CHANGE_READONLY if obj else []

    def has_delete_permission(self, request: HttpRequest, obj: Coupon | None = None) -> bool:
        # Issued coupons point at it; end it instead.
        return False

    def save_model(self, request: HttpRequest, obj: Coupon, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {field: data[field] for field in form.changed_data if field in services.COUPON_EDITABLE_FIELDS}
            if changes:
                services.coupon_update(coupon_id=obj.pk, changes=changes)
            return
        created = services.coupon_create(**{field: data[field] for field in ADD_FIELDS})
        # The admin goes on with `obj` (messages, redirect): make it the row the service created.
        obj.pk, obj.quantity, obj.code = created.pk, created.quantity, created.code
        obj._state.adding, obj._state.db = False, created._state.db

    @admin.display(description=_("Discount"))
    def discount(self, coupon: Coupon) -> str:
        if coupon.discount_type == DiscountType.PERCENTAGE:
            text = f"{coupon.discount_value.normalize():f}%"
            if coupon.max_discount_amount is not None:
                text += " " + str(_("up to %(cap)s") % {"cap": coupon.max_discount_amount})
            return text
        return f"{coupon.discount_value} {coupon.currency}"

    @admin.display(description=_("issued"))
    def issued_count(self, coupon: Coupon) -> int:
        return coupon.issued_count

    @admin.display(description=_("remaining"), ordering="quantity")
    def remaining(self, coupon: Coupon) -> int:
        return coupon.quantity

    def _transition(
        self, request: HttpRequest, queryset: QuerySet[Coupon], to: str, done: Callable[[int], str]
    ) -> None:
        count = 0
        for coupon in queryset.order_by("pk"):
            try:
                services.coupon_transition(coupon_id=coupon.pk, to=to)
            except DomainError as exc:
                self.message_user(request, f"{coupon.code}: {exc.message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done(count), messages.SUCCESS)

    @admin.action(description=_("Pause selected coupons"), permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Coupon]) -> None:
        self._transition(
            request,
            queryset,
            CouponStatus.PAUSED,
            lambda n: ngettext("Paused %d coupon.", "Paused %d coupons.", n) % n,
        )

    @admin.action(description=_("Resume selected coupons"), permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Coupon]) -> None:
        self._transition(
            request,
            queryset,
            CouponStatus.ACTIVE,
            lambda n: ngettext("Resumed %d coupon.", "Resumed %d coupons.", n) % n,
        )

    @admin.action(description=_("End selected coupons"), permissions=["change"])
    def end(self, request: HttpRequest, queryset: QuerySet[Coupon]) -> None:
        self._transition(
            request,
            queryset,
            CouponStatus.ENDED,
            lambda n: ngettext("Ended %d coupon.", "Ended %d coupons.", n) % n,
        )


class UsedFilter(admin.SimpleListFilter):
    title = _("used")
    parameter_name = "used"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", _("Used")), ("no", _("Not used"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[IssuedCoupon]) -> QuerySet[IssuedCoupon]:
        if self.value() in ("yes", "no"):
            return queryset.filter(used_at__isnull=self.value() == "no")
        return queryset


@admin.register(IssuedCoupon)
class IssuedCouponAdmin(admin.ModelAdmin):
    list_display = ["id", "coupon", "user", "created_at", "used_at", "order"]
    list_select_related = ["coupon", "user", "order"]
    list_filter = [UsedFilter, "coupon__status"]
    search_fields = ["user__email", "coupon__code"]
    date_hierarchy = "created_at"
    fields = ["coupon", "user", "created_at", "used_at", "order"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: IssuedCoupon | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: IssuedCoupon | None = None) -> bool:
        return False
