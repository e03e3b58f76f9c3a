"""Small builders shared by the components: a model .sql file as a function, table or trigger resource."""

from __future__ import annotations

from typing import Optional, Sequence

import pulumi

from ..db import render, sql_text
from ..providers.function import Function, FunctionInputs
from ..providers.grant import Grant, GrantInputs
from ..providers.trigger import Trigger, TriggerInputs


def model_sql(name: str, **values) -> str:
    return render(sql_text(f"model/{name}.sql"), **values) if values else sql_text(f"model/{name}.sql")


def child(parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = (), **extra) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on), **extra)


def function(parent, signature: str, file: str, depends_on=(), **values) -> Function:
    return Function(
        f"function-{signature.split('(')[0]}",
        FunctionInputs(signature=signature, definition=model_sql(f"{file}.function", **values)),
        child(parent, depends_on),
    )


def trigger(parent, name: str, table: str, depends_on=()) -> Trigger:
    return Trigger(
        f"trigger-{name}",
        TriggerInputs(name=name, table=table, definition=model_sql(f"{name}.trigger")),
        child(parent, depends_on),
    )


def grants(
    parent,
    object_type: str,
    obj: str,
    privileges_by_grantee: dict[str, Sequence[str]],
    column_privileges_by_grantee: Optional[dict[str, dict[str, list[str]]]] = None,
    depends_on=(),
) -> list[Grant]:
    column_privileges_by_grantee = column_privileges_by_grantee or {}
    return [
        Grant(
            f"grant-{object_type}-{obj.split('(')[0]}-{grantee}",
            GrantInputs(
                grantee=grantee,
                object_type=object_type,
                object=obj,
                privileges=sorted(privileges),
                column_privileges=column_privileges_by_grantee.get(grantee, {}),
            ),
            child(parent, depends_on),
        )
        for grantee, privileges in privileges_by_grantee.items()
    ]
