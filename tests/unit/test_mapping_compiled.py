"""The compiled mapper gives what the interpreted one gives: the same outputs, the same error messages.

The oracle (``reference_mapper.py``) is the plain way: jmespath's TreeInterpreter per record and
``schema.dump(schema.load())``. Both run over every shipped mapping's golden samples, and over
invalid records generated from those samples (each source value replaced by a value of every wrong
kind, keys dropped, unknown keys added), so a difference in any field, any function's argument
checks or any validation message shows up here.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import jmespath
import pytest
from jmespath.visitor import TreeInterpreter
from marshmallow import ValidationError

from pipeline.entities import ENTITIES
from pipeline.entities.normaliser import Normaliser
from pipeline.mapping import Mapper, load_mapping
from pipeline.mapping.compiler import compile_expression
from pipeline.mapping.functions import MappingFunctions
from tests.unit.reference_mapper import ReferenceMapper

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
MAPPING_FILES = sorted((ROOT / "mappings").glob("*.yaml"))
#: Values of every JSON kind, and strings that trip a parser or a validator.
WRONG_VALUES = [None, "", "   ", 0, 1, -3, 2.5, True, False, [], [None], ["x"], {}, {"a": 1}, "NaN", "abc",
                "12,50", "not an email@", "XX", "zz", "2026-13-45", "31.02.2020", "2026-11-01T10:00:00Z", " 7 "]


def outcome(mapper, record):
    """What mapping a record gives: the item, or the exception's type, message and problems."""
    try:
        item = mapper.map(record)
    except Exception as error:  # noqa: BLE001 (any difference counts, whatever its kind)
        return ("error", type(error).__name__, str(error), getattr(error, "problems", None))
    # Through JSON, as items travel between workers; and in order, as payload hashes see it.
    return ("item", item.key, json.dumps(item.data), json.dumps(item.native))


def keys_of(mapper, record):
    return mapper.source_key(record), mapper.source_label(record)


def mutations(record: dict, rng: random.Random, per_record: int = 60):
    """Invalid variants of a source record: one value replaced, a key dropped or an unknown one added."""
    paths = list(_paths(record))
    variants = []
    for path in paths:
        variants.append(_changed(record, path, _DROP))
        variants.extend(_changed(record, path, value) for value in rng.sample(WRONG_VALUES, 4))
    variants.append({**record, "unexpected_key": "x"})
    rng.shuffle(variants)
    return variants[:per_record] + [[], "a string", None, {}]


_DROP = object()


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:2]):
            yield (*prefix, index)
            yield from _paths(inner, (*prefix, index))


def _changed(record, path, value):
    changed = copy.deepcopy(record)
    holder = changed
    for step in path[:-1]:
        holder = holder[step]
    if value is _DROP:
        del holder[path[-1]]
    else:
        holder[path[-1]] = copy.deepcopy(value)
    return changed


def _samples(path: Path) -> list:
    records = json.loads((FIXTURES / load_mapping(path).name / "input.json").read_text(encoding="utf-8"))
    return [record for record in records if isinstance(record, dict)]


@pytest.mark.parametrize("path", MAPPING_FILES, ids=lambda path: path.stem)
def test_the_compiled_mapper_maps_the_golden_samples_as_the_interpreter_does(path):
    spec = load_mapping(path)
    compiled, reference = Mapper(spec), ReferenceMapper(spec)
    records = json.loads((FIXTURES / spec.name / "input.json").read_text(encoding="utf-8"))

    for record in records:
        assert outcome(compiled, record) == outcome(reference, record), record
        assert keys_of(compiled, record) == keys_of(reference, record), record


@pytest.mark.parametrize("path", MAPPING_FILES, ids=lambda path: path.stem)
def test_the_compiled_mapper_rejects_generated_invalid_records_with_the_interpreters_messages(path):
    spec = load_mapping(path)
    compiled, reference = Mapper(spec), ReferenceMapper(spec)
    rng = random.Random(path.stem)
    errors = 0

    for record in _samples(path):
        for variant in mutations(record, rng):
            expected = outcome(reference, variant) if isinstance(variant, dict) else None
            if expected is None:
                continue
            assert outcome(compiled, variant) == expected, variant
            assert keys_of(compiled, variant) == keys_of(reference, variant), variant
            errors += expected[0] == "error"

    assert errors > 0, f"No generated record of {path.name} was invalid: the generator tests nothing."


