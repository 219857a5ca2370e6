"""Who may call each operation is declared where the operation is (graph/access.py, graph/crud.py), and the CRUD
base refuses a configuration it cannot serve when the schema is built, not when a request comes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from strawberry.types.base import StrawberryObjectDefinition

from db.models import ResolutionPreset as ResolutionPresetRow
from db.models import User as UserRow
from graph.access import SIGNED_IN, SUPERUSER, Access, declared
from graph.crud import Crud
from graph.list_options import BY_CREATED_AT, ListOptions
from graph.lists import Listing
from graph.resolution_presets.queries import RESOLUTION_PRESET_OPTIONS
from graph.resolution_presets.types import ResolutionPreset
from graph.schema import schema
from graph.users.types import User

# Open to anyone: it is how a caller gets a token.
OPEN = {"login"}


def _root_fields(name: str) -> dict[str, Access | None]:
    """Each root field by its Python name, with the access its resolver declares."""
    definition = schema.get_type_by_name(name)
    assert isinstance(definition, StrawberryObjectDefinition)
    return {
        field.name: declared(field.base_resolver.wrapped_func) if field.base_resolver is not None else None
        for field in definition.fields
    }


def test_every_query_and_mutation_declares_who_may_call_it() -> None:
    fields = {**_root_fields("Query"), **_root_fields("Mutation")}
    undeclared = sorted(name for name, access in fields.items() if access is None and name not in OPEN)
    assert undeclared == [], f"operations without a declared access: {undeclared}"


def test_superuser_operations_are_declared_as_such() -> None:
    fields = {**_root_fields("Query"), **_root_fields("Mutation")}
    superuser_only = {
        name
        for name in fields
        if name.startswith(("admin", "restore", "assign", "copy", "bulk", "upload"))
        and name not in {"upload_media", "upload_subject_base_images_zip"}
    } | {
        "users",
        "user_subjects",
        "create_user",
        "delete_user",
        "update_style_lora_trigger",
        "update_subject_lora_trigger",
    }
    assert {name: fields[name] for name in superuser_only} == dict.fromkeys(superuser_only, SUPERUSER)
    assert fields["styles"] is SIGNED_IN and fields["create_style"] is SIGNED_IN


def test_the_checked_caller_is_no_argument_of_the_schema() -> None:
    for name in ("Query", "Mutation"):
        definition = schema.get_type_by_name(name)
        assert isinstance(definition, StrawberryObjectDefinition)
        for field in definition.fields:
            assert "caller" not in {argument.python_name for argument in field.arguments}, field.name


@dataclass(frozen=True)
class _Arguments:
    organization_id: uuid.UUID | None = None
    search: str | None = None


def test_a_list_takes_its_own_arguments_then_filter_order_and_page() -> None:
    listing = Listing(_Arguments, RESOLUTION_PRESET_OPTIONS)
    assert [parameter.name for parameter in listing.parameters()] == [
        "organization_id",
        "search",
        "filter",
        "order_by",
        "skip",
        "limit",
        "after",
    ]


def test_a_list_naming_a_column_its_model_lacks_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="no column colour"):
        Crud(ResolutionPresetRow, "Resolution preset", ResolutionPreset).list(
            None, Listing(_Arguments, RESOLUTION_PRESET_OPTIONS, equal=("colour",)), "ResolutionPresets"
        )
    with pytest.raises(ValueError, match="no column colour"):
        ListOptions("Colours", ResolutionPresetRow, sort=(BY_CREATED_AT,), search=("colour",))


def test_a_list_with_another_models_options_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="not for User"):
        Crud(UserRow, "User", User, owned=False).list(
            None, Listing(_Arguments, RESOLUTION_PRESET_OPTIONS), "Users", access=SUPERUSER
        )


def test_a_list_without_visibility_rules_is_for_superusers_only() -> None:
    users = Crud(UserRow, "User", User, owned=False)
    options = ListOptions("DeclaredAccessUser", UserRow, sort=(BY_CREATED_AT,), search=("email",))
    with pytest.raises(ValueError, match="superusers only"):
        users.list(None, Listing(_Arguments, options), "Users", access=SIGNED_IN)
    assert users.list(None, Listing(_Arguments, options), "Users", access=SUPERUSER) is not None
