"""Reading an indicator upload form (the file and the optional Eurostat indicator code).

The form is read here rather than declared as FastAPI parameters so that a body announced
larger than the limit is refused (413) from its Content-Length before it is read, and the
parser is told to take one file and a few fields only.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from clusterhub.errors import InvalidInput
from clusterhub.services.scoreboard_imports import MAX_UPLOAD_BYTES

#: Room for the multipart envelope (boundaries, headers, the CSRF and ``eurostat`` fields).
FORM_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class IndicatorUpload:
    """What an indicator upload form sent."""

    name: str
    content: bytes
    eurostat: str | None


async def read_indicator_upload(request: Request) -> IndicatorUpload:
    """The uploaded file (at most the limit and one byte, so that more is refused by the
    service) and the ``eurostat`` field; 413 / 400 for an oversized or unreadable body,
    ``InvalidInput`` naming the field for a missing file or a malformed indicator code."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_UPLOAD_BYTES + FORM_OVERHEAD:
        raise HTTPException(
            413,
            f"the upload is larger than the limit of {MAX_UPLOAD_BYTES // 2**20} MB; "
            "send a smaller file",
        )
    try:
        form = await request.form(max_files=1, max_fields=10)
    except (ValueError, MultiPartException) as exc:
        raise HTTPException(400, f"cannot read the multipart form: {exc}") from None
    try:
        file, eurostat = form.get("file"), form.get("eurostat")
        if not isinstance(file, UploadFile) or not file.filename:
            raise InvalidInput.single("choose a file to upload", field="file")
        if eurostat is not None and (not isinstance(eurostat, str) or len(eurostat) > 64):
            raise InvalidInput.single("expected a catalogue indicator code", field="eurostat")
        content = await file.read(MAX_UPLOAD_BYTES + 1)
    finally:
        await form.close()
    return IndicatorUpload(name=file.filename, content=content, eurostat=eurostat or None)
