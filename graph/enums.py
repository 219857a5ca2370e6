"""GraphQL enums: member names in UPPER_SNAKE_CASE, stored values as documented (db/models/enums.py)."""

from __future__ import annotations

import strawberry

from db.models import enums

OrganizationRole = strawberry.enum(enums.OrganizationRole)
ViewAngle = strawberry.enum(enums.ViewAngle)
ShotTypeFraming = strawberry.enum(enums.ShotTypeFraming)
DefaultShotTypes = strawberry.enum(enums.DefaultShotTypes)
SubjectAgeClass = strawberry.enum(enums.SubjectAgeClass)
Gender = strawberry.enum(enums.Gender)
SubjectType = strawberry.enum(enums.SubjectType)
BodyType = strawberry.enum(enums.BodyType)
EyeColor = strawberry.enum(enums.EyeColor)
HairColor = strawberry.enum(enums.HairColor)
StyleCategory = strawberry.enum(enums.StyleCategory)
BackgroundFixStrategy = strawberry.enum(enums.BackgroundFixStrategy)
GuidelinesShotTypeRuleKind = strawberry.enum(enums.GuidelinesShotTypeRuleKind)
MediaResourceType = strawberry.enum(enums.MediaResourceType)
TaskStatus = strawberry.enum(enums.TaskStatus)
LoraStatus = strawberry.enum(enums.LoraStatus)
