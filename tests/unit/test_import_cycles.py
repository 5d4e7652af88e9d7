"""No module of the project imports itself back through others (a deferred import included)."""

from __future__ import annotations

from pathlib import Path

from tests.support.import_graph import ROOT, cycles, import_graph


def test_the_packages_have_no_import_cycle() -> None:
    assert cycles(import_graph(ROOT, ["backend", "conversations", "teleexpertise"])) == []


def test_a_cycle_through_a_deferred_import_is_found(tmp_path: Path) -> None:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "orders.py").write_text("from shop import billing, typed\n")
    (package / "billing.py").write_text("def pay():\n    from shop.tasks import send\n")
    (package / "tasks.py").write_text("from . import orders\n")
    # Imports for the type checker only never run: no cycle orders <-> typed.
    (package / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from shop import orders\n"
    )
    assert cycles(import_graph(tmp_path, ["shop"])) == [
        ["shop.billing", "shop.orders", "shop.tasks"]
    ]
