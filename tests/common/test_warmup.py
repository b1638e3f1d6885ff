"""A web worker's warm-up (common/warmup.py, run by config/wsgi.py and asgi.py before the first request)."""

from django.template import engines

from common.warmup import warm_up


def test_the_warm_up_compiles_every_jinja2_template_before_the_first_request():
    environment = engines["jinja2"].env
    environment.cache.clear()
    warm_up()  # raises on a template that does not compile: the worker does not start
    names = environment.list_templates()
    assert "base.html" in names and "catalog/product_list.html" in names
    compiled = {name for _loader, name in environment.cache}  # keyed (weakref to the loader, name)
    assert compiled >= set(names)
