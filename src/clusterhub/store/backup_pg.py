"""PostgreSQL's own tools for native backups: ``pg_dump`` writes them, ``pg_restore`` reads them.

``pg_dump`` can dump a server of its own major version or older, so a backup uses it only when
it is on the PATH and new enough; otherwise the caller falls back to the logical format.

Restoring does not let ``pg_restore`` connect to the database: it only turns the dump back into
SQL (``--file=-``), and the statements and ``COPY`` data run here, on the restore's own
connection and inside its one transaction, together with the migration to the head revision,
the index rebuild and the checks. A failure anywhere rolls all of it back; ``pg_restore
--single-transaction`` alone could not include those steps. The SQL is pg_dump's plain format
for clusterhub's own schema: statements end with ``;`` at the end of a line (quotes and dollar
quotes are tracked all the same), ``COPY ... FROM stdin;`` is followed by its rows up to a
``\\.`` line, and psql meta-commands (``\\restrict``) are skipped because psql is not involved.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from clusterhub.errors import DataSourceError, InvalidInput

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
_DOLLAR = re.compile(r"\$[A-Za-z_][A-Za-z_0-9]*\$|\$\$")
_COPY = re.compile(r"COPY\s.+\sFROM\s+stdin;\s*$", re.IGNORECASE | re.DOTALL)
#: Statements about the schema object itself: the target schema exists and is kept as it is.
_SCHEMA_ITSELF = re.compile(r"(CREATE|COMMENT\s+ON|ALTER)\s+SCHEMA\s", re.IGNORECASE)
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class Tool:
    """A PostgreSQL client program and its major version."""

    path: str
    major: int


def find_tool(name: str) -> Tool | None:
    """``name`` (``pg_dump`` or ``pg_restore``) on the PATH with its major version, or None."""
    path = shutil.which(name)
    if path is None:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    found = _VERSION.search(out.stdout)
    return Tool(path, int(found[1])) if found else None


def server_major(connection: Connection) -> int:
    """The server's major version (15 for 15.4)."""
    return int(connection.scalar(text("SHOW server_version_num")) or 0) // 10_000


