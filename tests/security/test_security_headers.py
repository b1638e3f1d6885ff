"""Row 2: every reversible URL served with the production settings (over HTTPS, by gunicorn) carries
a strict Content-Security-Policy, nosniff, a Referrer-Policy and HSTS of a year or more, and every
cookie is Secure, HttpOnly and SameSite; the browser journeys see no CSP violation, also in the
fragments htmx swaps in: every htmx control on a visited page is triggered (a form refused, then
accepted, then sent again from the swapped-in form).

Each URL is requested as a visitor, a customer, a seller and staff (and as an htmx request by the
customer), with real ids of objects the customer or seller owns.
"""

from __future__ import annotations

import os
import re
import secrets
import warnings
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import urllib3
from argon2 import PasswordHasher
from cryptography.fernet import Fernet

from scorecard.processes import Gunicorn, self_signed_certificate
from tests.browser import CHROMIUM

from .routes import reversible_routes, url_for
from .world import World, build_world

pytestmark = [pytest.mark.scorecard(row=2), pytest.mark.django_db(transaction=True)]

PASSWORD = "headers-row-passphrase-2"
SIGN_IN_PAGES = ("/accounts/signin/", "/admin/login/")
ONE_YEAR = 31_536_000
HTMX_VERBS = ("get", "post", "put", "patch", "delete")


