"""Kinds the kit no longer declares, kept so that the state of a stack deployed before can still be read and its
resources deleted: the engine loads a resource's provider from the class the state names (the dynamic provider is
pickled by reference, module and class name), for a refresh and for the delete of a resource the program no longer
declares.

A retired resource's delete changes nothing in the database: what it managed now belongs to the kind that took its
place, which the same up has already applied (the engine deletes the resources a program dropped last, after every
create and update). Its read returns what the state holds, so a refresh before the upgrading up reports nothing new
for it. Nothing else is ever asked of it: the program declares no resource of a retired kind.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import ReadResult, ResourceProvider


class RetiredProvider(ResourceProvider):
    serialize_as_secret_always = False

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo: the object's current resource owns what this one managed."""
