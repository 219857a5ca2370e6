from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry
from sqlalchemy import ColumnElement

from db.models import Style as StyleRow
from db.models.enums import StyleCategory
from graph.access import SUPERUSER
from graph.crud import Crud
from graph.list_options import NAME_AND_TIMES, Filtered, ListOptions
from graph.lists import Listing
from graph.styles.types import Style, StyleAdmin
from services.caller import Caller
from services.styles import WHAT, any_tag_like, style_filters
from services.styles import style_by_slug as find_by_slug

STYLES = Crud(StyleRow, WHAT, Style)

# styles and adminStyles sort and filter the same way.
STYLE_OPTIONS = ListOptions(
    "Style",
    StyleRow,
    sort=NAME_AND_TIMES,
    search=("name", "description", "brand", "prompt_keywords"),
    search_also=any_tag_like,
    choices=("style_category", "lora_status"),
    flags=("public", "enabled", "archived", "demo"),
)


@dataclass  # not frozen: services/styles.StyleFilters reads its fields as plain attributes
class StyleArguments:
    organization_id: uuid.UUID | None = None
    archived: bool | None = None
    demo: bool | None = None
    enabled: bool | None = None
    owner_id: uuid.UUID | None = None
    public: bool | None = None
    search: str | None = None
    style_category: StyleCategory | None = None


@dataclass(frozen=True)
class AdminStyleArguments:
    organization_id: uuid.UUID | None = None


def _style_filters(caller: Caller, arguments: StyleArguments, filtered: Filtered) -> list[ColumnElement[bool]]:
    return style_filters(arguments, archived_decided="archived" in filtered.equal)


@strawberry.type
class Query:
    styles = STYLES.list(
        "Styles, newest first. With organizationId: that organization's; without: your personal ones "
        "(superusers: all). Archived styles are left out unless archived (or filter.archived) is given (true: "
        "only archived, false: only non-archived). public, demo, enabled, styleCategory and ownerId narrow that "
        "set; search looks (case-insensitively) in name, description, brand, promptKeywords and each tag.",
        Listing(StyleArguments, STYLE_OPTIONS, where=_style_filters),
        "Styles",
    )
    style = STYLES.get("A style you can see (archived ones included).")

    style_by_slug = STYLES.find("The style with this slug, visible as for `style`.", "slug", str, find_by_slug)
    admin_styles = STYLES.list(
        "Every style, archived ones included, newest first; organizationId narrows to one organization "
        "(superusers only).",
        Listing(AdminStyleArguments, STYLE_OPTIONS),
        "StylesAdmin",
        access=SUPERUSER,
        output=StyleAdmin,
    )
    admin_style = STYLES.get(
        "Any style by id, with admin fields (superusers only).", access=SUPERUSER, output=StyleAdmin, scoped=False
    )