def _directives(csp: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            found.setdefault(words[0].lower(), words[1:])
    return found


def header_problems(response: requests.Response) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy")
    if not csp:
        problems.append("no Content-Security-Policy")
    else:
        directives = _directives(csp)
        scripts = directives.get("script-src", directives.get("default-src", ["*"]))
        bad = [s for s in scripts if s.strip("'") in ("unsafe-inline", "unsafe-eval", "*") or s in ("http:", "https:")]
        if bad or ("script-src" not in directives and "default-src" not in directives):
            problems.append(f"CSP scripts allow {bad or 'anything'}")
        if directives.get("frame-ancestors") != ["'none'"]:
            problems.append(f"CSP frame-ancestors {directives.get('frame-ancestors')}")
    if response.headers.get("X-Content-Type-Options", "").lower() != "nosniff":
        problems.append("no nosniff")
    referrer = response.headers.get("Referrer-Policy", "")
    if not referrer or referrer.lower() in ("unsafe-url", "no-referrer-when-downgrade"):
        problems.append(f"Referrer-Policy {referrer!r}")
    hsts = re.search(r"max-age=(\d+)", response.headers.get("Strict-Transport-Security", ""))
    if not hsts or int(hsts.group(1)) < ONE_YEAR:
        problems.append(f"HSTS {response.headers.get('Strict-Transport-Security')!r}")
    if response.status_code >= 500:
        problems.append(f"server error {response.status_code}")
    return problems


def cookie_problems(response: requests.Response) -> tuple[int, int, list[str]]:
    """(cookies set, cookies deleted, problems). A deletion stores nothing, so it needs no flags."""
    cookies = response.raw.headers.getlist("Set-Cookie") if response.raw is not None else []
    problems = []
    deleted = 0
    for cookie in cookies:
        name, value = cookie.split(";", 1)[0].split("=", 1)
        if not value.strip('"') and re.search(r"max-age=0\b", cookie, re.IGNORECASE):
            deleted += 1
            continue
        attributes = {part.strip().split("=", 1)[0].lower() for part in cookie.split(";")[1:]}
        missing = [flag for flag in ("secure", "httponly", "samesite") if flag not in attributes]
        if missing:
            problems.append(f"cookie {name} without {', '.join(missing)}")
    return len(cookies) - deleted, deleted, problems


def https_session() -> requests.Session:
    """A client for our self-signed server (no CA bundle from the environment may override it)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = False
    return session


def sign_in(base: str, email: str) -> requests.Session:
    session = https_session()
    page = session.get(f"{base}/accounts/signin/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    response = session.post(
        f"{base}/accounts/signin/",
        data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else ""},
        headers={"Referer": f"{base}/accounts/signin/"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, f"sign-in as {email} failed: {response.status_code} {response.text[:300]}"
    return session


@pytest.fixture
def world() -> World:
    world = build_world()
    # Production hashes with Argon2 (the test settings use MD5, which production does not accept).
    for user in (world.a.user, world.seller_a.user, world.staff):
        user.password = "argon2" + PasswordHasher().hash(PASSWORD)
        user.save(update_fields=["password"])
    return world


@pytest.fixture
def production_server(test_database_url, tmp_path):
    warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
    server = Gunicorn(
        settings_module="scorecard.settings_production",
        env={
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "PAYMENT_SECRETS_KEY": Fernet.generate_key().decode(),
            "WALLET_FREE_TOPUP": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": test_database_url,
            "CACHE_KEY_PREFIX": f"scorecard-prod-{os.getpid()}",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "LOG_LEVEL": "WARNING",
        },
        workers=2,
        threads=4,
        tls=self_signed_certificate(tmp_path),
        log_path=tmp_path / "gunicorn.log",
    )
    server.start()
    yield server
    server.stop()


def test_every_reversible_url_carries_the_security_headers(world, production_server, scorecard_row):
    base = production_server.url
    identities = {
        "visitor": https_session(),
        "customer": sign_in(base, world.a.user.email),
        "seller": sign_in(base, world.seller_a.user.email),
        "staff": sign_in(base, world.staff.email),
    }
    routes = reversible_routes()
    unfillable = []
    paths = []
    for route in routes:
        path = url_for(route, world)
        if path is None:
            unfillable.append(route.name)
        else:
            paths.append((route, path))
    paths.append((None, "/no-such-page/"))

    problems: list[str] = []
    statuses: Counter[int] = Counter()
    cookies_seen = cookies_deleted = 0
    cookie_issues: set[str] = set()
    requested = 0
    for who, session in identities.items():
        for route, path in paths:
            if who in ("customer", "seller") and route is not None and route.is_admin and route.name != "admin:index":
                continue  # they are sent to the admin sign-in page; the visitor already covers that
            variants = [{}]
            if who == "customer":
                variants.append({"HX-Request": "true", "HX-Current-URL": f"{base}/"})
            for extra in variants:
                response = session.get(f"{base}{path}", headers=extra, allow_redirects=False, timeout=60)
                requested += 1
                statuses[response.status_code] += 1
                for problem in header_problems(response):
                    problems.append(f"GET {path} as {who}{' (htmx)' if extra else ''}: {problem}")
                seen, deleted, issues = cookie_problems(response)
                cookies_seen += seen
                cookies_deleted += deleted
                cookie_issues.update(issues)

    by_status = ", ".join(f"{count}x{status}" for status, count in sorted(statuses.items()))
    scorecard_row(
        "security headers on every reversible URL (production settings, HTTPS)",
        f"{len(paths)} URLs ({len(routes)} reversible routes), {requested} responses ({by_status}), "
        f"{len(problems)} problems" + (": " + "; ".join(problems[:6]) if problems else ""),
        not problems,
    )
    scorecard_row(
        "every reversible route could be requested with real ids",
        f"{len(routes) - len(unfillable)} of {len(routes)}"
        + (f"; no ids for: {', '.join(map(str, unfillable))}" if unfillable else ""),
        not unfillable,
    )
    scorecard_row(
        "cookies Secure, HttpOnly, SameSite",
        f"{cookies_seen} cookies set, {len(cookie_issues)} problems ({cookies_deleted} deletions not counted)"
        + (": " + "; ".join(sorted(cookie_issues)) if cookie_issues else ""),
        cookies_seen > 0 and not cookie_issues,
    )
    assert not problems and not unfillable and not cookie_issues, (problems[:20], unfillable, cookie_issues)


# --- the browser ------------------------------------------------------------------------------

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
window.__htmx = {requests: 0, swaps: 0, errors: []};
document.addEventListener('htmx:afterRequest', (e) => {
  window.__htmx.requests += 1;
  const status = e.detail.xhr ? e.detail.xhr.status : 0;
  if (status === 0 || status >= 500) window.__htmx.errors.push(`${status} from ${e.detail.pathInfo.requestPath}`);
});
document.addEventListener('htmx:afterSettle', () => { window.__htmx.swaps += 1; });
['htmx:sendError', 'htmx:swapError', 'htmx:onLoadError', 'htmx:targetError'].forEach((name) =>
  document.addEventListener(name, (e) => window.__htmx.errors.push(`${name} at ${location.pathname}`)));
"""

# Every element htmx drives: the fragments it fetches must be as clean under the CSP as the pages.
HTMX_CONTROLS = ", ".join(f"[{prefix}hx-{verb}]" for prefix in ("", "data-") for verb in HTMX_VERBS)
# Trigger control `index` the way a person would: a form is filled with `value` and submitted, a
# select changes, an input is typed in, anything else is clicked. Hidden fields keep their values.
DRIVE_HTMX_CONTROL = """
([selector, index, value]) => {
  const control = document.querySelectorAll(selector)[index];
  if (!control) return 'gone';
  const typed = (field) => {
    field.value = value;
    ['input', 'keyup', 'change'].forEach((type) => field.dispatchEvent(new Event(type, {bubbles: true})));
  };
  if (control.tagName === 'FORM') {
    control.querySelectorAll(
      'input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit]), textarea'
    ).forEach((field) => { field.value = value; });
    control.requestSubmit();
    return 'form';
  }
  if (control.tagName === 'SELECT') {
    control.selectedIndex = (control.selectedIndex + 1) % Math.max(control.options.length, 1);
    control.dispatchEvent(new Event('change', {bubbles: true}));
    return 'select';
  }
  if (control.tagName === 'INPUT' || control.tagName === 'TEXTAREA') { typed(control); return 'input'; }
  control.click();
  return 'click';
}
"""
# A form is sent three times: refused (the error fragment), accepted (the success fragment, with
# any out-of-band swaps), and once more from the form the first answers swapped in.
FORM_VALUES = ["not a number", "1", "2"]


def drive_htmx(page, path: str) -> tuple[int, list[str]]:
    """Trigger every htmx control on the page; (controls driven, problems)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    problems = []
    count = page.evaluate("(selector) => document.querySelectorAll(selector).length", HTMX_CONTROLS)
    for index in range(count):
        kind = "form"
        for value in FORM_VALUES:
            if kind != "form":  # other controls are triggered once
                break
            before = page.evaluate("window.__htmx")
            kind = page.evaluate(DRIVE_HTMX_CONTROL, [HTMX_CONTROLS, index, value])
            if kind == "gone":
                problems.append(f"{path}: htmx control {index} went away after an earlier swap")
                break
            try:
                # A full page load instead (htmx not running) starts the counters again from 0.
                page.wait_for_function("(n) => window.__htmx && window.__htmx.requests > n", arg=before["requests"])
                page.wait_for_function("(n) => window.__htmx.swaps > n", arg=before["swaps"], timeout=5_000)
            except PlaywrightTimeout:
                problems.append(f"{path}: htmx control {index} ({kind}, {value!r}) made no htmx request and swap")
                break
            page.wait_for_load_state("networkidle")
    return count, problems


def buy(page, product_id: int) -> None:
    """Order one of the product from its page (paid from the wallet): the browser lands on the order."""
    page.goto(f"/products/{product_id}/")
    page.check("form.order-form input[name=variant_id] >> nth=0")
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url("**/orders/*/")


def add_to_cart_and_check_out(page, product_id: int) -> None:
    """Put one of the product in the cart from its page, open the cart, check out."""
    page.goto(f"/products/{product_id}/")
    page.check("form.order-form input[name=variant_id] >> nth=0")
    # The add is an htmx request on the same page: wait for its answer, not for a URL the page already
    # has (that returned at once, and the next goto could cancel the add: an empty cart, no button).
    with page.expect_response(lambda response: response.url.endswith("/cart/add/")) as answer:
        page.get_by_role("button", name="Add to cart").click()
    assert answer.value.ok, f"add to cart answered {answer.value.status}"
    page.wait_for_selector("#cart-add-status .message-success")
    page.goto("/cart/")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/orders/*/")


def test_browser_journeys_see_no_csp_violation(world, production_server, scorecard_row, request):
    if not Path(CHROMIUM).exists():
        scorecard_row("browser journeys: CSP violations", f"Chromium is not installed at {CHROMIUM}", False)
        pytest.fail("apt-get install chromium")
    browser = request.getfixturevalue("browser")  # the session's one Chromium (tests/conftest.py)

    base = production_server.url
    a, seller = world.a, world.seller_a
    journeys = {
        None: [
            "/",
            "/products/",
            f"/products/{seller.product.pk}/",
            f"/categories/{world.category.slug}/",
            "/accounts/signin/",
            "/accounts/signup/",
            "/accounts/password-reset/",
            "/coupons/",
            "/api/docs/",
            "/no-such-page/",
        ],
        a.user.email: [
            "/accounts/",
            "/accounts/profile/",
            "/accounts/preferences/",
            "/accounts/addresses/",
            f"/accounts/addresses/{a.address.pk}/edit/",
            "/accounts/addresses/add/",
            "/accounts/sessions/",
            "/accounts/password/",
            "/wallet/",
            "/coupons/",
            "/coupons/mine/",
            "/orders/",
            f"/orders/{a.order.pk}/",
            # orders/place/ takes only a POST: the journey buys through the product page's form.
            (f"/products/{seller.product.pk}/ (buy)", lambda page: buy(page, seller.product.pk)),
            "/cart/",
            ("/cart/ (add, check out)", lambda page: add_to_cart_and_check_out(page, seller.product.pk)),
        ],
        seller.user.email: ["/seller/products/", f"/seller/products/{seller.product.pk}/"],
        world.staff.email: [
            "/admin/",
            "/admin/orders/order/",
            f"/admin/orders/order/{a.order.pk}/change/",
            "/admin/catalog/product/add/",
            "/admin/promotions/coupon/",
            f"/admin/accounts/user/{a.user.pk}/change/",
            "/admin/payments/wallet/",
        ],
    }
    console: list[str] = []
    violations: list[str] = []
    htmx_problems: list[str] = []
    signed_out: list[str] = []  # pages of a signed-in journey that answered with a sign-in page
    visited = controls = 0
    htmx = {"requests": 0, "swaps": 0}
    for email, paths in journeys.items():
        context = browser.new_context(base_url=base, ignore_https_errors=True)
        context.add_init_script(WATCH_VIOLATIONS)
        try:
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.on(
                "console",
                lambda message: (
                    console.append(message.text)
                    if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
                    else None
                ),
            )
            if email:
                page.goto("/accounts/signin/")
                page.fill("input[name=username]", email)
                page.fill("input[name=password]", PASSWORD)
                # The sign-in form's own button: the header's search form comes first on the page.
                page.click("form:has(input[name=password]) [type=submit]")
                page.wait_for_load_state("networkidle")
                assert "/signin/" not in page.url, f"the browser could not sign in as {email}"
            for step in paths:
                path, act = (step, None) if isinstance(step, str) else step
                if act is None:
                    page.goto(path)
                else:
                    act(page)
                page.wait_for_load_state("networkidle")
                visited += 1
                if email and urlsplit(page.url).path in SIGN_IN_PAGES:
                    signed_out.append(f"{path} as {email}")
                driven, problems = drive_htmx(page, path)
                controls += driven
                htmx_problems += problems
                state = page.evaluate("window.__htmx || {requests: 0, swaps: 0, errors: []}")
                htmx["requests"] += state["requests"]
                htmx["swaps"] += state["swaps"]
                htmx_problems += [f"{path}: {error}" for error in state["errors"]]
                violations += [f"{path}: {v}" for v in page.evaluate("window.__cspViolations || []")]
        finally:
            context.close()
    found = sorted(set(console) | set(violations))
    passed = scorecard_row(
        "browser journeys (Chromium, production settings): CSP violations",
        f"{visited} pages, {controls} htmx controls driven ({htmx['requests']} htmx requests, {htmx['swaps']} "
        f"swaps settled), {len(found)} violations"
        + (": " + "; ".join(found[:5]) if found else "")
        + (f"; htmx problems: {'; '.join(htmx_problems[:5])}" if htmx_problems else "")
        + (f"; {len(signed_out)} pages seen signed out: {', '.join(signed_out[:5])}" if signed_out else ""),
        # At least the wallet's top-up is htmx: none found means the fragments went unchecked.
        not found and not htmx_problems and not signed_out and controls > 0,
    )
    assert passed, (found, htmx_problems, signed_out)
