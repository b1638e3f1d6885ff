"""Account pages. Thin: parse the form, call a service, render or redirect with a message."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import FormView, TemplateView

from common import inbox
from common.exceptions import DomainError, NotFoundError
from common.http import same_site_url
from common.models import Notification

from . import selectors, services
from .forms import (
    AddressCreateForm,
    AddressForm,
    EmailAuthenticationForm,
    PreferencesForm,
    ProfileForm,
    SellerApplyForm,
    SignUpForm,
)
from .request import signed_in_user
from .throttling import page_rate_allowed, sign_in_failures_clear

# Sign-ins made by our own pages (not through `authenticate`) use the model backend directly
# (the shop's, with its "can this user sign in" rule; accounts/authentication.py).
MODEL_BACKEND = "accounts.authentication.SignInBackend"


class SignInView(auth_views.LoginView):
    """Email and password. Too many failures: django-axes answers with the lockout page (429)."""

    template_name = "accounts/signin.html"
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You are signed out."))
        return response


class SignUpView(FormView):
    """Create an account. The answer never tells whether the address was registered already:
    "check your inbox" either way, and the e-mail says which (welcome, or "someone tried").
    Throttled per client address with the API's "register" budget."""

    template_name = "accounts/signup.html"
    form_class = SignUpForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return redirect("accounts:overview")
        return super().dispatch(request, *args, **kwargs)

    def _next(self) -> str | None:
        """Where the shopper was going (e.g. their cart): kept through sign-up to the sign-in page."""
        return same_site_url(self.request, self.request.POST.get("next") or self.request.GET.get("next"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {"next": self._next()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not page_rate_allowed(request, scope="register"):
            messages.error(request, _("Too many sign-up attempts from your network. Please try again in a minute."))
            return self.render_to_response(self.get_context_data(form=self.get_form_class()()), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: SignUpForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            services.customer_sign_up(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except DomainError as exc:
            form.add_service_error(exc)
            return self.form_invalid(form)
        # The same answer for either address; the new customer signs in from there.
        messages.info(
            self.request,
            _(
                "Check your email: we have sent a message to the address you gave. It says how to go on: "
                "sign in to your new account, or, if that address already has one, how to get back into it."
            ),
        )
        login_url = reverse("accounts:login")
        if (after := self._next()) is not None:
            login_url += "?" + urlencode({"next": after})
        return HttpResponseRedirect(login_url)


class SellerApplyView(FormView):
    """Apply to sell: a signed-in user adds the business details; a visitor also makes an account."""

    template_name = "accounts/seller_apply.html"
    form_class = SellerApplyForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and selectors.seller_for(user=signed_in_user(request)) is not None:
            messages.info(request, _("You have already applied to sell; your status is below."))
            return redirect("accounts:overview")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["new_account"] = not self.request.user.is_authenticated
        return kwargs

    def form_valid(self, form: SellerApplyForm) -> HttpResponse:
        data = form.cleaned_data
        new_account = form.new_account
        try:
            seller = services.seller_apply(
                user=None if new_account else signed_in_user(self.request),
                business_name=data["business_name"],
                business_registration_number=data["business_registration_number"],
                contact_person_name=data["contact_person_name"],
                contact_person_phone=data.get("contact_person_phone", ""),
                email=data.get("email", ""),
                password=data.get("password1", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
        except DomainError as exc:
            form.add_service_error(exc)
            return self.form_invalid(form)
        if new_account:
            login(self.request, seller.user, backend=MODEL_BACKEND)
        messages.success(
            self.request,
            _("Thank you! Your application to sell is under review; we will email you when it is decided."),
        )
        return redirect("accounts:overview")


class PasswordResetView(auth_views.PasswordResetView):
    """The same answer whether or not the email belongs to an account (Django's behaviour)."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset_email.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        # Through the service, not `form.save()`: a reset also ends every sign-in of the account,
        # which is the point when the password was reset because somebody else knew it.
        services.user_password_change(user=form.user, new_password=form.cleaned_data["new_password1"])
        # The owner proved they hold the e-mail: the failed sign-ins against the account go
        # (only this account's; an address's failures against others keep counting).
        sign_in_failures_clear(email=form.user.get_username())
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(LoginRequiredMixin, FormView):
    """Change the password; every other sign-in of the account ends, this one stays."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user = signed_in_user(self.request)
        old_key = self.request.session.session_key
        try:
            ended = services.user_password_change(
                user=user, new_password=form.cleaned_data["new_password1"], keep_session_key=old_key
            )
        except DomainError as exc:
            form.add_error("new_password1", str(exc.message))
            return self.form_invalid(form)
        # Keeps this browser signed in with the new password hash; Django gives it a new key too.
        update_session_auth_hash(self.request, user)
        if old_key and self.request.session.session_key:
            services.user_session_rekey(old_session_key=old_key, new_session_key=self.request.session.session_key)
        if ended:
            messages.success(
                self.request,
                _("Your password was changed and your %(count)d other sign-ins were ended.") % {"count": ended},
            )
        else:
            messages.success(self.request, _("Your password was changed."))
        return redirect("accounts:overview")


class OverviewView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["overview"] = selectors.account_overview(user=signed_in_user(self.request))
        return context


class ProfileView(LoginRequiredMixin, FormView):
    template_name = "accounts/profile.html"
    form_class = ProfileForm

    def get_initial(self) -> dict[str, Any]:
        user = signed_in_user(self.request)
        profile = selectors.profile_for(user=user)
        return {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone_number": user.phone_number,
            "display_name": profile.display_name,
            "bio": profile.bio,
            "website": profile.website,
            "avatar_url": profile.avatar_url,
            **ProfileForm.social_initial(selectors.social_links_of(profile=profile)),
        }

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        try:
            services.profile_update(user=signed_in_user(self.request), data=form.profile_data())
        except DomainError as exc:
            form.add_service_error(exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Your profile was saved."))
        return redirect("accounts:profile")


class PreferencesView(LoginRequiredMixin, FormView):
    template_name = "accounts/preferences.html"
    form_class = PreferencesForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = selectors.preferences_for(user=signed_in_user(self.request))
        return kwargs

    def form_valid(self, form: PreferencesForm) -> HttpResponse:
        data = {name: form.cleaned_data[name] for name in PreferencesForm.Meta.fields}
        try:
            services.preferences_update(user=signed_in_user(self.request), data=data)
        except DomainError as exc:
            form.add_service_error(exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Your preferences were saved."))
        return redirect("accounts:preferences")


# --- addresses --------------------------------------------------------------------------------


class AddressListView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/address_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["addresses"] = selectors.address_list(user=signed_in_user(self.request))
        return context


class AddressCreateView(LoginRequiredMixin, FormView):
    template_name = "accounts/address_form.html"
    form_class = AddressCreateForm
    extra_context = {"title": gettext_lazy("Add an address")}

    def form_valid(self, form: AddressCreateForm) -> HttpResponse:
        try:
            services.address_create(
                user=signed_in_user(self.request), data=form.address_data(), is_primary=form.cleaned_data["is_primary"]
            )
        except DomainError as exc:
            form.add_service_error(exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The address was added."))
        return redirect("accounts:addresses")


class OwnedAddressMixin(LoginRequiredMixin):
    """Finds the address through the signed-in user: another user's id is a 404."""

    request: HttpRequest
    kwargs: dict[str, Any]

    def get_address(self) -> Any:
        try:
            return selectors.address_get(user=signed_in_user(self.request), address_id=self.kwargs["pk"])
        except NotFoundError as exc:
            raise Http404(str(exc.message)) from exc


class AddressUpdateView(OwnedAddressMixin, FormView):
    template_name = "accounts/address_form.html"
    form_class = AddressForm
    extra_context = {"title": gettext_lazy("Edit the address")}

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.get_address()
        return kwargs

    def form_valid(self, form: AddressForm) -> HttpResponse:
        try:
            services.address_update(
                user=signed_in_user(self.request), address_id=self.kwargs["pk"], data=form.address_data()
            )
        except NotFoundError as exc:
            raise Http404(str(exc.message)) from exc
        except DomainError as exc:
            form.add_service_error(exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The address was saved."))
        return redirect("accounts:addresses")


class AddressDeleteView(OwnedAddressMixin, View):
    """GET asks for confirmation (no script needed); POST deletes."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "accounts/address_confirm_delete.html", {"address": self.get_address()})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            promoted = services.address_delete(user=signed_in_user(request), address_id=pk)
        except NotFoundError as exc:
            raise Http404(str(exc.message)) from exc
        if promoted is not None:
            messages.success(
                request,
                _("The address was deleted. Your primary address is now %(address)s.") % {"address": promoted},
            )
        else:
            messages.success(request, _("The address was deleted."))
        return redirect("accounts:addresses")


class AddressMakePrimaryView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            address = services.address_make_primary(user=signed_in_user(request), address_id=pk)
        except NotFoundError as exc:
            raise Http404(str(exc.message)) from exc
        messages.success(request, _("%(address)s is now your primary address.") % {"address": address})
        return redirect("accounts:addresses")


# --- sign-ins ---------------------------------------------------------------------------------


class SessionListView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/session_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sign_ins"] = selectors.user_session_list(user=signed_in_user(self.request))
        context["current_session_key"] = self.request.session.session_key
        return context


class SessionEndView(LoginRequiredMixin, View):
    """Sign out one of the user's sign-ins (another browser, a phone app, or this one)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            sign_in = services.user_session_end(user=signed_in_user(request), session_id=pk)
        except NotFoundError as exc:
            raise Http404(str(exc.message)) from exc
        if sign_in.session_key and sign_in.session_key == request.session.session_key:
            logout(request)
            messages.success(request, _("You are signed out."))
            return redirect(reverse("accounts:login"))
        messages.success(request, _("That sign-in was ended; it has to sign in again."))
        return redirect("accounts:sessions")


# --- notifications ----------------------------------------------------------------------------


class NotificationListView(LoginRequiredMixin, TemplateView):
    """The user's in-app notifications, newest first, a page at a time (common.inbox)."""

    template_name = "accounts/notification_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in_user(self.request)
        paginator = Paginator(inbox.inbox_of(user=user), inbox.NOTIFICATIONS_PER_PAGE)
        page_obj = paginator.get_page(self.request.GET.get("page"))
        context["page_obj"] = page_obj
        context["notifications"] = [
            NotificationEntry(notification=n, headline=inbox.notification_headline(n), link=inbox.notification_link(n))
            for n in page_obj.object_list
        ]
        return context


@dataclass(frozen=True)
class NotificationEntry:
    notification: Notification
    headline: str
    link: str | None


class NotificationReadView(LoginRequiredMixin, View):
    """Mark one notification read; with `open`, go on to the page it is about (never a URL sent in)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            notification = inbox.notification_mark_read(user=signed_in_user(request), notification_id=pk)
        except NotFoundError as exc:
            raise Http404(str(exc.message)) from exc
        link = inbox.notification_link(notification)
        if "open" in request.POST and link:
            return redirect(link)
        return redirect(_notifications_page(request))


class NotificationsReadAllView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        marked = inbox.notifications_mark_all_read(user=signed_in_user(request))
        if marked:
            messages.success(
                request,
                ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", marked)
                % {"count": marked},
            )
        return redirect(_notifications_page(request))


def _notifications_page(request: HttpRequest) -> str:
    # Back to the page of the list the user was on (a whole number only: nothing else is echoed).
    page = request.POST.get("page", "")
    url = reverse("accounts:notifications")
    return f"{url}?page={page}" if page.isdigit() and len(page) <= 6 and page != "1" else url
