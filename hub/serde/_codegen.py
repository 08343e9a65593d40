"""What the compiled Avro writer and reader share: a schema walked into Python functions.

One function per named record (``<prefix>_<full name>``), compiled once even when the record
is referenced again; named types are remembered by full name so that a later reference by name
reads or writes like the definition; generated variables and constants get unique names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hub.serde._schemas import JsonObject, JsonValue

#: Avro's primitive type names: any other name in a schema refers to a named type.
PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


class Unsupported(Exception):
    """The schema, or a value, is not one the compiled code handles (fastavro does)."""


def full_name(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


# The schema's JSON read as Avro declares it: anything else is a schema the compiled code does
# not cover (fastavro, which parsed it, reports what is wrong with it).


def json_object(value: JsonValue, what: str) -> JsonObject:
    if not isinstance(value, Mapping):
        raise Unsupported(f"{what} is not a JSON object")
    return value


def json_text(value: JsonValue, what: str) -> str:
    if not isinstance(value, str):
        raise Unsupported(f"{what} is not a string")
    return value


def json_list(value: JsonValue, what: str) -> list[JsonValue]:
    if not isinstance(value, list):
        raise Unsupported(f"{what} is not a list")
    return value


def type_node(schema: JsonValue) -> tuple[JsonObject, str, JsonValue]:
    """A type given as a JSON object: the object, its ``type`` and its ``logicalType``."""
    node = json_object(schema, "a type")
    return node, json_text(node["type"], "a type name"), node.get("logicalType")


def fields_of(schema: JsonObject) -> list[JsonObject]:
    """The fields of a record schema."""
    return [json_object(f, "a field") for f in json_list(schema["fields"], "fields")]


def symbols_of(schema: JsonObject) -> list[str]:
    """The symbols of an enum schema, in order."""
    return [json_text(s, "a symbol") for s in json_list(schema["symbols"], "symbols")]


def name_of(schema: JsonObject, namespace: str) -> str:
    """The full name of the named type ``schema``, ``namespace`` the enclosing one."""
    space = schema.get("namespace", namespace)
    return full_name(json_text(schema["name"], "a name"), None if space is None else str(space))


class SchemaCode:
    """Python source for one schema: record functions, their constants, unique names."""

    def __init__(self, prefix: str, parameters: str) -> None:
        self.names: dict[str, JsonObject] = {}  # full name -> schema (records, enums)
        self.functions: list[str] = []
        self.constants: dict[str, object] = {}
        self._prefix, self._parameters = prefix, parameters
        self._done: set[str] = set()
        self._counter = 0

    def var(self) -> str:
        self._counter += 1
        return f"v{self._counter}"

    def constant(self, value: object) -> str:
        name = f"_c{self.var()}"
        self.constants[name] = value
        return name

    def remember(self, schema: JsonObject, namespace: str) -> str:
        """The full name of the named type ``schema``, remembered for later references."""
        full = name_of(schema, namespace)
        self.names[full] = schema
        return full

    def named(self, name: str, namespace: str) -> JsonObject | None:
        """The schema a type name refers to (None: a primitive, or not defined yet)."""
        return self.names.get(full_name(name, namespace)) or self.names.get(name)

    def record_function(
        self, schema: JsonObject, namespace: str, body: Callable[[str], list[str]]
    ) -> str:
        """The name of the function for records of ``schema``; ``body(namespace)`` gives its
        statements the first time."""
        full = name_of(schema, namespace)
        function = f"{self._prefix}_" + full.replace(".", "_")
        if full not in self._done:
            self._done.add(full)
            self.remember(schema, namespace)
            lines = body(full.rpartition(".")[0]) or ["pass"]
            head = f"def {function}({self._parameters}):"
            self.functions.append("\n".join([head, *("    " + line for line in lines)]))
        return function

    def link(self, top: str, what: str, helpers: Mapping[str, object]) -> object:
        """The compiled function ``top``, its helpers and constants in scope (the caller
        knows its signature: ``parameters``)."""
        scope: dict[str, object] = {**helpers, **self.constants}
        source = "\n\n".join(self.functions)
        exec(compile(source, f"<avro {what}>", "exec"), scope)  # noqa: S102
        return scope[top]
