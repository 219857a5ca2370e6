from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry

from db.models import Style as StyleRow
from db.models.enums import StyleCategory
from graph.access import SUPERUSER
from graph.crud import Crud
from graph.lists import Listing
from graph.styles.types import Style, StyleAdmin, Styles, StylesAdmin
from services.styles import WHAT, style_filters
from services.styles import style_by_slug as find_by_slug

STYLES = Crud(StyleRow, WHAT, Style)


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


@strawberry.type
class Query:
    styles = STYLES.list(
        "Styles, newest first. With organizationId: that organization's; without: your personal ones "
        "(superusers: all). Archived styles are left out unless archived is given (true: only archived, false: "
        "only non-archived). public, demo, enabled, styleCategory and ownerId narrow that set; search looks "
        "(case-insensitively) in name, description, brand, promptKeywords and each tag.",
        Listing(StyleArguments, where=lambda caller, arguments: style_filters(arguments)),
        Styles,
    )
    style = STYLES.get("A style you can see (archived ones included).")

    style_by_slug = STYLES.find("The style with this slug, visible as for `style`.", "slug", str, find_by_slug)
    admin_styles = STYLES.list(
        "Every style, archived ones included, newest first; organizationId narrows to one organization "
        "(superusers only).",
        Listing(AdminStyleArguments),
        StylesAdmin,
        access=SUPERUSER,
        output=StyleAdmin,
    )
    admin_style = STYLES.get(
        "Any style by id, with admin fields (superusers only).", access=SUPERUSER, output=StyleAdmin, scoped=False
    )
