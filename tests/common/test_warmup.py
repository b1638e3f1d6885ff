"""A web worker's warm-up (common/warmup.py, run by config/wsgi.py and asgi.py before the first request)."""

import gc

from django.template import engines

from common.warmup import warm_up


def test_the_warm_up_compiles_every_jinja2_template_before_the_first_request():
    environment = engines["jinja2"].env
    environment.cache.clear()
    warm_up(freeze=False)  # raises on a template that does not compile: the worker does not start
    names = environment.list_templates()
    assert "base.html" in names and "catalog/product_list.html" in names
    compiled = {name for _loader, name in environment.cache}  # keyed (weakref to the loader, name)
    assert compiled >= set(names)


def test_what_the_warm_up_loaded_is_frozen_out_of_the_garbage_collectors_walks():
    """The worker's long-lived objects (modules, templates, URL patterns) go to the permanent
    generation: a full collection walks what requests made, not the whole framework again."""
    gc.collect()
    walked_before = len(gc.get_objects())
    try:
        warm_up()
        assert gc.get_freeze_count() >= walked_before // 2
        assert len(gc.get_objects()) < walked_before // 10
    finally:
        gc.unfreeze()  # this test process goes on as before
