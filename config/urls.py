from csp.decorators import csp_update
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backoffice.views import healthz, readyz
from orders.views import HomeView

# sha256 of the inline <style> in drf_spectacular/swagger_ui.html (drf-spectacular 0.30).
SWAGGER_PAGE_STYLE = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"


@require_safe
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """/favicon.ico, which browsers and tools ask for whatever the page links: the shop's icon.

    A temporary redirect kept a day, since the icon's hashed name changes with its content."""
    response = HttpResponseRedirect(static("favicon.svg"))
    patch_cache_control(response, public=True, max_age=60 * 60 * 24)
    return response


api_v1 = [
    # The catalogue first: Django tries the patterns in order, and its reads are most of the API's
    # requests (a product read behind four includes tried some fifty patterns first, 5% of its
    # CPU). Product ids are digits only, so products/popular/ (orders) is never taken for one.
    path("", include("catalog.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("promotions.api.urls")),
    # Carts (issue 15): the cart API.
    path("", include("carts.api.urls")),
    path("", include("carts.api.saved_urls")),  # saved carts (branch csaved)
    path("", include("carts.api.wishlist_urls")),  # wishlists (issue 15, branch cwish)
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/", include("accounts.urls")),
    path("", include("catalog.urls")),  # products/, categories/
    path("seller/", include("inventory.urls")),
    path("seller/returns/", include("orders.seller_returns")),  # returns (RMA) of the seller's lines
    path("seller/", include("orders.seller_urls")),  # the seller's order lines and issues about them
    path("wallet/", include("payments.urls")),
    path("sandbox-gateway/", include("payments.sandbox_urls")),  # the sandbox card processor's pages
    path("coupons/", include("promotions.urls")),
    path("cart/", include("carts.urls")),
    path("wishlists/", include("carts.wishlist_urls")),  # wishlists (issue 15, branch cwish)
    path("orders/", include("orders.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # drf-spectacular's Swagger page has one inline <style> (box-sizing, background): allowed
        # here by its hash alone, so the page needs no 'unsafe-inline' and scripts stay 'self'.
        csp_update({"style-src": [SWAGGER_PAGE_STYLE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

handler400 = "common.views.bad_request"
handler404 = "common.views.page_not_found"
handler500 = "common.views.server_error"
