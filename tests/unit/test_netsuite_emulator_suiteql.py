"""The NetSuite emulator's SuiteQL narrows by equalities before testing rows: the same answers as testing all."""

import pytest

from pipeline.testing.netsuite import suiteql
from pipeline.testing.netsuite.store import RecordStore

QUERIES = [
    "SELECT id, externalid FROM customer WHERE externalid = 'c7' OR LOWER(email) = 'c9@x.com' ORDER BY id",
    "SELECT id FROM customer WHERE externalid = '5' ORDER BY id",
    "SELECT id FROM customer WHERE LOWER(email) = 'mixed@x.com' AND firstname = 'Ada'",
    "SELECT id FROM customer WHERE subsidiary = '2' OR externalid = 'odd'",
    "SELECT id FROM customer WHERE NOT externalid = 'c3' AND LOWER(email) = 'c4@x.com'",
    "SELECT id FROM customer WHERE externalid IN ('c1', 'c2') OR email = 'C3@x.com'",
    "SELECT id FROM customer WHERE externalid = 'c1' OR id = 103",
    "SELECT id, email FROM customer",
    "SELECT id, type FROM transaction WHERE type = 'SalesOrd' AND externalid = 'so1'",
]


@pytest.fixture(scope="module")
def store() -> RecordStore:
    store = RecordStore()
    for i in range(12):
        store.add("customer", {"externalId": f"c{i}", "email": f"C{i}@x.com", "firstName": "A",
                               "subsidiary": {"id": "1"}})
    store.add("customer", {"externalId": 5, "email": "number@x.com"})         # a number SQL compares as '5'
    store.add("customer", {"EXTERNALID": "odd", "email": "MiXeD@x.com", "firstName": "Ada"})  # other spelling
    store.add("customer", {"email": None, "subsidiary": {"id": "2"}})         # no external id, a NULL email
    store.add("salesOrder", {"externalId": "so1", "entity": {"id": "101"}})
    return store


@pytest.mark.parametrize("query", QUERIES)
def test_narrowed_queries_answer_as_testing_every_row_would(store, query, monkeypatch):
    suiteql.run(store, query)  # learns the columns' field names, as a first query does
    narrowed = suiteql.run(store, query)
    monkeypatch.setattr(suiteql, "_narrowed", lambda node, views: views)
    assert narrowed == suiteql.run(store, query)


def test_narrowing_keeps_the_records_it_cannot_rule_out(store):
    suiteql.run(store, "SELECT id FROM customer WHERE externalid = 'x'")
    where = suiteql.Parser("SELECT id FROM customer WHERE externalid = 'c1'").query().where
    kept = [view.record.get("externalId", view.record.get("EXTERNALID"))
            for view in suiteql._narrowed(where, suiteql.table_views(store, "customer"))]
    assert kept == ["c1", 5, "odd", None]
