"""JMESPath expressions compiled to Python closures, once per mapping, instead of interpreted per record.

jmespath's ``TreeInterpreter`` walks the parsed tree for every record and dispatches each node through
a dictionary of visitor methods; that dispatch, not the work itself, was a third of a record's mapping
time. ``compile_expression`` turns the same tree into nested closures once, with the interpreter's
semantics node for node (``tests/unit/test_mapping_compiled.py`` runs both over every shipped mapping's
samples). Function calls keep jmespath's own argument checks and error messages: a fast type test
decides the common case, and anything it does not accept goes through ``Functions.call_function``,
which raises exactly what the interpreter would have raised.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Callable

import jmespath
from jmespath import functions as jp_functions
from jmespath.visitor import TreeInterpreter, _equals, _Expression, _is_actual_number, _is_comparable

#: A compiled expression: the current value in, the expression's result out.
Compiled = Callable[[object], object]

_ORDERING = {"lt": operator.lt, "gt": operator.gt, "lte": operator.le, "gte": operator.ge}
#: jmespath checks argument types by type *name*; these are the builtin types behind each name.
_PY_TYPES = {"boolean": (bool,), "array": (list,), "object": (dict, OrderedDict), "null": (type(None),),
             "string": (str,), "number": (float, int), "expref": (_Expression,)}


def compile_expression(parsed: dict, functions: jp_functions.Functions) -> Compiled:
    """Compile a parsed JMESPath tree (``jmespath.compile(text).parsed``) into one closure.

    >>> import jmespath
    >>> from jmespath.functions import Functions
    >>> find = compile_expression(jmespath.compile("a.b[0]").parsed, Functions())
    >>> find({"a": {"b": [7, 8]}})
    7
    """
    return _Compiler(functions).compile(parsed)


def _is_false(value: object) -> bool:
    # JMESPath's falsiness differs from Python's (0 is true), hence the explicit comparisons.
    return value == "" or value == [] or value == {} or value is None or value is False


class _Compiler:
    def __init__(self, functions: jp_functions.Functions) -> None:
        self.functions = functions
        # Only expression references (sort_by(@, &name)) still need an interpreter: the built-in
        # functions call back into it, so they get the very object they expect.
        self.interpreter = TreeInterpreter(jmespath.Options(custom_functions=functions))

    def compile(self, node: dict) -> Compiled:
        method = getattr(self, f"_{node['type']}", None)
        if method is None:
            raise NotImplementedError(node["type"])  # as the interpreter's default_visit
        return method(node)

    def _children(self, node: dict) -> list[Compiled]:
        return [self.compile(child) for child in node["children"]]

    def _field(self, node):
        name = node["value"]

        def field(value):
            try:
                return value.get(name)
            except AttributeError:
                return None
        return field

    def _chain(self, node):
        steps = self._children(node)
        if len(steps) == 2:
            first, second = steps
            return lambda value: second(first(value))

        def chain(value):
            for step in steps:
                value = step(value)
            return value
        return chain

    _subexpression = _index_expression = _pipe = _chain

    def _current(self, node):
        return lambda value: value

    _identity = _current

    def _literal(self, node):
        constant = node["value"]
        return lambda value: constant

    def _expref(self, node):
        expression, interpreter = node["children"][0], self.interpreter
        return lambda value: _Expression(expression, interpreter)

    def _comparator(self, node):
        left, right = self._children(node)
        if node["value"] == "eq":
            return lambda value: _equals(left(value), right(value))
        if node["value"] == "ne":
            return lambda value: not _equals(left(value), right(value))
        compare = _ORDERING[node["value"]]

        def ordering(value):
            # Ordering is only defined for numbers; anything else yields null.
            a, b = left(value), right(value)
            return compare(a, b) if _is_comparable(a) and _is_comparable(b) else None
        return ordering

    def _function_expression(self, node):
        return _function_call(self.functions, node["value"], self._children(node))

    def _filter_projection(self, node):
        base, project, condition = self._children(node)

        def filter_projection(value):
            found = base(value)
            if not isinstance(found, list):
                return None
            collected = []
            for element in found:
                if not _is_false(condition(element)):
                    current = project(element)
                    if current is not None:
                        collected.append(current)
            return collected
        return filter_projection

    def _flatten(self, node):
        base = self.compile(node["children"][0])

        def flatten(value):
            found = base(value)
            if not isinstance(found, list):
                return None
            merged = []
            for element in found:
                if isinstance(element, list):
                    merged.extend(element)
                else:
                    merged.append(element)
            return merged
        return flatten

    def _index(self, node):
        position = node["value"]

        def index(value):
            # Strings are indexable in Python but not in JMESPath.
            if not isinstance(value, list):
                return None
            try:
                return value[position]
            except IndexError:
                return None
        return index

    def _slice(self, node):
        bounds = slice(*node["children"])
        return lambda value: value[bounds] if isinstance(value, list) else None

    def _key_val_pair(self, node):
        return self.compile(node["children"][0])

    def _multi_select_dict(self, node):
        pairs = [(child["value"], self.compile(child)) for child in node["children"]]
        dict_cls = self.interpreter._dict_cls

        def multi_select_dict(value):
            if value is None:
                return None
            collected = dict_cls()
            for key, find in pairs:
                collected[key] = find(value)
            return collected
        return multi_select_dict

    def _multi_select_list(self, node):
        items = self._children(node)
        return lambda value: None if value is None else [find(value) for find in items]

    def _or_expression(self, node):
        left, right = self._children(node)

        def or_expression(value):
            matched = left(value)
            return right(value) if _is_false(matched) else matched
        return or_expression

    def _and_expression(self, node):
        left, right = self._children(node)

        def and_expression(value):
            matched = left(value)
            return matched if _is_false(matched) else right(value)
        return and_expression

    def _not_expression(self, node):
        inner = self.compile(node["children"][0])

        def not_expression(value):
            result = inner(value)
            # !0 is false: 0 is not special in JMESPath.
            if _is_actual_number(result) and result == 0:
                return False
            return not result
        return not_expression

    def _projection(self, node):
        base, project = self._children(node)

        def projection(value):
            found = base(value)
            return _project(found, project) if isinstance(found, list) else None
        return projection

    def _value_projection(self, node):
        base, project = self._children(node)

        def value_projection(value):
            try:
                found = base(value).values()
            except AttributeError:
                return None
            return _project(found, project)
        return value_projection


def _project(elements, project: Compiled) -> list:
    # A projection drops the elements its right-hand side maps to null, as jmespath's does.
    return [current for current in map(project, elements) if current is not None]


def _function_call(functions: jp_functions.Functions, name: str, arguments: list[Compiled]) -> Compiled:
    """One call site: the function looked up once, its arguments' types tested fast.

    A type the fast test does not accept (and variadic or typed-array signatures) goes through
    jmespath's own ``call_function``, which accepts it or raises the interpreter's very error.
    """
    def checked(value):
        return functions.call_function(name, [argument(value) for argument in arguments])

    spec = functions.FUNCTION_TABLE.get(name)
    if spec is None or len(spec["signature"]) != len(arguments) or len(arguments) > 2 \
            or any(entry.get("variadic") for entry in spec["signature"]):
        return checked  # unknown, wrong arity or variadic: call_function raises or handles it
    function = spec["function"]
    checks = [_fast_types(entry["types"]) for entry in spec["signature"]]
    if any(check is not None and not check for check in checks):
        return checked
    if len(arguments) == 1:
        (first,), (types,) = arguments, checks

        def call_one(value):
            a = first(value)
            if types is None or type(a) in types:
                return function(functions, a)
            return functions.call_function(name, [a])
        return call_one
    (first, second), (types_a, types_b) = arguments, checks

    def call_two(value):
        a, b = first(value), second(value)
        if (types_a is None or type(a) in types_a) and (types_b is None or type(b) in types_b):
            return function(functions, a, b)
        return functions.call_function(name, [a, b])
    return call_two


def _fast_types(types: list[str]) -> frozenset | None:
    """The Python types a signature entry accepts for sure (None: any), or an empty set to defer."""
    if not types:
        return None
    if any("-" in kind for kind in types):
        return frozenset()  # typed arrays check their elements: leave those to jmespath
    return frozenset(py for kind in types for py in _PY_TYPES[kind])
