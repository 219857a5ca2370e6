"""Every private name the project uses from a library, one module per library.

The fast execution path (graph/execution/), the dataloaders and the direct selects build on internals that a
library may change in any release. Each is imported or reached here and nowhere else, so an upgrade has one place
to look; tests/core/test_internals_<library>.py check that each name is still there and still shaped as this
project relies on, and fail saying which one and what to do.
"""
