"""Delivery on a real network (issue 12): gzip on pages, hashed and pre-compressed static files,
the first product picture loaded at once, a favicon and a description on every page."""

import gzip
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory, override_settings
from django.urls import path, reverse

from catalog.models import Category
from catalog.templatetags.catalog_tags import image_src
from common.compression import GZipMiddleware
from common.public_cache import HIT_HEADER, cache_public_response
from tests.factories.accounts import CustomerFactory

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def body(response) -> str:
    content = response.content
    if response.get("Content-Encoding") == "gzip":
        content = gzip.decompress(content)
    return content.decode()


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",")}


def meta_description(html: str) -> str:
    found = re.findall(r'<meta name="description" content="([^"]*)">', html)
    assert len(found) == 1, found
    return found[0]


# --- gzip ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_are_gzipped_for_clients_that_accept_it(client, make_product):
    make_product("Trail Running Shoe")
    url = reverse("catalog:product_list")

    compressed = client.get(url, **GZIP)
    plain = client.get(url)

    assert compressed["Content-Encoding"] == "gzip" and "accept-encoding" in vary(compressed)
    assert len(compressed.content) < len(plain.content) / 2
    assert body(compressed) == plain.content.decode()
    assert "Trail Running Shoe" in body(compressed)
    # Without gzip in Accept-Encoding: sent as it is, and still says what it varies on.
    assert "Content-Encoding" not in plain and "accept-encoding" in vary(plain)
    # The security headers are on the compressed answer too.
    assert "Content-Security-Policy" in compressed and compressed["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_api_json_is_gzipped_too(client, make_product):
    for number in range(5):
        make_product(f"Lamp {number}")
    response = client.get(reverse("catalog_api:product-list"), HTTP_ACCEPT="application/json", **GZIP)
    assert response["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(response.content))["results"]) == 5


@pytest.mark.django_db
def test_signed_in_pages_are_gzipped_and_their_csrf_token_differs_in_every_answer(client):
    """BREACH needs the same secret in many compressed answers; Django masks the CSRF token with
    a fresh random value each time, so no two answers carry the same token bytes."""
    client.force_login(CustomerFactory().user)
    first, second = (client.get(reverse("carts:detail"), **GZIP) for _ in range(2))
    assert first["Content-Encoding"] == second["Content-Encoding"] == "gzip"
    tokens = [re.search(r'"X-CSRFToken": "([^"]+)"', body(page)).group(1) for page in (first, second)]
    assert tokens[0] != tokens[1]


def test_streaming_answers_and_images_are_left_alone():
    """Static files come pre-compressed from WhiteNoise (with their own Vary), downloads stream."""
    request = RequestFactory().get("/", **GZIP)
    middleware = GZipMiddleware(lambda request: HttpResponse())
    streamed = middleware.process_response(request, StreamingHttpResponse(iter([b"x" * 5000]), content_type="text/css"))
    picture = middleware.process_response(request, HttpResponse(b"\x89PNG" * 1000, content_type="image/png"))
    page = middleware.process_response(request, HttpResponse("<p>hello</p>" * 100, content_type="text/html"))
    for untouched in (streamed, picture):
        assert "Content-Encoding" not in untouched and "Vary" not in untouched
    assert page["Content-Encoding"] == "gzip"


@pytest.mark.django_db(transaction=True)
def test_the_public_cache_keeps_one_uncompressed_answer_for_every_client(client, settings, make_product):
    """gzip is outside the cache: the stored entry is the view's own answer, compressed per client
    on the way out, so a gzip client and a plain one share the entry and each gets its encoding."""
    settings.PUBLIC_CACHE_ENABLED = True
    product = make_product("Desk Lamp")
    url = reverse("catalog:product_detail", args=[product.pk])

    first = client.get(url, **GZIP)
    plain_hit = client.get(url)
    gzip_hit = client.get(url, **GZIP)

    assert first[HIT_HEADER] == "miss" and first["Content-Encoding"] == "gzip"
    assert plain_hit[HIT_HEADER] == "hit" and "Content-Encoding" not in plain_hit
    assert gzip_hit[HIT_HEADER] == "hit" and gzip_hit["Content-Encoding"] == "gzip"
    assert body(first) == body(plain_hit) == body(gzip_hit)
    assert "accept-encoding" in vary(plain_hit) and "accept-encoding" in vary(gzip_hit)
    assert "Content-Security-Policy" in gzip_hit


@cache_public_response(lambda request: ["test-self-compressed"])
def self_compressed(request):
    """A view that compresses its own answer (none of ours does): only gzip clients may get it."""
    response = HttpResponse(gzip.compress(b"a" * 1000), content_type="text/plain")
    response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    return response


urlpatterns = [path("self-compressed/", self_compressed)]


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_an_answer_the_view_compressed_itself_is_not_stored(client, settings):
    settings.PUBLIC_CACHE_ENABLED = True
    for _ in range(2):
        assert HIT_HEADER not in client.get("/self-compressed/", **GZIP)
    assert HIT_HEADER not in client.get("/self-compressed/")


# --- hashed, pre-compressed static files --------------------------------------------------------


@pytest.mark.django_db
def test_collectstatic_gives_hashed_precompressed_files_that_pages_link(client, tmp_path, make_product):
    """The production storage, on the shop's own static files (the apps' vendored ones, admin and
    the API docs, take minutes to compress and are the same storage's job)."""
    root = Path(settings.BASE_DIR)
    own = [root / "static", *sorted(path for path in root.glob("*/static") if path != root / "static")]
    product = make_product("Desk Lamp", image=False)
    product.images.create(image_url="/static/img/products/lighting.svg", alt_text="A lamp", is_primary=True)
    with override_settings(
        STATIC_ROOT=tmp_path,
        STORAGES=MANIFEST_STORAGES,
        STATICFILES_DIRS=[str(path) for path in own],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
        hashed_css = manifest["css/shop.css"]
        assert re.fullmatch(r"css/shop\.[0-9a-f]{12}\.css", hashed_css)
        for name in (hashed_css, manifest["favicon.svg"], manifest["vendor/htmx-2.0.11.min.js"]):
            assert (tmp_path / name).exists()
            assert (tmp_path / f"{name}.gz").exists() and (tmp_path / f"{name}.br").exists()

        listing = client.get(reverse("catalog:product_list")).content.decode()
        detail = client.get(reverse("catalog:product_detail", args=[product.pk])).content.decode()

    for page in (listing, detail):
        assert f'href="/static/{hashed_css}"' in page
        assert f'href="/static/{manifest["favicon.svg"]}"' in page
        assert f'src="/static/{manifest["vendor/htmx-2.0.11.min.js"]}"' in page
        assert f'src="/static/{manifest["img/products/lighting.svg"]}"' in page
        assert 'href="/static/css/shop.css"' not in page


def test_image_src_keeps_what_is_not_a_collected_static_file():
    assert image_src("https://cdn.example.com/a.jpg") == "https://cdn.example.com/a.jpg"
    assert image_src("") == ""
    with override_settings(STORAGES=MANIFEST_STORAGES, STATIC_ROOT="/nonexistent"):
        # No manifest entry (a hashed name already, or a file not collected): as it is.
        assert image_src("/static/img/products/gone.svg") == "/static/img/products/gone.svg"


# --- the first picture, favicon, descriptions --------------------------------------------------


def images(html: str) -> list[str]:
    return re.findall(r"<img [^>]*>", html)


@pytest.mark.django_db
def test_the_first_product_pictures_load_at_once_and_the_rest_lazily(client, make_product):
    for number in range(4):
        make_product(f"Lamp {number}")
    listed = images(client.get(reverse("catalog:product_list")).content.decode())
    assert len(listed) == 4
    for first in listed[:2]:  # the largest paint is one of them, on a phone too
        assert 'loading="eager"' in first and 'fetchpriority="high"' in first
    for later in listed[2:]:
        assert 'loading="lazy"' in later and "fetchpriority" not in later
    for image in listed:  # the browser keeps the room for it before it arrives: no layout shift
        assert 'width="320"' in image and 'height="240"' in image


@pytest.mark.django_db
def test_the_product_page_loads_its_first_picture_at_once(client, make_product):
    product = make_product("Desk Lamp")
    product.images.create(image_url="/static/img/products/b.svg", alt_text="Side view", display_order=5)
    shown = images(client.get(reverse("catalog:product_detail", args=[product.pk])).content.decode())
    assert len(shown) == 2
    assert 'loading="eager"' in shown[0] and 'fetchpriority="high"' in shown[0]
    assert 'loading="lazy"' in shown[1] and "fetchpriority" not in shown[1]
    assert all('width="640"' in image and 'height="480"' in image for image in shown)


@pytest.mark.django_db
def test_every_page_links_the_icon_and_favicon_ico_answers(client):
    page = client.get(reverse("home")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert (Path(settings.BASE_DIR) / "static" / "favicon.svg").exists()

    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    assert "max-age=86400" in response["Cache-Control"] and "public" in response["Cache-Control"]


@pytest.mark.django_db
def test_every_shopper_page_has_its_own_description(client, make_product, tree):
    long_text = "<b>Warm</b> light for reading. " * 20
    lamp = make_product("Desk Lamp", description=long_text, category=tree["audio"])
    bare = make_product("Plain Box", description="")
    Category.objects.filter(pk=tree["garden"].pk).update(description="Everything for the garden.")

    def described(url, **params):
        return meta_description(client.get(url, params).content.decode())

    home = described(reverse("home"))
    listing = described(reverse("catalog:product_list"))
    search = described(reverse("catalog:product_list"), q="lamp")
    lamp_page = described(reverse("catalog:product_detail", args=[lamp.pk]))
    bare_page = described(reverse("catalog:product_detail", args=[bare.pk]))
    garden = described(reverse("catalog:category_detail", args=["garden"]))
    audio = described(reverse("catalog:category_detail", args=["audio"]))

    assert len({home, listing, search, lamp_page, bare_page, garden, audio}) == 7
    assert "lamp" in search
    assert lamp_page.startswith("Warm light for reading.") and "<b>" not in lamp_page
    assert len(lamp_page) <= 160 and lamp_page.endswith("…")
    assert bare_page == "Plain Box: price, options and availability."
    assert garden == "Everything for the garden."
    assert audio.startswith("Audio in the shop")
    assert all(20 <= len(text) <= 160 for text in (home, listing, search, audio))


@pytest.mark.django_db
def test_signed_in_pages_keep_the_shop_wide_description(client):
    client.force_login(CustomerFactory().user)
    assert "fair prices" in meta_description(client.get(reverse("carts:detail")).content.decode())