def test_the_compiled_mapper_fails_a_non_dict_record_as_the_interpreter_does():
    spec = load_mapping(MAPPING_FILES[0])
    for record in ([], "a string", 7):
        assert keys_of(Mapper(spec), record) == keys_of(ReferenceMapper(spec), record)


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_the_normaliser_validates_entities_as_dump_of_load_does(name):
    entity = ENTITIES[name]
    schema = entity()
    normaliser = Normaliser(entity())
    rng = random.Random(name)
    entities = [json.loads(item["entity"]) if isinstance(item.get("entity"), str) else item["entity"]
                for path in sorted(FIXTURES.glob("*/expected.json"))
                for item in json.loads(path.read_text(encoding="utf-8")) if "entity" in item]
    samples = [sample for sample in entities if set(sample) <= set(schema.fields)
               and entity.natural_key in sample and _loads(schema, sample)]
    assert samples, f"No golden sample is a valid {name}."
    checked = 0

    for sample in samples[:6]:
        for variant in [sample, *mutations(sample, rng, per_record=80), {**sample, "a": 1, "b": 2, "c": 3}]:
            try:
                expected = ("ok", json.dumps(schema.dump(schema.load(variant))))
            except ValidationError as error:
                expected = ("invalid", error.messages)
            try:
                actual = ("ok", json.dumps(normaliser(variant)))
            except ValidationError as error:
                actual = ("invalid", error.messages)
            assert actual == expected, variant
            # Dict order too: the messages are flattened into one sentence in this order.
            assert json.dumps(actual, default=str) == json.dumps(expected, default=str), variant
            checked += 1
    assert checked > 50


def _loads(schema, sample) -> bool:
    try:
        schema.load(sample)
    except ValidationError:
        return False
    return True


#: One expression per kind of JMESPath node, and calls that break each kind of argument check.
EXPRESSIONS = [
    "a", "a.b.c", "a.b[0]", "a.list[-1]", "a.list[1:3]", "a.list[::-1]", "a.list[*].n", "a.objs[*].n",
    "a.objs[?n > `1`].n", "a.objs[?n == `2`]", "a.objs[?name != 'x'].name", "a.nested[]", "a.nested[][]",
    "a.map.*", "a.map.* | [0]", "{x: a.b.c, y: a.list}", "[a.b.c, a.list[0]]", "a.missing || a.list",
    "a.list && a.b", "a.zero || `5`", "a.zero && 'and'", "a.empty || a.s", "!a.zero", "!a.empty", "!a.list",
    "a.n < `3`", "a.n >= a.list", "a.s < 'z'",
    "`{\"k\": [1, 2]}`", "'raw'", "@", "a.objs | sort_by(@, &n)[*].name", "max_by(a.objs, &n).name",
    "length(a.list)", "join(',', a.strs)", "sum(a.list)", "to_string(a.n)", "keys(a.map)", "contains(a.strs, 'p')",
    "coalesce(a.missing, '', a.s)", "default(a.missing, 'fallback')", "lower(a.s)", "trim(a.pad)",
    "to_decimal(a.money)", "split(a.csv, ',')", "map_value('codes', a.code)", "md5(a.s)",
    "to_datetime(a.when, '%Y-%m-%d %H:%M:%S')", "to_date(a.day, '%d.%m.%Y')", "a.objs[?n > `1`] | length(@)",
    # Each of these raises; the compiled call must raise the same error.
    "lower(a.n)", "length(a.n)", "sum(a.strs)", "join(',', a.list)", "max_by(a.objs, &name)", "lower()",
    "trim(a.s, a.s)", "coalesce()", "nope(a.s)", "to_decimal(a.s)", "to_date(a.s, '%d.%m.%Y')",
    "map_value('nope', a.code)", "split(a.csv, '')", "abs(a.s)",
]
DOCUMENT = {"a": {"b": {"c": "deep"}, "list": [1, 2, 3, 4], "objs": [{"n": 1, "name": "p"}, {"n": 2, "name": "x"},
                                                                      {"n": 3, "name": "q"}],
                  "nested": [[1, [2]], [3], 4], "map": {"k1": "v1", "k2": "v2"}, "zero": 0, "empty": [], "n": 2,
                  "s": "Text", "pad": "  padded ", "strs": ["p", "q"], "money": "12,50", "csv": "a, b,,c",
                  "code": "A", "when": "2026-11-01 10:00:00", "day": "01.02.1990"}}


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_a_compiled_expression_evaluates_as_the_interpreter_does(text):
    functions = MappingFunctions({"codes": {"A": "alpha"}})
    parsed = jmespath.compile(text).parsed
    interpreter = TreeInterpreter(jmespath.Options(custom_functions=functions))

    def run(evaluate):
        try:
            return ("value", evaluate(copy.deepcopy(DOCUMENT)))
        except Exception as error:  # noqa: BLE001 (the same error, whatever its kind)
            return ("error", type(error).__name__, str(error))

    assert run(compile_expression(parsed, functions)) == run(lambda document: interpreter.visit(parsed, document))
