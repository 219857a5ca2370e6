"""A typed client can be generated from the schema (issue 13): GraphQL Code Generator, set up as a frontend sets it
up (tests/clients/js/codegen.ts: the `typescript` and `typescript-operations` plugins), turns schema.graphql and the
operations a frontend writes (tests/clients/js/operations: the subjects page, a subject with its base images, the
ZIP upload, its progress subscription) into TypeScript, which `tsc --noEmit --strict` compiles together with
tests/clients/js/typed/usage.ts, code that uses those types and holds mistakes they must catch (`@ts-expect-error`).

Everything is written to the test's own folder: the checkout is left as it was.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from graphql import OperationDefinitionNode, build_schema, parse, validate

from tests.clients.node import JS_DIR, node_executable
from tests.conftest import REPO_ROOT

# Generating takes ~3 s and compiling ~1 s here; these only catch a hang.
CODEGEN_TIMEOUT = 120
TSC_TIMEOUT = 120

OPERATIONS = {
    "SubjectsPage": "Query",
    "SubjectDetail": "Query",
    "UploadBaseImagesZip": "Mutation",
    "UploadTaskProgress": "Subscription",
}


def package_bin(package: str, command: str) -> Path:
    """The script a locked package declares for `command` (what `npx <command>` would run)."""
    folder = JS_DIR / "node_modules" / package
    bins = json.loads((folder / "package.json").read_text())["bin"]
    return folder / (bins if isinstance(bins, str) else bins[command])


def run_node(node: str, tool: Path, *args: str, env: dict[str, str], timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the checked node and a locked package's own script, no shell
        [node, str(tool), *args], cwd=JS_DIR, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout
    )


def test_the_operations_a_frontend_writes_are_valid_against_the_schema() -> None:
    # The same check codegen makes, with graphql-core, so that a failure names the operation and the field.
    schema = build_schema((REPO_ROOT / "schema.graphql").read_text())
    document = parse("\n".join(path.read_text() for path in sorted((JS_DIR / "operations").glob("*.graphql"))))
    assert [error.message for error in validate(schema, document)] == []
    defined = {
        definition.name.value: definition.operation.name.title()
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    }
    assert defined == OPERATIONS


def test_the_generated_typescript_compiles_and_types_what_a_frontend_writes(tmp_path: Path) -> None:
    node = node_executable()
    for template in ("usage.ts", "tsconfig.json"):
        shutil.copy(JS_DIR / "typed" / template, tmp_path / template)

    codegen = package_bin("@graphql-codegen/cli", "graphql-codegen")
    generated = run_node(
        node, codegen, "--config", "codegen.ts", env={"CODEGEN_OUTPUT": str(tmp_path)}, timeout=CODEGEN_TIMEOUT
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr

    operations = (tmp_path / "operations.ts").read_text()
    for name, kind in OPERATIONS.items():
        assert re.search(rf"^export type {name}{kind} = \{{", operations, re.MULTILINE), name
        assert re.search(rf"^export type {name}{kind}Variables = Exact<", operations, re.MULTILINE), name
    assert "export type SubjectCardFragment = {" in operations
    schema_types = (tmp_path / "schema.ts").read_text()
    # The schema's descriptions become the types' documentation, which editors show.
    assert (
        "/** A subject's base image for one shot type (at most one per shot type). */\nexport type BaseImage = {"
        in schema_types
    )
    # Enums are the values the API sends, each documented by its value's description.
    assert (
        "export type TaskStatus =\n"
        "  /** Finished: its results are final. */\n  | 'COMPLETED'\n"
        "  /** Stopped: errorMessage says why; what it had already done is kept. */\n  | 'FAILED'\n"
        "  /** Accepted and queued; no worker has started it yet. */\n  | 'PENDING'\n"
        "  /** A worker is running it; its counters and progress change. */\n  | 'PROCESSING';\n"
    ) in schema_types

    tsc = package_bin("typescript", "tsc")
    compiled = run_node(node, tsc, "--project", str(tmp_path / "tsconfig.json"), env={}, timeout=TSC_TIMEOUT)
    assert (compiled.returncode, compiled.stdout + compiled.stderr) == (0, "")