def usable_pg_dump(connection: Connection) -> tuple[Tool | None, str]:
    """``pg_dump`` when it can dump this server, else None and why not (for the report)."""
    tool = find_tool("pg_dump")
    if tool is None:
        return None, "pg_dump is not on the PATH"
    server = server_major(connection)
    if tool.major < server:
        return None, f"pg_dump {tool.major} cannot dump a PostgreSQL {server} server"
    return tool, ""


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and an environment that carries it
    (a password on a command line would be visible to every user of the machine)."""
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def dump(tool: Tool, url: URL, *, snapshot: str, schema: str, sink: Any) -> None:
    """Stream ``pg_dump --format=custom`` of ``schema`` as of ``snapshot`` into ``sink``.

    ``snapshot`` is exported by the caller's open transaction, so the dump sees exactly what
    the caller counted and the revision it read.
    """
    conninfo, env = _libpq(url)
    command = [
        tool.path,
        "--format=custom",
        "--no-password",
        f"--snapshot={snapshot}",
        f"--schema={schema}",
        f"--dbname={conninfo}",
    ]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)
        assert process.stdout is not None
        with process.stdout:
            while chunk := process.stdout.read(_COPY_CHUNK):
                sink.write(chunk)
        if process.wait() != 0:
            raise DataSourceError(f"pg_dump failed: {_tail(errors)}")


@contextmanager
def restore_script(dump_file: Path, *, file: str) -> Iterator[Iterator[bytes]]:
    """The SQL of a custom-format dump, line by line, from ``pg_restore --file=-``; errors
    name ``file`` (where the dump came from).

    When the block ends, ``pg_restore`` must have succeeded (a dump cut short or made by a
    newer pg_dump makes it fail part-way, after printing the statements it could read);
    otherwise ``InvalidInput``, and the caller's transaction is rolled back.
    """
    tool = find_tool("pg_restore")
    if tool is None:
        raise DataSourceError(
            "pg_restore is not on the PATH: install the PostgreSQL client tools "
            "(the version of the server or newer) to restore a pg_dump backup"
        )
    command = [tool.path, "--no-owner", "--no-privileges", "--file=-", str(dump_file)]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        try:
            yield iter(process.stdout)
        except BaseException:
            process.kill()
            raise
        finally:
            process.stdout.close()
            code = process.wait()
        if code != 0:
            raise InvalidInput.single(
                f"pg_restore could not read the dump: {_tail(errors)}", file=file
            )


def _tail(errors: IO[bytes]) -> str:
    errors.seek(0)
    return errors.read()[-2_000:].decode("utf-8", "replace").strip()


def run_script(connection: Connection, lines: Iterator[bytes], *, file: str) -> None:
    """Run pg_dump's SQL on ``connection`` (in its transaction), ``COPY`` data included.

    The script empties ``search_path`` to name every object with its schema; the caller's
    search path is put back afterwards for the steps that follow. A statement the server
    refuses is reported as ``InvalidInput`` about ``file``, and the caller rolls back.
    """
    search_path = connection.scalar(text("SELECT current_setting('search_path')"))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        _run(cursor, lines, file)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise InvalidInput.single(
            f"the dump's SQL cannot be run: {str(exc).splitlines()[0]}", file=file
        ) from None
    connection.execute(
        text("SELECT set_config('search_path', :path, false)"), {"path": search_path}
    )


def _run(cursor: Any, lines: Iterator[bytes], file: str) -> None:
    buffer: list[str] = []
    quoting = _Quoting()
    for raw in lines:
        line = raw.decode("utf-8")
        if not buffer and _outside_statements(line):
            continue
        buffer.append(line)
        if not quoting.ends_statement(line):
            continue
        statement, buffer = "".join(buffer), []
        if _COPY.match(statement):
            _copy(cursor, statement, lines, file)
        elif not _SCHEMA_ITSELF.match(statement):
            cursor.execute(statement)
    if buffer:
        raise InvalidInput.single("the dump's SQL ends inside a statement", file=file)


def _outside_statements(line: str) -> bool:
    """Blank lines, comments and psql meta-commands, which only occur between statements."""
    stripped = line.strip()
    return not stripped or stripped.startswith(("--", "\\"))


def _copy(cursor: Any, statement: str, lines: Iterator[bytes], file: str) -> None:
    """Feed the rows following a ``COPY ... FROM stdin;`` to the server, in large chunks."""
    chunk: list[bytes] = []
    size = 0
    with cursor.copy(statement) as copy:
        for line in lines:
            if line.rstrip(b"\r\n") == b"\\.":
                break
            chunk.append(line)
            size += len(line)
            if size >= _COPY_CHUNK:
                copy.write(b"".join(chunk))
                chunk, size = [], 0
        else:
            raise InvalidInput.single("the dump's SQL ends inside COPY data", file=file)
        if chunk:
            copy.write(b"".join(chunk))


class _Quoting:
    """Tracks quotes across the lines of a statement, so a ``;`` inside a string or a dollar
    quoted body does not end it."""

    def __init__(self) -> None:
        self.open: str | None = None

    def ends_statement(self, line: str) -> bool:
        """Scan ``line``; True when it ends a statement (a ``;`` last, outside quotes)."""
        position = 0
        code = line
        while position < len(line):
            if self.open is not None:
                position = self._close(line, position)
                continue
            char = line[position]
            if char in "'\"":
                self.open, position = char, position + 1
            elif char == "$" and (tag := _DOLLAR.match(line, position)):
                self.open, position = tag[0], tag.end()
            elif line.startswith("--", position):
                code = line[:position]
                break
            else:
                position += 1
        return self.open is None and code.rstrip().endswith(";")

    def _close(self, line: str, position: int) -> int:
        assert self.open is not None
        end = line.find(self.open, position)
        if end < 0:
            return len(line)
        after = end + len(self.open)
        if self.open in "'\"" and line.startswith(self.open, after):
            return after + 1  # a doubled quote stands for the character itself
        self.open = None
        return after
