"""The container files kept honest without building the image (no registry here): the Dockerfile's and the
compose file's commands, modules, settings and health checks are checked against the code that `make run` runs
(core/devrun.py), and the image's install is run as the Dockerfile runs it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml
from starlette.applications import Starlette

from core.devrun import BOOTSTRAP, MIGRATE, UVICORN_OPTIONS, WORKER, api_command
from core.settings import Settings
from tests.conftest import REPO_ROOT

DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def instructions(keyword: str) -> list[str]:
    """The arguments of each Dockerfile instruction `keyword`, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.removeprefix(keyword + " ") for line in joined.splitlines() if line.startswith(keyword + " ")]


def shell_steps(command: str) -> list[list[str]]:
    """A `sh -c` command's steps (split at `&&`), each as words, `exec` dropped."""
    steps = [shlex.split(step) for step in command.split("&&")]
    return [step[1:] if step[0] == "exec" else step for step in steps]


def as_image_runs(command: list[str]) -> list[str]:
    """A devrun command as the image spells it: `python` rather than this interpreter's path."""
    return ["python", *command[1:]] if command[0] == sys.executable else command


def test_the_image_starts_as_make_run_does_migrate_bootstrap_then_uvicorn_with_api_commands_options() -> None:
    (cmd,) = instructions("CMD")
    shell, flag, command = json.loads(cmd)
    assert (shell, flag) == ("sh", "-c")
    migrate, bootstrap, serve = shell_steps(command)
    assert migrate == as_image_runs(MIGRATE)
    assert bootstrap == as_image_runs(BOOTSTRAP)
    expected = as_image_runs(api_command("$HOST", 8000))
    expected[expected.index("8000")] = "$PORT"
    assert serve == expected
    # Proxy headers stay off in uvicorn: the app alone decides whom to believe (FORWARDED_ALLOW_IPS).
    assert set(UVICORN_OPTIONS) <= set(serve)


def test_the_compose_worker_is_built_from_the_apis_image_and_runs_make_runs_worker_command() -> None:
    api, worker = COMPOSE["services"]["api"], COMPOSE["services"]["worker"]
    assert worker["build"] == api["build"] == "."
    assert worker["image"] == api["image"]
    assert worker["command"] == as_image_runs(WORKER)


def test_every_variable_the_container_files_set_is_a_setting() -> None:
    image_variables = {word.split("=", 1)[0] for env in instructions("ENV") for word in shlex.split(env)}
    compose_variables = set(COMPOSE["x-app-environment"])
    python_variables = {
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "PIP_NO_CACHE_DIR",
        "PIP_DISABLE_PIP_VERSION_CHECK",
    }
    assert image_variables - python_variables <= SETTING_NAMES, image_variables - python_variables - SETTING_NAMES
    assert compose_variables <= SETTING_NAMES, compose_variables - SETTING_NAMES


def test_the_compose_health_check_asks_a_route_the_app_serves(app: Starlette) -> None:
    probe = COMPOSE["services"]["api"]["healthcheck"]["test"][-1]
    path = probe.split("http://127.0.0.1:8000", 1)[1].split("'", 1)[0]
    assert path == "/readyz"
    assert path in {getattr(route, "path", None) for route in app.routes}


def test_the_dependency_layer_installs_the_projects_dependencies_only(tmp_path: Path) -> None:
    """The layer built before the code is copied: the Dockerfile's own command, run on pyproject.toml alone,
    lists the [project] dependencies, and neither the dev tools nor the embedded servers."""
    install_layer = next(run for run in instructions("RUN") if "tomllib" in run)
    list_dependencies = install_layer.split(">", 1)[0].strip()
    (tmp_path / "pyproject.toml").write_text((REPO_ROOT / "pyproject.toml").read_text())
    listed = subprocess.run(  # noqa: S603 - the Dockerfile's own command, run as the image's shell runs it
        # The image's shell, from the PATH as there.
        ["sh", "-c", list_dependencies.replace("python ", f"{sys.executable} ", 1)],  # noqa: S607
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert listed == PYPROJECT["project"]["dependencies"]
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert not set(listed) & {*extras["dev"], *extras["embedded"]}
    copies = instructions("COPY")
    assert copies.index("pyproject.toml ./") < copies.index(". .")
    assert "pip install --no-deps ." in instructions("RUN")


def test_the_api_and_worker_start_without_the_embedded_servers_extra(settings: Settings) -> None:
    """The image leaves out the `embedded` extra: importing what its commands run must not need it."""
    blocked = [
        requirement.split("==")[0].replace("-", "_")
        for requirement in PYPROJECT["project"]["optional-dependencies"]["embedded"]
    ]
    program = (
        "import sys\n"
        f"blocked = {blocked!r}\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in blocked:\n"
        "            raise ImportError(f'{name} is in the embedded extra, which the image does not install')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import graph.app, jobs.worker, services.bootstrap, alembic.config\n"
        "graph.app.create_app()\n"
        "print('started without', blocked)\n"
    )
    started = subprocess.run(  # noqa: S603 - our interpreter, our program
        [sys.executable, "-c", program],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": settings.database_url or "", "REDIS_URL": settings.redis_url or ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == f"started without {blocked}"
