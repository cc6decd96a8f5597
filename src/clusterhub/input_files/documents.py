"""JSON and YAML documents: size and nesting measured before they are parsed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from clusterhub.errors import InvalidInput
from clusterhub.input_files.text import UTF8_BOM, check_size, not_utf8, nul_bytes, refuse_utf16

#: Largest JSON or YAML document: unlike delimited files they are parsed whole.
DOCUMENT_LIMIT = 50 * 1024 * 1024
#: Deepest nesting of lists and mappings in a JSON or YAML document (our formats need 4).
MAX_DEPTH = 64
#: Most values a YAML document may hold once its aliases are expanded.
MAX_YAML_VALUES = 1_000_000
#: A JSON string (escapes included) or a bracket: what the depth scan looks at.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def read_document(
    path: Path, *, name: str | None = None, limit: int = DOCUMENT_LIMIT, expected: str
) -> str:
    """A whole UTF-8 document (a BOM is dropped), refusing what ``TextLines`` refuses, a file
    over ``limit`` bytes and an empty one (``expected`` says what it should hold)."""
    name = name or str(path)
    check_size(path, limit, name)
    data = path.read_bytes()
    refuse_utf16(data, name)
    offset = 3 if data.startswith(UTF8_BOM) else 0
    try:
        text = data[offset:].decode("utf-8")
    except UnicodeDecodeError as error:
        at = offset + error.start
        line = data.count(b"\n", 0, at) + 1
        line_byte = at - data.rfind(b"\n", 0, at)
        raise not_utf8(name, line, at + 1, line_byte, data[at]) from None
    if "\x00" in text:
        raise nul_bytes(name, text.count("\n", 0, text.index("\x00")) + 1)
    if not text.strip():
        raise InvalidInput.single(f"empty file; expected {expected}", file=name, line=1)
    return text


def _too_deep(name: str, line: int | None, limit: int) -> InvalidInput:
    return InvalidInput.single(
        f"lists and objects nest more than {limit} levels deep here; the format needs a few",
        file=name,
        line=line,
    )


def _check_json_depth(text: str, name: str, limit: int) -> None:
    """Measure nesting with a flat scan (strings skipped), so depth never costs a stack frame."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                raise _too_deep(name, text.count("\n", 0, match.start()) + 1, limit)
        elif token in ("]", "}"):
            depth -= 1


def load_json(
    path: Path,
    *,
    name: str | None = None,
    limit: int = DOCUMENT_LIMIT,
    max_depth: int = MAX_DEPTH,
    expected: str = "a JSON document",
) -> Any:
    """A JSON document, or ``InvalidInput`` naming the line of what is wrong (a document that
    ends too early is said to be cut short)."""
    name = name or str(path)
    text = read_document(path, name=name, limit=limit, expected=expected)
    _check_json_depth(text, name, max_depth)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        cut = error.pos >= len(text.rstrip())
        ending = "; the document ends too early: the file was probably cut short" if cut else ""
        raise InvalidInput.single(
            f"not valid JSON: {error.msg} (column {error.colno}){ending}",
            file=name,
            line=error.lineno,
        ) from None
    except ValueError as error:  # an integer of more than 4,300 digits
        raise InvalidInput.single(f"not valid JSON: {error}", file=name) from None


def _yaml_error(error: yaml.YAMLError, name: str) -> InvalidInput:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    return InvalidInput.single(f"not valid YAML: {error}", file=name, line=line)


def _check_yaml_shape(text: str, name: str, max_depth: int, max_values: int) -> None:
    """Walk the parser's events (the parser keeps an explicit stack, the composer recurses):
    nesting depth, and the number of values with every alias expanded."""
    depth = 0
    values = 0
    sizes: dict[str, int] = {}
    open_collections: list[tuple[str | None, int]] = []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise _too_deep(name, line, max_depth)
            open_collections.append((event.anchor, values))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, start = open_collections.pop()
            values += 1
            if anchor is not None:
                sizes[anchor] = values - start
        elif isinstance(event, yaml.ScalarEvent):
            values += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            values += sizes.get(event.anchor or "", 1)
        if values > max_values:
            raise InvalidInput.single(
                f"more than {max_values:,} values once its aliases (*name) are expanded: an "
                "alias bomb, or far larger than any clusterhub file",
                file=name,
                line=line,
            )


def load_yaml(
    path: Path,
    *,
    name: str | None = None,
    limit: int = DOCUMENT_LIMIT,
    max_depth: int = MAX_DEPTH,
    max_values: int = MAX_YAML_VALUES,
    expected: str = "a YAML document",
) -> Any:
    """A YAML document read safely (no Python objects), or ``InvalidInput`` naming the line."""
    name = name or str(path)
    text = read_document(path, name=name, limit=limit, expected=expected)
    try:
        _check_yaml_shape(text, name, max_depth, max_values)
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise _yaml_error(error, name) from None
