"""The emulator's records: ids, external ids, change stamps, sublists, transforms, SuiteQL rows.

Records are kept as written (camelCase, references as ``{"id": ...}``); a field whose value is
``{"items": [...]}`` is a sublist. Stamps are UTC, to the second, like Oracle ``DATE`` columns.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from pipeline.testing.netsuite import orders

#: Record types kept, by lower-case name (NetSuite matches record types case-insensitively).
RECORD_TYPES = {name.lower(): name for name in
                ("customer", "salesOrder", "itemFulfillment", "invoice", "creditMemo", "inventoryItem",
                 "discountItem", "otherChargeSaleItem", "shipItem", "currency", "salesTaxItem")}
#: Record types whose records may stand on a transaction's item lines.
LINE_ITEM_TYPES = ("inventoryItem", "discountItem", "otherChargeSaleItem")
#: The currencies every emulated account has (id, ISO code as SuiteQL's ``symbol``, name).
CURRENCIES = (("1", "USD", "US Dollar"), ("2", "GBP", "British Pound"), ("3", "CAD", "Canadian Dollar"),
              ("4", "EUR", "Euro"))
#: The items every emulated account has for an order's money and shipping (fixed ids, below the
#: ids records get): record type -> id -> itemId. ``NetSuiteEmulator.env`` names them.
ACCOUNT_ITEMS = {"discountItem": {"11": "Shop discount"}, "otherChargeSaleItem": {"12": "Shop tax"},
                 "shipItem": {"21": "flatrate_flatrate", "22": "freeshipping_freeshipping",
                              "23": "tablerate_bestway"}}
#: The tax codes every emulated account has (``salesTaxItem``: id -> (itemId, rate in percent)), one per
#: rate; a VAT account (``RecordStore(vat=True)``) wants one of them on every transaction line.
TAX_CODES = {"31": ("S-GB", "20"), "32": ("R-GB", "5"), "33": ("S-NL", "21"), "34": ("R-NL", "9"),
             "35": ("S-DE", "19"), "36": ("R-DE", "7"), "37": ("Z-EU", "0")}
#: Transactions whose lines a VAT account taxes.
TAXED_TRANSACTIONS = ("salesOrder", "invoice", "creditMemo")
#: SuiteQL ``transaction.type`` codes, and the document number prefixes of the emulator.
TRANSACTION_CODES = {"salesOrder": "SalesOrd", "invoice": "CustInvc", "itemFulfillment": "ItemShip",
                     "creditMemo": "CustCred"}
TRAN_PREFIXES = {"salesOrder": "SO", "invoice": "INV", "itemFulfillment": "IF", "creditMemo": "CM"}
#: (from, to) record types that ``!transform`` supports.
TRANSFORMS = {("salesOrder", "itemFulfillment"), ("salesOrder", "invoice"), ("invoice", "creditMemo")}
#: Reference fields checked on writes: field -> record type it must point at.
REFERENCES = {"entity": "customer", "currency": "currency", "shipMethod": "shipItem",
              "discountItem": "discountItem"}
ISO = "%Y-%m-%dT%H:%M:%SZ"


class NsError(Exception):
    """A NetSuite error answer: HTTP status, ``o:errorCode``, ``detail`` and ``o:errorPath``."""

    def __init__(self, status: int, code: str, detail: str, path: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.path = status, code, detail, path


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def is_sublist(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("items"), list)


def invalid_value(value: object, field: str, path: str) -> NsError:
    detail = (f"Error while accessing resource: You have entered an Invalid Field Value {value} for the "
              f"following field: {field}")
    return NsError(400, "INVALID_CONTENT", detail, path)


class RecordStore:
    """Every record by type and id; ``clock`` stamps writes (tests may replace it).

    ``vat``: the account computes VAT per line from each line's tax code and refuses a line without
    one, as a NetSuite VAT account (SuiteTax or legacy VAT codes) does.
    """

    def __init__(self, clock: Callable[[], dt.datetime] = utc_now, *, vat: bool = False) -> None:
        self.clock = clock
        self.vat = vat
        self.records: dict[str, dict[str, dict]] = {name: {} for name in RECORD_TYPES.values()}
        self.records["currency"] = {cid: {"id": cid, "symbol": code, "name": name,
                                          "lastModifiedDate": "2020-01-01T00:00:00Z"}
                                    for cid, code, name in CURRENCIES}
        for record_type, items in ACCOUNT_ITEMS.items():
            self.records[record_type] = {iid: {"id": iid, "itemId": name, "lastModifiedDate": "2020-01-01T00:00:00Z"}
                                         for iid, name in items.items()}
        self.records["salesTaxItem"] = {cid: {"id": cid, "itemId": name, "rate": float(rate),
                                              "lastModifiedDate": "2020-01-01T00:00:00Z"}
                                        for cid, (name, rate) in TAX_CODES.items()}
        self._next_id = 100

    def record_type(self, name: str) -> str:
        try:
            return RECORD_TYPES[name.lower()]
        except KeyError:
            # [unverified] NetSuite's exact code and text for an unknown record type.
            raise NsError(404, "INVALID_RCRD_TYPE", f"Record type '{name}' does not exist.") from None

    def add(self, record_type: str, fields: dict, *, modified: dt.datetime | None = None) -> str:
        """Store a new record as it is (no checks): for creates, and for tests to seed data."""
        record_type = self.record_type(record_type)
        self._next_id += 1
        record_id = str(self._next_id)
        stamp = (modified or self.clock()).strftime(ISO)
        record = {"id": record_id, **copy.deepcopy(fields), "lastModifiedDate": stamp}
        if record_type in TRANSACTION_CODES:
            record.setdefault("tranId", f"{TRAN_PREFIXES[record_type]}{record_id}")
            record.setdefault("createdDate", stamp)
        else:
            record.setdefault("dateCreated", stamp)
        if record_type == "customer":
            record.setdefault("entityId", f"CUST{record_id}")
        for value in record.values():
            if is_sublist(value):
                _number_lines(value["items"])
        if record_type in TRANSACTION_CODES:
            _compute_totals(record, self.records["salesTaxItem"])
        self.records[record_type][record_id] = record
        return record_id

    def touch(self, record_type: str, key: str, *, modified: dt.datetime | None = None) -> None:
        """Stamp a record as changed (at ``modified``: a late commit carries an older stamp)."""
        _, record = self.resolve(record_type, key)
        record["lastModifiedDate"] = (modified or self.clock()).strftime(ISO)

    def resolve(self, record_type: str, key: str) -> tuple[str, dict]:
        """``(id, record)`` by internal id or ``eid:<external id>``; 404 NONEXISTENT_ID when missing."""
        records = self.records[self.record_type(record_type)]
        if key.startswith("eid:"):
            found = next((rid for rid, rec in records.items() if rec.get("externalId") == key[4:]), None)
        else:
            found = key if key in records else None
        if found is None:
            raise NsError(404, "NONEXISTENT_ID",
                          "The record instance does not exist. Provide a valid record instance ID.")
        return found, records[found]

    def exists(self, record_type: str, key: str) -> bool:
        try:
            self.resolve(record_type, key)
        except NsError:
            return False
        return True

    def create(self, record_type: str, body: object) -> str:
        record_type = self.record_type(record_type)
        self._check(record_type, body)
        external = body.get("externalId")
        if external and any(rec.get("externalId") == external for rec in self.records[record_type].values()):
            # [unverified] code and text; SOAP answers DUP_RCRD "This record already exists".
            raise NsError(400, "DUP_RCRD", "This record already exists.", "externalId")
        if record_type in TRANSACTION_CODES and "entity" not in body:
            raise NsError(400, "USER_ERROR", "Please enter value(s) for: Customer", "entity")
        return self.add(record_type, body)

    def update(self, record_type: str, key: str, body: object, replace: Sequence[str] = ()) -> str:
        """Change the given fields; sublists merge line by line unless named in ``replace``."""
        record_type = self.record_type(record_type)
        record_id, record = self.resolve(record_type, key)
        self._check(record_type, body)
        refused = orders.refusal(record, body, replace) if record_type == "salesOrder" else None
        if refused:
            raise NsError(*refused)
        for name, value in body.items():
            if is_sublist(value) and is_sublist(record.get(name)) and name not in replace:
                _merge_lines(record[name]["items"], copy.deepcopy(value["items"]))
            else:
                record[name] = copy.deepcopy(value)
                if is_sublist(value):
                    _number_lines(record[name]["items"])
        record["lastModifiedDate"] = self.clock().strftime(ISO)
        if record_type == "salesOrder":
            orders.settle(record)
        if record_type in TRANSACTION_CODES:
            _compute_totals(record, self.records["salesTaxItem"])
        return record_id

    def upsert(self, record_type: str, external_id: str, body: object, replace: Sequence[str] = ()) -> str:
        if not isinstance(body, dict):
            raise NsError(400, "INVALID_CONTENT", "The request body must be a JSON object.")
        try:
            self.resolve(record_type, f"eid:{external_id}")
        except NsError:
            return self.create(record_type, {**body, "externalId": external_id})
        return self.update(record_type, f"eid:{external_id}", body, replace)

    def transform(self, source_type: str, key: str, target_type: str, body: object) -> str:
        source_type, target_type = self.record_type(source_type), self.record_type(target_type)
        if (source_type, target_type) not in TRANSFORMS:
            raise NsError(400, "INVALID_PARAMETER", f"Transformation from {source_type} to {target_type} "
                                                    f"is not supported.")
        source_id, source = self.resolve(source_type, key)
        body = body if isinstance(body, dict) else {}
        lines = [{"item": line.get("item"), "quantity": line.get("quantity"), "rate": line.get("rate"),
                  "amount": line.get("amount"), "orderLine": line.get("line"),
                  **({"taxCode": line["taxCode"]} if line.get("taxCode") else {})}
                 for line in (source.get("item") or {}).get("items", [])]
        chosen = {line.get("orderLine"): line for line in (body.get("item") or {}).get("items", [])}
        if chosen:
            lines = [_part_of(line, chosen[line["orderLine"]].get("quantity", line["quantity"]))
                     for line in lines if line["orderLine"] in chosen]
        fields = {key: value for key, value in body.items() if key != "item"}
        if source_type == "salesOrder":
            orders.record_document(source, target_type, lines)
        return self.add(target_type, {"entity": source.get("entity"), **fields, "item": {"items": lines},
                                      "createdFrom": {"id": source_id, "refName": source.get("tranId")}})

    def render(self, record_type: str, key: str, *, expand: bool, base_url: str) -> dict:
        """A record as GET answers it: links, and sublists as links or (``expand``) inline lines."""
        record_type = self.record_type(record_type)
        record_id, record = self.resolve(record_type, key)
        href = f"{base_url}/services/rest/record/v1/{record_type}/{record_id}"
        rendered = {"links": [{"rel": "self", "href": href}]}
        for name, value in copy.deepcopy(record).items():
            if not is_sublist(value):
                rendered[name] = value
                continue
            links = {"links": [{"rel": "self", "href": f"{href}/{name}"}]}
            count = len(value["items"])
            lines = [self._named_item(line) for line in value["items"]]
            rendered[name] = {**links, "items": lines, "count": count, "hasMore": False, "offset": 0,
                              "totalResults": count} if expand else links
        return rendered

    def _named_item(self, line: dict) -> dict:
        # NetSuite answers every reference with its refName; an item's is its name (itemId), the
        # SKU that documents made from an order are matched by in the shop.
        item = line.get("item")
        if isinstance(item, dict) and "refName" not in item:
            known = self.records["inventoryItem"].get(str(item.get("id")))
            if known is not None and known.get("itemId"):
                line["item"] = {**item, "refName": known["itemId"]}
        return line

    def _check(self, record_type: str, body: object) -> None:
        if not isinstance(body, dict):
            raise NsError(400, "INVALID_CONTENT", "The request body must be a JSON object.")
        if "id" in body:
            raise NsError(400, "INVALID_CONTENT", "The field id is read-only.", "id")
        for field, target in REFERENCES.items():
            if field in body and str((body[field] or {}).get("id")) not in self.records[target]:
                raise invalid_value((body[field] or {}).get("id"), field, field)
        for index, line in enumerate((body.get("item") or {}).get("items") or []):
            if "item" not in line and "line" in line:
                continue  # a change to an existing line (closing it) keeps its item
            item_id = str((line.get("item") or {}).get("id"))
            if record_type in TRANSACTION_CODES and not any(item_id in self.records[kind]
                                                            for kind in LINE_ITEM_TYPES):
                raise invalid_value(item_id, "item", f"item.items[{index}].item")
            if record_type in TAXED_TRANSACTIONS:
                self._check_tax_code(line, f"item.items[{index}].taxCode")

    def _check_tax_code(self, line: dict, path: str) -> None:
        code = line.get("taxCode")
        if code is None and self.vat:
            # NetSuite's message for a missing mandatory field, as for the customer above ([unverified]
            # for REST: the UI and SOAP wording).
            raise NsError(400, "USER_ERROR", "Please enter value(s) for: Tax Code", path)
        if code is not None and str(code.get("id")) not in self.records["salesTaxItem"]:
            raise invalid_value(code.get("id"), "taxCode", path)


def _compute_totals(record: dict, tax_codes: dict[str, dict]) -> None:
    """The read-only totals NetSuite computes: lines, header discount, tax, shipping (CONTRACTS 4.8a).

    A line's amount is its ``amount``, else rate x quantity; discount and tax item lines count as
    lines (their amounts negative and positive). A percentage ``discountRate`` ("-10%") applies to
    the subtotal. A line with a tax code is taxed at the code's rate, rounded half up per line
    (``taxRate1``, ``tax1Amt``; [derived] the "round per line" setting); the header discount and
    shipping are left untaxed (no ``shippingTaxCode`` is emulated).
    """
    cent = Decimal("0.01")
    subtotal = tax = Decimal(0)
    for line in (record.get("item") or {}).get("items") or []:
        if line.get("amount") is not None:
            amount = Decimal(str(line["amount"]))
        else:
            amount = Decimal(str(line.get("rate") or 0)) * Decimal(str(line.get("quantity") or 0))
        subtotal += amount
        code = tax_codes.get(str((line.get("taxCode") or {}).get("id")))
        if code is not None:
            rate = Decimal(str(code["rate"]))
            line_tax = (amount * rate / 100).quantize(cent, rounding=ROUND_HALF_UP)
            line.update(taxRate1=float(rate), tax1Amt=float(line_tax))
            tax += line_tax
    rate = record.get("discountRate")
    if isinstance(rate, str) and rate.endswith("%"):
        discount = (subtotal * Decimal(rate[:-1]) / 100).quantize(cent)
    else:
        discount = Decimal(str(rate or 0))
    total = subtotal + discount + tax + Decimal(str(record.get("shippingCost") or 0)) + \
        Decimal(str(record.get("handlingCost") or 0))
    record.update(subtotal=float(subtotal.quantize(cent)), discountTotal=float(discount.quantize(cent)),
                  taxTotal=float(tax), total=float(total.quantize(cent)))


def _part_of(line: dict, quantity: object) -> dict:
    """A source line taken at another quantity: NetSuite prices it again, amount = rate x quantity."""
    if quantity == line["quantity"] or line.get("rate") is None or quantity is None:
        return {**line, "quantity": quantity}
    amount = (Decimal(str(line["rate"])) * Decimal(str(quantity))).quantize(Decimal("0.01"))
    return {**line, "quantity": quantity, "amount": float(amount)}


def _number_lines(lines: list[dict]) -> None:
    for number, line in enumerate(lines, start=1):
        line.setdefault("line", number)


def _merge_lines(current: list[dict], changes: list[dict]) -> None:
    # Lines naming an existing line number change it; the others are added (NetSuite's default merge).
    by_line = {line.get("line"): line for line in current}
    for change in changes:
        if change.get("line") in by_line:
            by_line[change["line"]].update(change)
        else:
            change["line"] = max((line.get("line") or 0 for line in current), default=0) + 1
            current.append(change)
