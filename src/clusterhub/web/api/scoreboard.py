"""JSON API ``/api/v1`` of the Regional Ecosystem Scoreboard: scorecards (JSON, CSV) and the
upload of indicator values."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from clusterhub.errors import InvalidInput
from clusterhub.services.accounts.users import UserPublic
from clusterhub.services.scoreboard import export, imports, scorecards
from clusterhub.services.scoreboard.schemas import ImportResult, ScorecardPublic
from clusterhub.stats.scoreboard import ScoreOptions
from clusterhub.stats.vocabulary import Method
from clusterhub.web.api.params import ERRORS, ErrorBody, RegionCode
from clusterhub.web.caching import data_changed
from clusterhub.web.deps import DbSession
from clusterhub.web.exporting import export_table
from clusterhub.web.security import require_role
from clusterhub.web.uploads import UploadForm

router = APIRouter(prefix="/api/v1", tags=["scoreboard"], responses=ERRORS)


Peers = Annotated[
    str | None,
    Query(
        max_length=100,
        pattern=r"^[A-Za-z0-9, ]*$",
        description="Up to 5 comma-separated peer regions of the same NUTS level; "
        "default: the 5 closest in cluster portfolio and size.",
        examples=["DE21,ITC4"],
    ),
]


ScoreMethod = Annotated[
    Method,
    Query(description="Normalisation: minmax (0-100, default) or zscore."),
]


@router.get("/regions/{nuts_code}/scoreboard", tags=["scoreboard"])
def region_scoreboard(
    session: DbSession, nuts_code: RegionCode, peers: Peers = None, method: ScoreMethod = "minmax"
) -> ScorecardPublic:
    """The region's Regional Ecosystem Scoreboard: six dimension scores against peers,
    bottlenecks and the indicators behind them (country-level values flagged)."""
    return scorecards.region_scorecard(
        session, code=nuts_code, peers=peers, options=ScoreOptions(method=method)
    )


@router.get("/regions/{nuts_code}/scoreboard.csv", tags=["scoreboard"], response_class=Response)
def region_scoreboard_csv(
    session: DbSession, nuts_code: RegionCode, peers: Peers = None, method: ScoreMethod = "minmax"
) -> Response:
    """The scoreboard as CSV: one row per dimension, then per indicator."""
    card = scorecards.region_scorecard(
        session, code=nuts_code, peers=peers, options=ScoreOptions(method=method)
    )
    return export_table(
        export.scorecard_rows(card),
        export.SCORECARD_COLUMNS,
        name=f"scoreboard_{card.region}",
        fmt="csv",
    )


#: Who may upload indicator values, checked before the upload is read.
Importer = Annotated[UserPublic, Depends(require_role(imports.IMPORT_ROLE))]
_UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "eurostat": {
                            "type": "string",
                            "maxLength": 64,
                            "description": "Catalogue indicator of a Eurostat TSV / SDMX-CSV file.",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/scoreboard/indicators",
    tags=["scoreboard"],
    status_code=201,
    openapi_extra=_UPLOAD_FORM,
    responses={
        400: {"model": ErrorBody, "description": "The body is not readable multipart form data"},
        401: {"model": ErrorBody, "description": "Not logged in"},
        403: {"model": ErrorBody, "description": "Below the programme officer role"},
        413: {"model": ErrorBody, "description": "The body is above the upload limit"},
    },
)
def upload_indicators(
    request: Request, user: Importer, upload: UploadForm, session: DbSession
) -> ImportResult:
    """Import scoreboard indicator values (``region,indicator,year,value`` CSV, or a Eurostat
    download with ``eurostat``): programme officers and site admins; every row or none.

    The role is checked before a byte of the body is read, and the body limit
    (``web.limits``) refuses an oversized body as it arrives."""
    if isinstance(upload, InvalidInput):
        raise upload
    result = imports.import_upload(
        session, actor=user, name=upload.name, content=upload.content,
        reference=request.app.state.reference, eurostat=upload.eurostat,
    )  # fmt: skip
    session.commit()  # before the caches forget: the next request reads the new values
    data_changed(request.app.state)
    return result
