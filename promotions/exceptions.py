from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError


class CouponSoldOutError(DomainError):
    code = "sold_out"
    http_status = 409
    default_message = _("Sorry, this coupon has all been claimed.")


class CouponAlreadyClaimedError(DomainError):
    code = "already_claimed"
    http_status = 409
    default_message = _("You already have this coupon.")


class CouponNotClaimableError(DomainError):
    code = "not_claimable"
    http_status = 409
    default_message = _("This coupon cannot be claimed now.")


class CouponNotUsableError(DomainError):
    code = "coupon_not_usable"
    http_status = 400
    default_message = _("This coupon cannot be used for this order.")


class CouponInvalidError(DomainError):
    code = "coupon_invalid"
    http_status = 400
    default_message = _("These coupon terms are not valid.")
