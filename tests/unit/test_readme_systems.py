"""The README's systems section is generated from the systems' carried-fields tables, never edited by hand."""

from __future__ import annotations

from scripts.systems_readme import END, README, START, render


def test_the_readme_lists_what_each_load_carries_as_the_tables_declare():
    text = README.read_text(encoding="utf-8")
    block = text[text.index(START):text.index(END) + len(END)]
    assert block == render(), "README out of date: run .venv/bin/python -m scripts.systems_readme --write"


def test_the_block_names_every_shipped_mappings_connections():
    block = render()
    assert "| `magento2_to_netsuite_order` | magento2 `magento2_shop` | netsuite `netsuite_erp` |" in block
    assert "| order | `discount_amount` |" in block
