"""Coupon pages. Thin: call a selector or the claim service, render or redirect with a message."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.request import signed_in_user
from common.exceptions import NotFoundError

from . import selectors, services
from .exceptions import CouponAlreadyClaimedError, CouponNotClaimableError, CouponSoldOutError

PAGE_SIZE = 24


class CouponListView(TemplateView):
    """Coupons anyone can see; signing in is needed to claim one."""

    template_name = "promotions/coupon_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user if self.request.user.is_authenticated else None
        coupons = selectors.coupons_claimable(user=user)
        context["coupons"] = Paginator(coupons, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return context


class CouponClaimView(View):
    """Claim one coupon (POST); the answer comes back as a message on the coupon list."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, coupon_id: int) -> HttpResponse:
        coupons_url = reverse("promotions:coupons")
        if not request.user.is_authenticated:
            # Back to the list after signing in: the claim itself is a POST.
            return redirect_to_login(coupons_url)
        try:
            issued = services.coupon_claim(coupon_id=coupon_id, user=signed_in_user(request))
        except NotFoundError:
            raise Http404(_("No such coupon.")) from None
        except CouponAlreadyClaimedError as exc:
            messages.info(request, str(exc.message))
        except (CouponSoldOutError, CouponNotClaimableError) as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("The coupon %(code)s is yours. Use it at checkout.") % {"code": issued.coupon.code},
            )
        return redirect(coupons_url)


class MyCouponsView(LoginRequiredMixin, TemplateView):
    """The signed-in customer's coupons with what each is good for now."""

    template_name = "promotions/my_coupons.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        issued = selectors.coupons_of(user=signed_in_user(self.request))
        context["issued_coupons"] = Paginator(issued, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return context
