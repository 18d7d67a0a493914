#!/usr/bin/env python3
"""Vendor the part of Magento's official admin REST schema that our emulator validates against.

Reads Adobe's Swagger 2.0 file (AdobeDocs/commerce-webapi ``src/openapi/admin-schema-2.4.9.yaml``,
Apache-2.0) and writes, for each operation the Magento 2 system calls, its query and path
parameter names and its body schema (for a few, also the schema of the 200 answer), with every
definition they reference. The output is
deterministic, so a re-run over the same file changes nothing::

    scripts/extract_magento2_schema.py ../shared/specs/magento2-admin-schema-2.4.9.yaml

The only edits are listed in ``x-relaxed`` of the output, each with its reason.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "specs" / "magento2-admin-schema-2.4.9.yaml"
DEFAULT_TARGET = ROOT / "pipeline" / "testing" / "specs" / "magento2-admin-2.4.9.subset.json"

#: (method, path) of every operation the Magento 2 system and its emulator use.
OPERATIONS = [
    ("POST", "/V1/integration/admin/token"),
    ("GET", "/V1/customers/search"),
    ("GET", "/V1/customers/{customerId}"),
    ("POST", "/V1/customers"),
    ("PUT", "/V1/customers/{customerId}"),
    ("GET", "/V1/directory/countries/{countryId}"),
    ("GET", "/V1/orders"),
    ("GET", "/V1/orders/{id}"),
    ("GET", "/V1/products"),
    ("GET", "/V1/products/{sku}"),
    ("POST", "/V1/products"),
    ("PUT", "/V1/products/{sku}"),
    ("GET", "/V1/stockItems/{productSku}"),
    ("PUT", "/V1/products/{productSku}/stockItems/{itemId}"),
    ("GET", "/V1/inventory/source-items"),
    ("POST", "/V1/inventory/source-items"),
    ("GET", "/V1/invoices"),
    ("GET", "/V1/invoices/{id}/comments"),
    ("GET", "/V1/shipments"),
    ("GET", "/V1/shipment/{id}/comments"),
    ("GET", "/V1/creditmemos"),
    ("GET", "/V1/creditmemo/{id}/comments"),
    ("POST", "/V1/order/{orderId}/invoice"),
    ("POST", "/V1/order/{orderId}/ship"),
    ("POST", "/V1/order/{orderId}/refund"),
    ("POST", "/V1/invoice/{invoiceId}/refund"),
    ("GET", "/V1/bulk/{bulkUuid}/detailed-status"),
    ("GET", "/V1/bulk/{bulkUuid}/status"),
    ("GET", "/V1/bulk/{bulkUuid}/operation-status/{status}"),
    # Lifecycle events (pipeline.systems.magento2.lifecycle): records removed, tracks added later.
    ("DELETE", "/V1/products/{sku}"),
    ("DELETE", "/V1/customers/{customerId}"),
    ("GET", "/V1/shipment/{id}"),
    ("POST", "/V1/shipment/track"),
]
#: Operations whose 200 answer schema is vendored too: the emulator's answers are tested against it.
ANSWERS = {
    ("GET", "/V1/bulk/{bulkUuid}/detailed-status"),
    ("GET", "/V1/bulk/{bulkUuid}/status"),
    ("GET", "/V1/bulk/{bulkUuid}/operation-status/{status}"),
}

#: definition -> why its ``required`` list is dropped.
RELAX_REQUIRED = {
    "catalog-inventory-data-stock-item-interface": (
        "The schema marks 23 stock item fields required (every getter is non-nullable), but "
        "PUT /V1/products/{productSku}/stockItems/{itemId} takes a partial stockItem such as "
        "{qty, is_in_stock}, as Adobe's own tutorials send it (CONTRACTS.md 1.4)."),
}


def extract(source: dict) -> dict:
    definitions = source["definitions"]
    operations, used = {}, set()
    for method, path in OPERATIONS:
        operation = source["paths"][path][method.lower()]
        parameters = operation.get("parameters", [])
        body = next((p["schema"] for p in parameters if p.get("in") == "body"), None)
        operations[f"{method} {path}"] = {
            "operationId": operation["operationId"],
            "path": [p["name"] for p in parameters if p.get("in") == "path"],
            "query": [p["name"] for p in parameters if p.get("in") == "query"],
            "body": body,
        }
        if (method, path) in ANSWERS:
            answer = operation["responses"]["200"]["schema"]
            operations[f"{method} {path}"]["response"] = answer
            _collect(answer, definitions, used)
        _collect(body, definitions, used)
    subset = {name: definitions[name] for name in sorted(used)}
    for name in RELAX_REQUIRED:
        subset[name] = {key: value for key, value in subset[name].items() if key != "required"}
    return {"operations": operations, "definitions": subset,
            "x-relaxed": {name: {"dropped": "required", "why": why} for name, why in RELAX_REQUIRED.items()}}


def _collect(node: object, definitions: dict, used: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in used:
                used.add(name)
                _collect(definitions[name], definitions, used)
        for value in node.values():
            _collect(value, definitions, used)
    elif isinstance(node, list):
        for value in node:
            _collect(value, definitions, used)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_TARGET)
    args = parser.parse_args(argv)
    raw = args.source.read_bytes()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    source = yaml.load(raw, Loader=loader)
    subset = {"x-source": {"file": args.source.name, "sha256": hashlib.sha256(raw).hexdigest(),
                           "version": source["info"]["version"], "basePath": source["basePath"],
                           "origin": "AdobeDocs/commerce-webapi src/openapi/admin-schema-2.4.9.yaml "
                                     "(Apache-2.0)",
                           "generated_by": "scripts/extract_magento2_schema.py"},
              **extract(source)}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(subset, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(f"Wrote {len(subset['operations'])} operations and {len(subset['definitions'])} definitions "
          f"to {args.output}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
