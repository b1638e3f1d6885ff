#!/usr/bin/env bash
# Lighthouse scores (performance, accessibility, best practices, SEO) of the home page, the product
# list, a product page and a signed-in customer's cart, mobile and desktop; the median of RUNS runs.
#
# The shop runs as in production where it matters to a browser: gunicorn, DEBUG off, hashed and
# pre-compressed static files from `collectstatic`, gzip on pages. It uses the embedded default
# (SQLite in a temporary folder, the demo data), so it needs neither PostgreSQL nor Redis; plain
# HTTP on 127.0.0.1, where browsers treat the loopback as secure.
#
# Needs npm (Lighthouse is installed into LIGHTHOUSE_PREFIX, outside the repository, on first use)
# and Chromium (CHROME_PATH, Debian's /usr/bin/chromium by default). Not part of `make test`.
#
#   scripts/lighthouse.sh                 # 3 runs of each page and form factor
#   RUNS=1 LIGHTHOUSE_PORT=8799 scripts/lighthouse.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
PORT=${LIGHTHOUSE_PORT:-8765}
LIGHTHOUSE_VERSION=${LIGHTHOUSE_VERSION:-12.8}
LIGHTHOUSE_PREFIX=${LIGHTHOUSE_PREFIX:-${TMPDIR:-/tmp}/shop-lighthouse}
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
PY=${PY:-.venv/bin/python}
LIGHTHOUSE="$LIGHTHOUSE_PREFIX/node_modules/.bin/lighthouse"

command -v npm >/dev/null || { echo "npm is needed (apt-get install npm)" >&2; exit 2; }
[ -x "$CHROME_PATH" ] || { echo "Chromium not found at $CHROME_PATH (apt-get install chromium)" >&2; exit 2; }
if ! [ -x "$LIGHTHOUSE" ] || ! "$LIGHTHOUSE" --version | grep -q "^${LIGHTHOUSE_VERSION//./\\.}"; then
  echo "installing lighthouse@$LIGHTHOUSE_VERSION into $LIGHTHOUSE_PREFIX"
  npm install --silent --no-audit --no-fund --prefix "$LIGHTHOUSE_PREFIX" "lighthouse@$LIGHTHOUSE_VERSION" >/dev/null
fi

# LIGHTHOUSE_WORK: a folder kept between runs (the database and the reports), else a new one.
WORK=${LIGHTHOUSE_WORK:-$(mktemp -d)}
mkdir -p "$WORK"
rm -f "$WORK"/*.json
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  [ -n "${LIGHTHOUSE_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# The embedded default, production-like: no DATABASE_URL / REDIS_URL from the caller's shell.
unset DATABASE_URL REDIS_URL CELERY_BROKER_URL
export DJANGO_SETTINGS_MODULE=config.settings.base DJANGO_DEBUG=false \
  SQLITE_PATH="$WORK/shop.sqlite3" LOG_LEVEL=WARNING \
  DJANGO_SECRET_KEY=lighthouse-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz \
  EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend

echo "preparing the shop (migrate, collectstatic, demo data)"
"$PY" manage.py migrate --no-input -v0
"$PY" manage.py collectstatic --no-input -v0
"$PY" manage.py seed_demo --force >/dev/null
# A signed-in demo customer with something in the cart; prints the product page and the cookie.
read -r _ PRODUCT_PATH COOKIE < <("$PY" manage.py shell -v0 -c '
from django.conf import settings
from django.test import Client
from accounts.demo import CUSTOMER_EMAIL
from accounts.models import User
from carts.services import cart_add_item
from catalog.models import ProductVariant
user = User.objects.get(email=CUSTOMER_EMAIL)
for variant in ProductVariant.objects.filter(status="active", product__status="active").order_by("pk"):
    try:
        cart_add_item(user=user, variant_id=variant.pk, quantity=1)
        break
    except Exception:  # sold out: the next one
        continue
client = Client()
client.force_login(user)
print("SIGNED-IN", f"/products/{variant.product_id}/", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
' | grep "^SIGNED-IN ")

"$PY" -m gunicorn config.wsgi --workers 2 --bind "127.0.0.1:$PORT" --log-level warning &
SERVER_PID=$!
for _ in $(seq 1 60); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  sleep 0.5
done

BASE="http://127.0.0.1:$PORT"
PAGES=("home|/" "product list|/products/" "product page|$PRODUCT_PATH" "cart (signed in)|/cart/")
for form in mobile desktop; do
  for page in "${PAGES[@]}"; do
    name=${page%%|*}
    path=${page#*|}
    for run in $(seq 1 "$RUNS"); do
      args=(--quiet --output=json --output-path="$WORK/$form-${name// /_}-$run.json"
        --only-categories=performance,accessibility,best-practices,seo
        --chrome-flags="--headless=new --no-sandbox")
      [ "$form" = desktop ] && args+=(--preset=desktop)
      [[ "$path" == /cart/* ]] && args+=(--extra-headers="{\"Cookie\": \"$COOKIE\"}")
      "$LIGHTHOUSE" "$BASE$path" "${args[@]}" || echo "lighthouse failed on $form $name (run $run)" >&2
    done
  done
done

"$PY" - "$WORK" <<'EOF'
import json, statistics, sys
from collections import defaultdict
from pathlib import Path

categories = ["performance", "accessibility", "best-practices", "seo"]
scores = defaultdict(lambda: defaultdict(list))
failed = defaultdict(set)
for report in sorted(Path(sys.argv[1]).glob("*.json")):
    form, page, _run = report.stem.split("-")
    data = json.loads(report.read_text())
    if data.get("runtimeError"):  # Lighthouse's own hiccup (NO_NAVSTART under load): not a score
        print(f"{report.stem}: {data['runtimeError']['code']}, left out")
        continue
    for category in categories:
        score = data["categories"][category]["score"]
        scores[(form, page.replace("_", " "))][category].append(round(100 * score) if score is not None else 0)
        for ref in data["categories"][category]["auditRefs"]:
            audit = data["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 0.9:
                failed[(form, page.replace("_", " "))].add(f'{category}: {ref["id"]} ({audit["score"]})')
print(f'\n{"form":8} {"page":18} ' + " ".join(f"{c:>14}" for c in categories) + "   (median of runs)")
for (form, page), by_category in scores.items():
    row = [f"{statistics.median(by_category[c]):>14.0f}" for c in categories]
    print(f"{form:8} {page:18} " + " ".join(row) + "   " + " ".join(str(v) for v in by_category["performance"]))
for key, audits in failed.items():
    print(f"\n{key[0]} {key[1]} audits under 0.9: " + "; ".join(sorted(audits)))
EOF
