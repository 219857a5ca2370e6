"""A level's answer dicts, started by a function written for the selection.

Most of a page's values are plain fields: a column read from the object, checked for null and coerced (~7,000 on
a nested guidelines page). Read field by field, each value cost a loop step, a `getattr` call and a dict insertion
into a dict growing one key at a time. The function written here for a selection (once per process and shape of
selection, as dataclasses writes `__init__`) reads each object's plain fields with plain attribute access and makes
its answer as one dict display, in the selection's order, with None where the other fields' values will go.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from graphql.pyutils import Undefined

from graph.execution.plans import FieldPlan


class NotClean(Exception):
    """This value needs graphql-core's own completion (context.py)."""


AnswerBuilder = Callable[[list[Any]], list[dict[str, Any]]]

# (response name, None for a field answered later, else: attribute, read, coerce, the unchanged type, non-null)
_FieldShape = tuple[str, tuple[str, Any, Any, Any, bool] | None]


def answer_builder(fields: Sequence[FieldPlan]) -> AnswerBuilder:
    """The builder for a selection of these fields (the plain leaves filled in, the others None)."""
    shapes: list[_FieldShape] = []
    for field in fields:
        if field.plain_leaf:
            assert field.attribute is not None and field.type is not None
            plain = (field.attribute.name, field.attribute.read, field.coerce, field.unchanged, field.type.non_null)
            shapes.append((field.response_name, plain))
        else:
            shapes.append((field.response_name, None))
    return _written(tuple(shapes))


@functools.lru_cache(maxsize=1024)  # selections are as many as the documents clients send; bounded all the same
def _written(shapes: tuple[_FieldShape, ...]) -> AnswerBuilder:
    namespace: dict[str, Any] = {"NotClean": NotClean, "Undefined": Undefined}
    body: list[str] = []
    entries: list[str] = []
    for index, (response_name, plain) in enumerate(shapes):
        namespace[f"key_{index}"] = response_name
        if plain is None:
            entries.append(f"key_{index}: None")
            continue
        attribute, read, coerce, unchanged, non_null = plain
        value = f"value_{index}"
        namespace[f"coerce_{index}"] = coerce
        if read is getattr and attribute.isidentifier():
            body.append(f"{value} = source.{attribute}")
        else:
            namespace[f"read_{index}"], namespace[f"attribute_{index}"] = read, attribute
            body.append(f"{value} = read_{index}(source, attribute_{index})")
        body.append(f"if {value} is None:")
        body.append("    raise NotClean" if non_null else "    pass")
        if unchanged is not None:
            namespace[f"unchanged_{index}"] = unchanged
            body.append(f"elif type({value}) is not unchanged_{index}:")
        else:
            body.append("else:")
        body.append(f"    {value} = coerce_{index}({value})")
        body.append(f"    if {value} is None or {value} is Undefined:")
        body.append("        raise NotClean")
        entries.append(f"key_{index}: {value}")
    lines = [
        "def build(sources):",
        "    answers = []",
        "    append = answers.append",
        "    for source in sources:",
        *(f"        {line}" for line in body),
        "        append({" + ", ".join(entries) + "})",
        "    return answers",
    ]
    exec("\n".join(lines), namespace)  # noqa: S102  (only names of ours; the values come from the namespace)
    build: AnswerBuilder = namespace["build"]
    return build
