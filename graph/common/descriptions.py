"""Descriptions of the fields every owned object has (output types and inputs alike), written once.

Each domain describes its own fields where it declares them; these are the ones whose meaning is the same on every
type: ids, ownership, timestamps, soft deletion, visibility and the pages of the lists (docs/api.md, "Who sees
and changes what").
"""

from __future__ import annotations

# Output types.
ID = "The object's id; the operations on it take it as `id`."
OWNER_ID = "The user who owns it: the owner may always change and delete it."
ORGANIZATION_ID = "The organization it belongs to, whose members see and change it; null: a personal object."
CREATED_AT = "When it was created (UTC)."
UPDATED_AT = "When it was last changed (UTC)."
DELETED_AT = "When it was soft-deleted (a superuser may restore it until it is purged); null while it is live."
PUBLIC = "Whether every signed-in user may see it (only its owner, organization and superusers may change it)."
PAGE_DATA = "The objects on this page, in the list's order."
ENTRY_ID = "Id of this entry; an update that replaces the list gives its entries new ids."

# Inputs.
NEW_OWNER_ID = "Who owns the new object (superusers only); omitted: you."
CHANGED_OWNER_ID = "Give it to this user (superusers only); omitted: the owner stays (null is refused)."
TRANSFER_ORGANIZATION_ID = (
    "Transfer: into an organization you belong to, or null to move it out (which only that organization's owners "
    "may do)."
)
NEW_ORGANIZATION_ID = (
    "The organization to create it in (you must be a member); omitted: a personal object. Same as the "
    "organizationId argument: give either, or both with the same value."
)
