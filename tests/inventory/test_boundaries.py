"""Catalogue and inventory depend one way: the catalogue asks inventory's selectors how much is
available; inventory imports nothing of the catalogue (its models by string reference only) and
announces stock movements through `inventory.signals.stock_moved`, which the catalogue's cache
receives."""

import ast
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings

import inventory
from catalog.cache import CATALOG, product_scope
from common.public_cache import generations_current
from inventory.services import stock_restock
from inventory.signals import stock_moved
from tests.factories.commerce import VariantFactory

INVENTORY = Path(inventory.__file__).parent


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[str]:
    """Modules a file imports when it runs (`if TYPE_CHECKING:` blocks hold annotations only)."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_inventory_imports_nothing_of_the_catalogue():
    files = sorted(INVENTORY.rglob("*.py"))
    assert len(files) > 10
    offenders = {
        str(path.relative_to(INVENTORY.parent)): module
        for path in files
        for module in _imports(ast.parse(path.read_text(), filename=str(path)))
        if module == "catalog" or module.startswith("catalog.")
    }
    assert offenders == {}


def test_the_scan_sees_an_import_anywhere_but_under_type_checking():
    source = "\n".join(
        [
            "import catalog.cache",
            "if TYPE_CHECKING:",
            "    from catalog.models import Product",
            "def f():",
            "    from catalog import x",
        ]
    )
    assert _imports(ast.parse(source)) == ["catalog.cache", "catalog"]


@pytest.mark.django_db(transaction=True)
@override_settings(PUBLIC_CACHE_ENABLED=True)
def test_a_stock_movement_sends_its_variants_and_bumps_their_pages_after_commit():
    variant = VariantFactory(stock=0)
    scopes = [CATALOG, product_scope(variant.product_id)]
    before = generations_current(scopes)
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    stock_moved.connect(receiver)
    try:
        with transaction.atomic():
            stock_restock(variant_id=variant.pk, quantity=5)
            assert generations_current(scopes) == before  # not before the commit
    finally:
        stock_moved.disconnect(receiver)

    assert [(s["variant_ids"], s["product_ids"]) for s in sent] == [([variant.pk], [])]
    after = generations_current(scopes)
    assert before is not None and after is not None
    assert all(after[scope] > before[scope] for scope in scopes)
