"""What ran and how it was answered, noted for every operation (HTTP or websocket) by the operation pipeline
(graph/pipeline.py) once its answer's errors carry the codes the client receives.

Over HTTP the note goes on the request's record, which the HTTP middleware reports with the status; over a
websocket it is reported at once (graph/request_records.py).
"""

from __future__ import annotations

from graphql import GraphQLError, OperationDefinitionNode

from graph.request_records import Operation, current_request, report
from services.caller import Caller

SUBSCRIPTION = "subscription"


def error_codes(errors: list[GraphQLError] | None) -> list[str]:
    return [str((error.extensions or {}).get("code")) for error in errors or ()]


def name_and_type(operation: OperationDefinitionNode | None) -> tuple[str | None, str | None]:
    """The operation's name and type, from the document (so the name is a GraphQL name or None)."""
    if operation is None:
        return None, None
    return (operation.name.value if operation.name else None), operation.operation.value


def note_operation(
    operation: OperationDefinitionNode | None,
    caller: Caller | None,
    codes: list[str],
    *,
    seconds: float,
    answered: bool,
) -> None:
    """Notes an operation that ended: `answered` False when it ended by an exception (then an HTTP request's
    record keeps no operation, and its status says what happened)."""
    name, operation_type = name_and_type(operation)
    seen = Operation(name, operation_type, str(caller.id) if caller else None, codes)
    record = current_request.get()
    if record is None:
        report(seen, seconds=seconds, status=None, error_codes=codes)  # over a websocket
    elif answered:
        record.operation = seen  # the HTTP middleware reports it with the status
