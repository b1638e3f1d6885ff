"""The staff console for identities and roles. Actions call the services; a `DomainError` becomes an
error message for the one row it was about, and the other rows still go through."""

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.exceptions import DomainError

from . import services
from .models import (
    Address,
    Administrator,
    Customer,
    Guest,
    Seller,
    SellerStatus,
    User,
    UserPreferences,
    UserProfile,
    UserSession,
)


def _run_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[Any],
    call: Callable[[Any], object],
    done_message: Callable[[int], str],
) -> None:
    """Call a service per object; report each refusal, then how many went through."""
    done = 0
    for obj in objects:
        try:
            call(obj)
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


# --- users ------------------------------------------------------------------------------------


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationForm
    form = UserChangeForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "is_staff", "created_at", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("email", "first_name", "last_name", "phone_number")
    readonly_fields = ("last_login", "created_at", "updated_at")
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "phone_number")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "created_at", "updated_at", "deleted_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)


# --- roles ------------------------------------------------------------------------------------


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "deleted_at")
    list_filter = ("created_at",)
    search_fields = ("user__email", "user__first_name", "user__last_name")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    list_display = (
        "business_name",
        "user",
        "business_registration_number",
        "contact_person_name",
        "status",
        "created_at",
    )
    list_filter = ("status", "created_at")
    search_fields = ("business_name", "business_registration_number", "contact_person_name", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    # The status changes only through the actions, which follow the allowed transitions.
    readonly_fields = ("status", "created_at", "updated_at")
    actions = ["approve_sellers", "suspend_sellers"]

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Seller], to: SellerStatus, verb: str) -> None:
        actor = _actor(request)
        _run_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda seller: services.seller_set_status(seller_id=seller.pk, to=to, actor=actor),
            lambda count: (
                ngettext("%(count)d seller was %(verb)s.", "%(count)d sellers were %(verb)s.", count)
                % {"count": count, "verb": verb}
            ),
        )

    @admin.action(description=_("Approve selected sellers"), permissions=["change"])
    def approve_sellers(self, request: HttpRequest, queryset: QuerySet[Seller]) -> None:
        self._set_status(request, queryset, SellerStatus.ACTIVE, str(_("approved")))

    @admin.action(description=_("Suspend selected sellers"), permissions=["change"])
    def suspend_sellers(self, request: HttpRequest, queryset: QuerySet[Seller]) -> None:
        self._set_status(request, queryset, SellerStatus.SUSPENDED, str(_("suspended")))


@admin.register(Administrator)
class AdministratorAdmin(admin.ModelAdmin):
    """Writes go through the administrator services: adding one makes the user staff, deleting one
    takes staff status away again (not from a superuser)."""

    list_display = ("user", "role", "contact_phone", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "role")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)

    def get_readonly_fields(self, request: HttpRequest, obj: Administrator | None = None) -> tuple[str, ...]:
        # Moving a profile to another user would leave the first one staff: remove and add instead.
        base = ("created_at", "updated_at")
        return ("user", *base) if obj is not None else base

    def save_model(self, request: HttpRequest, obj: Administrator, form: Any, change: bool) -> None:
        if change:
            data = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in services.ADMINISTRATOR_EDITABLE_FIELDS
            }
            services.administrator_update(administrator_id=obj.pk, data=data)
            return
        created = services.administrator_create(
            user=obj.user, role=obj.role, contact_phone=obj.contact_phone, actor=_actor(request)
        )
        obj.pk, obj.created_at, obj.updated_at = created.pk, created.created_at, created.updated_at

    def delete_model(self, request: HttpRequest, obj: Administrator) -> None:
        services.administrator_remove(administrator_id=obj.pk, actor=_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Administrator]) -> None:
        for administrator in queryset.order_by("pk"):
            services.administrator_remove(administrator_id=administrator.pk, actor=_actor(request))


# --- profile, addresses, preferences ----------------------------------------------------------


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "website", "updated_at")
    search_fields = ("user__email", "display_name")
    list_filter = ("updated_at",)
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    """Writes go through the address services, so the first address becomes primary and deleting the
    primary promotes another, as on the customer's own pages."""

    list_display = ("recipient_name", "user", "city", "postal_code", "country", "address_type", "is_primary")
    list_filter = ("address_type", "is_primary", "country")
    search_fields = ("user__email", "recipient_name", "street_address", "city", "postal_code")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    actions = ["make_primary"]

    def get_readonly_fields(self, request: HttpRequest, obj: Address | None = None) -> tuple[str, ...]:
        base = ("is_primary", "created_at", "updated_at")
        return ("user", *base) if obj is not None else base

    def save_model(self, request: HttpRequest, obj: Address, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.ADDRESS_EDITABLE_FIELDS}
        if change:
            services.address_update(user=obj.user, address_id=obj.pk, data=data)
            return
        fields = {name: getattr(obj, name) for name in services.ADDRESS_EDITABLE_FIELDS}
        created = services.address_create(user=obj.user, data=fields)
        obj.pk, obj.is_primary = created.pk, created.is_primary

    def delete_model(self, request: HttpRequest, obj: Address) -> None:
        services.address_delete(user=obj.user, address_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Address]) -> None:
        for address in queryset.select_related("user").order_by("pk"):
            services.address_delete(user=address.user, address_id=address.pk)

    @admin.action(description=_("Make the selected addresses primary"), permissions=["change"])
    def make_primary(self, request: HttpRequest, queryset: QuerySet[Address]) -> None:
        _run_each(
            self,
            request,
            queryset.select_related("user").order_by("pk"),
            lambda address: services.address_make_primary(user=address.user, address_id=address.pk),
            lambda count: (
                ngettext("%(count)d address is now primary.", "%(count)d addresses are now primary.", count)
                % {"count": count}
            ),
        )


@admin.register(UserPreferences)
class UserPreferencesAdmin(admin.ModelAdmin):
    list_display = ("__str__", "language", "currency", "theme", "privacy_level", "marketing_emails")
    list_filter = ("theme", "privacy_level", "marketing_emails", "language")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")


# --- sign-ins and guests (records, read-only) -------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "ip_address", "last_active_at", "expires_at", "is_active", "ended_at")
    list_filter = ("kind", "is_active", "last_active_at")
    search_fields = ("user__email", "ip_address", "user_agent")
    list_select_related = ("user",)
    date_hierarchy = "last_active_at"
    actions = ["end_sign_ins"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting the record would not sign anybody out; ending it does.
        return False

    def has_end_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_usersession")

    @admin.action(description=_("Sign out the selected sessions"), permissions=["end"])
    def end_sign_ins(self, request: HttpRequest, queryset: QuerySet[UserSession]) -> None:
        _run_each(
            self,
            request,
            queryset.select_related("user").order_by("pk"),
            lambda sign_in: services.user_session_end(user=sign_in.user, session_id=sign_in.pk),
            lambda count: (
                ngettext("%(count)d sign-in was ended.", "%(count)d sign-ins were ended.", count) % {"count": count}
            ),
        )


@admin.register(Guest)
class GuestAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "ip_address", "created_at", "last_active_at", "session_duration")
    list_filter = ("last_active_at",)
    search_fields = ("session_key", "ip_address", "user_agent")
    list_select_related = ("preferences",)
    date_hierarchy = "last_active_at"
