"""Reading an indicator upload form (the file and the optional Eurostat indicator code).

One route dependency for the JSON API and the officer page. It is declared after the role
check and before the route's database session, so the role is checked before a byte of the
body is read, and no write permit is held while the body arrives; the body limit
(``web.limits``) refuses an oversized body as it arrives. The parser takes one file and a
few fields only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from clusterhub.errors import InvalidInput
from clusterhub.services.scoreboard.imports import MAX_UPLOAD_BYTES


@dataclass(frozen=True)
class IndicatorUpload:
    """What an indicator upload form sent."""

    name: str
    content: bytes
    eurostat: str | None


async def read_indicator_upload(request: Request) -> IndicatorUpload | InvalidInput:
    """The uploaded file (at most the limit and one byte, so that more is refused by the
    service) and the ``eurostat`` field; 400 for an unreadable body. A missing file or a
    malformed indicator code is returned as ``InvalidInput`` naming the field, for the
    route to show (the page re-renders its form, the API answers 422)."""
    try:
        form = await request.form(max_files=1, max_fields=10)
    except (ValueError, MultiPartException) as exc:
        raise HTTPException(400, f"cannot read the multipart form: {exc}") from None
    try:
        file, eurostat = form.get("file"), form.get("eurostat")
        if not isinstance(file, UploadFile) or not file.filename:
            return InvalidInput.single("choose a file to upload", field="file")
        if eurostat is not None and (not isinstance(eurostat, str) or len(eurostat) > 64):
            return InvalidInput.single("expected a catalogue indicator code", field="eurostat")
        content = await file.read(MAX_UPLOAD_BYTES + 1)
    finally:
        await form.close()
    return IndicatorUpload(name=file.filename, content=content, eurostat=eurostat or None)


UploadForm = Annotated[IndicatorUpload | InvalidInput, Depends(read_indicator_upload)]
