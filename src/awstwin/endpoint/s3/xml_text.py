"""An output shape of botocore's S3 model, written straight to XML text.

A listing page holds a thousand keys of six or seven elements each; building an ElementTree for it
and serializing that tree took longer than reading the keys from disk. This writes the same
document as text, byte for byte what `xml.etree.ElementTree.tostring(..., encoding="utf-8")`
wrote for the same tree: attributes in the order they were set, `<Name />` for an element with
neither text nor children, `&`, `<` and `>` escaped in text, and `"`, CR, LF and TAB too in
attribute values; characters UTF-8 cannot hold become character references.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as escape_text  # &, < and >, as ElementTree escapes text

from botocore.model import Shape

Attributes = list[tuple[str, str]]


# In attribute values ElementTree also writes these as entities.
_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def escape_attribute(text: str) -> str:
    return escape_text(text, _ATTRIBUTE_ENTITIES)


def document(
    shape: Shape, value: Any, name: str, root_attributes: Attributes, timestamp: Callable[[Any], str]
) -> bytes:
    """`value` as the element `name` (with `root_attributes` last on it), XML declaration first."""
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    write_element(shape, value, name, out, timestamp, root_attributes)
    return "".join(out).encode("utf-8", "xmlcharrefreplace")


ELEMENT, ATTRIBUTE, FLATTENED, SCALAR = 0, 1, 2, 3
CONTAINERS = ("structure", "list", "map")


@dataclass(frozen=True)
class Plan:
    """What the model says about writing one shape, looked up once per shape instead of per value."""

    kind: str
    namespace: Attributes  # the `xmlns:prefix` attribute the shape declares, if any
    # structure: (member name, wire name, how it is written, the shape written, its element name)
    members: tuple[tuple[str, str, int, Shape, str], ...] = ()  # SCALAR: no attributes, no children
    item: Shape | None = None  # list: the member shape; map: the key shape
    item_name: str = ""
    value: Shape | None = None  # map: the value shape
    value_name: str = ""


_plans: dict[int, tuple[Shape, Plan]] = {}  # by id(shape); the shape is kept so its id stays its own


def plan_of(shape: Shape) -> Plan:
    found = _plans.get(id(shape))
    if found is not None:
        return found[1]
    namespace = shape.serialization.get("xmlNamespace")
    attributes: Attributes = []
    if isinstance(namespace, dict) and namespace.get("prefix"):
        attributes.append((f"xmlns:{namespace['prefix']}", namespace["uri"]))
    kind = shape.type_name
    plan = Plan(kind, attributes)
    if kind == "structure":
        members = []
        for member_name, member in shape.members.items():
            serialization = member.serialization
            if serialization.get("location"):
                continue
            wire = serialization.get("name", member_name)
            if serialization.get("xmlAttribute"):
                members.append((member_name, wire, ATTRIBUTE, member, wire))
            elif member.type_name == "list" and serialization.get("flattened"):
                element = member.member.serialization.get("name", wire)
                members.append((member_name, wire, FLATTENED, member.member, element))
            elif member.type_name not in CONTAINERS and not plan_of(member).namespace:
                members.append((member_name, wire, SCALAR, member, wire))
            else:
                members.append((member_name, wire, ELEMENT, member, wire))
        plan = Plan(kind, attributes, tuple(members))
    elif kind == "list":
        plan = Plan(
            kind, attributes, item=shape.member, item_name=shape.member.serialization.get("name", "member")
        )
    elif kind == "map":
        plan = Plan(
            kind,
            attributes,
            item=shape.key,
            item_name=shape.key.serialization.get("name", "key"),
            value=shape.value,
            value_name=shape.value.serialization.get("name", "value"),
        )
    _plans[id(shape)] = (shape, plan)
    return plan


def scalar_text(kind: str, value: Any, timestamp: Callable[[Any], str]) -> str:
    if kind == "timestamp":
        return timestamp(value)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        return base64.b64encode(value).decode()
    return str(value)


def write_element(
    shape: Shape,
    value: Any,
    name: str,
    out: list[str],
    timestamp: Callable[[Any], str],
    extra: Attributes | None = None,
) -> None:
    """Append `value` shaped by `shape` as the element `name` to `out`."""
    plan = plan_of(shape)
    attributes = plan.namespace
    kind = plan.kind
    text = ""
    opening = len(out)
    out.append("")  # the start tag, written once the attributes and the content are known
    if kind == "structure":
        for member_name, wire, how, member, element in plan.members:
            item = value.get(member_name)
            if item is None:
                continue
            if how == SCALAR:  # what write_element writes for it, without the call
                inner = scalar_text(member.type_name, item, timestamp)
                out.append(f"<{element}>{escape_text(inner)}</{element}>" if inner else f"<{element} />")
            elif how == ELEMENT:
                write_element(member, item, element, out, timestamp)
            elif how == FLATTENED:
                for entry in item:
                    write_element(member, entry, element, out, timestamp)
            else:
                attributes = [*attributes, (wire, str(item))]
    elif kind == "list":
        assert plan.item is not None
        for entry in value:
            write_element(plan.item, entry, plan.item_name, out, timestamp)
    elif kind == "map":
        assert plan.item is not None and plan.value is not None
        for map_key, map_value in value.items():
            out.append("<entry>")
            write_element(plan.item, map_key, plan.item_name, out, timestamp)
            write_element(plan.value, map_value, plan.value_name, out, timestamp)
            out.append("</entry>")
    else:
        text = scalar_text(kind, value, timestamp)
    if extra:
        attributes = [*attributes, *extra]
    start = "<" + name
    if attributes:
        start += "".join(f' {key}="{escape_attribute(val)}"' for key, val in attributes)
    if text:
        out[opening] = start + ">"
        out.append(escape_text(text))
        out.append(f"</{name}>")
    elif len(out) > opening + 1:
        out[opening] = start + ">"
        out.append(f"</{name}>")
    else:
        out[opening] = start + " />"
