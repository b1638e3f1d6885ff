"""DESIGN.md's dependency direction, checked: an app imports only from apps above it (models may
point the other way by string reference). A new exception is written down here, with its reason,
or the code reads the model by name (`apps.get_model`)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["common", "accounts", "catalog", "inventory", "promotions", "carts", "payments", "orders", "backoffice"]

# (importing file, imported module): the written-down exceptions.
ALLOWED = {
    # Listings show stock: the catalogue reads inventory's selectors, signals and stock rows.
    ("catalog/selectors.py", "inventory.selectors"),
    ("catalog/templatetags/catalog_tags.py", "inventory.selectors"),
    ("catalog/cache.py", "inventory.signals"),
    ("catalog/api/serializers.py", "inventory.models"),
    # A return's restock names the order line it came back from (imported inside the function).
    ("inventory/services.py", "orders.models"),
}


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Line numbers of imports under `if TYPE_CHECKING:` (annotations only, nothing at run time)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def test_apps_import_only_from_apps_above_them():
    rank = {app: n for n, app in enumerate(ORDER)}
    upward = []
    for app in ORDER:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            annotations_only = _type_checking_only(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                if node.lineno in annotations_only:
                    continue
                name = str(path.relative_to(ROOT))
                for module in modules:
                    top = module.split(".")[0]
                    if top in rank and rank[top] > rank[app] and (name, module) not in ALLOWED:
                        upward.append(f"{name}:{node.lineno} imports {module}")
    assert upward == []
