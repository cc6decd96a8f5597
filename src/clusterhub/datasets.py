"""Where each public data set comes from, and how to get a local copy of it.

Every data set has two routes. A *mirror* is a directory laid out like ``/eu``, ``/us``,
``/cordis`` (``CLUSTERHUB_DATA_MIRROR``): offline and air-gapped installs read from it and
nothing is ever downloaded. Without a mirror, a data set with an official URL is downloaded
once into ``CLUSTERHUB_CACHE_DIR`` and reused. Some data sets have no trustworthy official
file URL (they are extracts or flattenings of official sources). The small ones among them
(classifications, cluster definitions, the CMP state table: under 200 KB gzipped each) ship
inside the package (``clusterhub/data/reference``, sources and licences in its README), so a
fresh install works without a mirror; for the others the mirror is the only route, and the
error says so instead of guessing a URL.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from clusterhub.config import Settings, get_settings
from clusterhub.errors import DataSourceError, NotFound

#: Called after every chunk with (bytes received so far, total bytes or None if unknown).
ProgressCallback = Callable[[int, int | None], None]

_CHUNK = 64 * 1024
_EUROSTAT_LICENCE = (
    "Eurostat copyright notice: reuse authorised, also commercially, with acknowledgement "
    "of the source (Commission Decision 2011/833/EU)"
)
_GISCO_LICENCE = (
    "© EuroGeographics for the administrative boundaries; GISCO terms: reuse with "
    "acknowledgement of EuroGeographics and Eurostat"
)
_CMP_LICENCE = (
    "U.S. Cluster Mapping Project, Institute for Strategy and Competitiveness, Harvard "
    "Business School: free to use with attribution (clustermapping.us terms of use); the "
    "project's code is GPL-2.0"
)
_CORDIS_LICENCE = "CORDIS open data, European Commission: CC BY 4.0 (Decision 2011/833/EU)"
_GISCO_NUTS = "https://gisco-services.ec.europa.eu/distribution/v2/nuts/geojson/"
_EUROSTAT_API = "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/"
#: The package data folder of the reference files that ship with clusterhub (gzipped).
PACKAGED_DIR = Path(__file__).resolve().parent / "data" / "reference"

_NUTS_HISTORY = "https://ec.europa.eu/eurostat/documents/345175/629341/"


@dataclass(frozen=True)
class DatasetSpec:
    """One public data set: where it sits in a mirror and where it officially comes from.

    ``download_path`` is where the official download is cached, relative to the cache
    directory; it differs from ``mirror_path`` when the official file has another format
    than the mirror's extract (the Eurostat SBS mirror is a one-year extract, the official
    download is the full bulk TSV), so the two are never mistaken for each other.
    """

    key: str
    mirror_path: str
    url: str | None
    description: str
    licence: str
    download_path: str | None = None
    #: File name under ``PACKAGED_DIR`` (gzipped) when the data set ships with clusterhub.
    packaged: str | None = None

    @property
    def cache_path(self) -> str:
        """Path of the downloaded copy, relative to the cache directory."""
        return self.download_path or self.mirror_path


def _nuts_changes(old: str, new: str) -> DatasetSpec:
    name = f"NUTS{old}-NUTS{new}.xlsx"
    return DatasetSpec(
        key=f"nuts-changes-{old}-{new}",
        mirror_path=f"eu/nuts_versions/{name}",
        url=_NUTS_HISTORY + name,
        description=(
            f"Eurostat's official NUTS {old} to NUTS {new} change table (workbook from the NUTS "
            "history page): every region of both versions with its label and what happened "
            "to it (recoded, split, merged, boundary shift). Names of old codes for search and "
            "region pages (classify.nuts_changes)."
        ),
        licence=_EUROSTAT_LICENCE,
    )


def _nuts(level: int) -> DatasetSpec:
    name = f"NUTS_RG_60M_2021_4326_LEVL_{level}.geojson"
    return DatasetSpec(
        key=f"nuts2021-l{level}",
        mirror_path=f"eu/nuts2021/{name}",
        url=_GISCO_NUTS + name,
        description=(
            f"GISCO NUTS 2021 level-{level} region polygons, 1:60 million, WGS84 (EPSG:4326). "
            "Properties NUTS_ID, LEVL_CODE, CNTR_CODE, NAME_LATN, NUTS_NAME."
        ),
        licence=_GISCO_LICENCE,
    )


_SPECS = (
    DatasetSpec(
        key="eurostat-sbs",
        mirror_path="eu/sbs_r_nuts06_r2_2015.csv",
        url=_EUROSTAT_API + "sbs_r_nuts06_r2?format=TSV&compressed=true",
        download_path="eu/sbs_r_nuts06_r2.tsv.gz",
        description=(
            "Eurostat Structural Business Statistics sbs_r_nuts06_r2 (SBS by NUTS 2 region and "
            "NACE Rev.2, 2008-2020). The mirror holds a 2015 employment extract "
            "(nace_r2;geo;n2015, read with read_sbs_csv), or the official download under its "
            "cache name (preferred when present); the official download is the whole "
            "data set as a gzipped bulk TSV with every indicator and year (read with "
            "read_eurostat_tsv, indicator V16110 = persons employed). Continued from 2021 by "
            "eurostat:sbs_r_nuts2021 (services.observatory.series)."
        ),
        licence=_EUROSTAT_LICENCE,
    ),
    DatasetSpec(
        key="nace-rev2",
        mirror_path="eu/nace_rev2.csv",
        url=None,
        description=(
            "NACE Rev.2 hierarchy (code, name, level, parent, includes/excludes notes) from "
            "Eurostat's classification server. Eurostat retired the RAMON file downloads and "
            "its successor (EU Vocabularies / ShowVoc) has no stable file URL for this layout: "
            "shipped with clusterhub."
        ),
        licence=_EUROSTAT_LICENCE,
        packaged="nace_rev2.csv.gz",
    ),
    DatasetSpec(
        key="naics-nace",
        mirror_path="eu/naics2017_to_nace_rev2.csv",
        url=None,
        description=(
            "Eurostat correspondence table NAICS 2017 (6-digit) to NACE Rev.2 (class). "
            "Published on Eurostat's classification pages without a stable file URL: "
            "shipped with clusterhub."
        ),
        licence=_EUROSTAT_LICENCE,
        packaged="naics2017_to_nace_rev2.csv.gz",
    ),
    *(_nuts(level) for level in range(4)),
    _nuts_changes("2013", "2016"),
    _nuts_changes("2016", "2021"),
    DatasetSpec(
        key="cmp-states",
        mirror_path="us/clustermapping_states_2016.csv",
        url=None,
        description=(
            "U.S. Cluster Mapping Project results for the 50 states, 2016, per traded and "
            "local cluster (read with read_cmp_states). A flattening of the project's data "
            "API (clustermapping.us/data, JSON records with these field names), which serves "
            "no file: shipped with clusterhub."
        ),
        licence=_CMP_LICENCE,
        packaged="clustermapping_states_2016.csv.gz",
    ),
    DatasetSpec(
        key="cmp-clusters",
        mirror_path="us/cmp_traded_clusters_naics.csv",
        url=None,
        description=(
            "The 51 traded cluster definitions (Delgado, Porter & Stern 2016) as NAICS "
            "6-digit codes, transcribed from the project's published definitions; shipped "
            "with clusterhub."
        ),
        licence=_CMP_LICENCE,
        packaged="cmp_traded_clusters_naics.csv.gz",
    ),
    DatasetSpec(
        key="cmp-related",
        mirror_path="us/cmp_related_clusters.json",
        url=None,
        description=(
            "The U.S. Cluster Mapping Project's 2,601 cluster-pair relatedness records, one "
            "per ordered pair of the 51 traded clusters: co-location, input-output and "
            "occupation scores with percentiles; rel_all_90_v3 flags the related pairs (read "
            "with stats.relatedness.read_cmp_related). A flattening of the project's data API, "
            "which serves no file (no official file URL known): shipped with clusterhub."
        ),
        licence=_CMP_LICENCE,
        packaged="cmp_related_clusters.json.gz",
    ),
    DatasetSpec(
        key="cmp-orgs",
        mirror_path="us/cluster_organizations_raw.csv",
        url=None,
        description=(
            "U.S. Cluster Mapping Project registry of cluster organisations and the cluster "
            "categories they serve (org_id,org_title,cluster_name): shipped with clusterhub."
        ),
        licence=_CMP_LICENCE,
        packaged="cluster_organizations_raw.csv.gz",
    ),
    DatasetSpec(
        key="cordis-participations",
        mirror_path="cordis/h2020_participations.csv.gz",
        url=None,
        description=(
            "Every Horizon 2020 project participation, derived from the CORDIS H2020 open "
            "data export (officially cordis.europa.eu/data/cordis-h2020projects-csv.zip, a "
            "zip of several tables in another layout): mirror only."
        ),
        licence=_CORDIS_LICENCE,
    ),
    DatasetSpec(
        key="cordis-h2020-projects",
        mirror_path="cordis/cordis-h2020projects-csv.zip",
        url="https://cordis.europa.eu/data/cordis-h2020projects-csv.zip",
        description=(
            "The official CORDIS Horizon 2020 open data export: a zip of ';'-separated, quoted "
            "UTF-8 tables, of which project.csv (grants: id, rcn, dates, costs, legalBasis) and "
            "organization.csv (one row per organisation and grant: projectID, organisationID = "
            "PIC, activityType, role, ecContribution, country, name, city, nutsCode, "
            "organizationURL, SME) are read (services.directory.cordis_export). The source "
            "of the two flattened cordis-* tables; used when a mirror lacks those. A mirror may "
            "hold the zip under this name as downloaded."
        ),
        licence=_CORDIS_LICENCE,
    ),
    DatasetSpec(
        key="cordis-organisations-2017",
        mirror_path="cordis/h2020_organisations_2017.csv.gz",
        url=None,
        description=(
            "pic,name,short_name,type,street,city,country: names and addresses of 16,591 "
            "Horizon 2020 organisations as CORDIS listed them in mid-2017 (country in CORDIS "
            "codes, UK and EL), taken from a node table of the ODFest 2017 network project "
            "(MIT), which was built from the CORDIS organisations export. Partial (45 % of the "
            "participants, 77 % of the participation rows) and not an official download: "
            "mirror only; the official export (cordis-h2020-projects) names everyone."
        ),
        licence=_CORDIS_LICENCE + "; extract by the ODFest 2017 project",
    ),
    DatasetSpec(
        key="cordis-programme-parts",
        mirror_path="cordis/h2020_programme_parts.csv.gz",
        url=None,
        description=(
            "rcn,programme_part: the H2020 programme part(s) of each project, derived from "
            "the same CORDIS export: mirror only."
        ),
        licence=_CORDIS_LICENCE,
    ),
)

#: Every known data set by key.
DATASETS: Mapping[str, DatasetSpec] = {spec.key: spec for spec in _SPECS}


def get_spec(key: str) -> DatasetSpec:
    """Return the registered data set called ``key``.

    Raises
    ------
    NotFound
        If no data set has that key; the message lists the known keys. Any Eurostat data
        set is ``eurostat:<code>`` (``eurostat_dataset``).
    """
    if key.startswith("eurostat:"):
        return eurostat_dataset(key.removeprefix("eurostat:"))
    try:
        return DATASETS[key]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise NotFound(f"unknown data set {key!r}; known data sets: {known}") from None


def eurostat_dataset(code: str) -> DatasetSpec:
    """Any Eurostat data set by its code, as a spec ``fetch`` takes: the gzipped bulk TSV of
    the dissemination API, at ``eu/eurostat/<code>.tsv.gz`` in a mirror and in the cache (the
    scoreboard's indicator catalogue names its data sets this way, not in ``DATASETS``).

    Raises
    ------
    NotFound
        If ``code`` is not shaped like a Eurostat data set code (``rd_e_gerdreg``).
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,40}", code):
        raise NotFound(f"{code!r} is not a Eurostat data set code (e.g. rd_e_gerdreg)")
    return DatasetSpec(
        key=f"eurostat:{code}",
        mirror_path=f"eu/eurostat/{code}.tsv.gz",
        url=f"{_EUROSTAT_API}{code}?format=TSV&compressed=true",
        description=f"Eurostat data set {code}, the whole data set as a gzipped bulk TSV.",
        licence=_EUROSTAT_LICENCE,
    )


def fetch(
    dataset: str | DatasetSpec,
    settings: Settings | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> Path:
    """Return a local path to a data set, downloading it only when that is allowed.

    With a mirror configured the mirror is the only source that is ever downloaded from
    (air-gapped installs must never reach out); it may hold the official download at
    ``download_path`` (preferred) or the extract at ``mirror_path``; a data set that ships
    with clusterhub is
    read from the mirror when the mirror has it, else from the package. Otherwise a cached
    copy is reused, and only a missing one is downloaded from the official URL (or the
    ``source_base_url`` stand-in), atomically, so an interrupted download never leaves a
    truncated file that a later run would take for the real thing.

    Parameters
    ----------
    dataset
        A registered key (see ``DATASETS``) or a ``DatasetSpec``.
    settings
        Where the mirror and cache are; defaults to the environment's settings.
    progress
        Optional ``(done_bytes, total_bytes | None)`` callback, called while downloading.

    Returns
    -------
    Path
        The mirror file, the unpacked shipped file, the cached file, or the freshly
        downloaded file.

    Raises
    ------
    NotFound
        If ``dataset`` is an unknown key.
    DataSourceError
        If the mirror lacks the file, the data set has no official URL and is not cached,
        or the download fails (HTTP error, timeout, connection dropped).
    """
    spec = get_spec(dataset) if isinstance(dataset, str) else dataset
    settings = settings or get_settings()
    if settings.data_mirror is not None:
        # A mirror may hold the official download itself, laid out as in the cache (the
        # whole SBS bulk TSV, every year, beside or instead of the one-year extract): the
        # fuller file wins.
        fuller = settings.data_mirror / spec.download_path if spec.download_path else None
        if fuller is not None and fuller.is_file():
            return fuller
        path = settings.data_mirror / spec.mirror_path
        if path.is_file():
            return path
        if spec.packaged is None:
            raise DataSourceError(
                f"data set {spec.key!r} is not in the mirror: {path} does not exist "
                f"(CLUSTERHUB_DATA_MIRROR={settings.data_mirror}; nothing is downloaded "
                "while a mirror is configured)"
            )
    if spec.packaged is not None:
        return _unpacked(spec.packaged, settings.cache_dir)
    target = settings.cache_dir / spec.cache_path
    if target.is_file():
        return target
    if spec.url is None:
        raise DataSourceError(
            f"data set {spec.key!r} has no official download URL and is not cached at "
            f"{target}; set CLUSTERHUB_DATA_MIRROR to a directory holding {spec.mirror_path}"
        )
    _download(spec, source_url(spec.url, settings), target, settings.download_timeout, progress)
    return target


def source_url(url: str, settings: Settings) -> str:
    """Where ``url`` is fetched from: itself, or under ``source_base_url`` when one is set
    (a stand-in server: ``https://host/path?q`` becomes ``<base>/host/path?q``, so one server
    can stand in for Eurostat, GISCO and CORDIS at once)."""
    if not settings.source_base_url:
        return url
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{settings.source_base_url.rstrip('/')}/{parts.netloc}{parts.path}{query}"


def _unpacked(name: str, cache_dir: Path) -> Path:
    """The shipped file ``name`` decompressed once into the cache (readers take plain files).

    The copy sits in a folder named after the packaged file's digest, so an upgrade that
    ships a corrected file is never shadowed by the copy of the old one.
    """
    packed = PACKAGED_DIR / name
    digest = hashlib.sha256(packed.read_bytes()).hexdigest()[:16]
    target = cache_dir / "packaged" / digest / name.removesuffix(".gz")
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(descriptor, "wb") as out, gzip.open(packed, "rb") as source:
        shutil.copyfileobj(source, out)
    Path(temp).replace(target)
    return target


def _download(
    spec: DatasetSpec,
    url: str,
    target: Path,
    timeout: float,
    progress: ProgressCallback | None,
) -> None:
    """Stream ``url`` into a temporary file beside ``target``, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    temp = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as out:
            _stream(url, out, timeout, progress)
        temp.replace(target)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        reason = _reason(exc, timeout)
        if reason is None:
            raise
        raise DataSourceError(f"could not download {spec.key!r} from {url}: {reason}") from exc


def _reason(exc: BaseException, timeout: float) -> str | None:
    """Say why a download failed, or None for errors that are not about the download."""
    if isinstance(exc, DataSourceError):
        return str(exc)
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc.reason, TimeoutError):
        return str(exc.reason)
    if isinstance(exc, TimeoutError | urllib.error.URLError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, http.client.HTTPException | OSError):
        return f"{type(exc).__name__}: {exc}"
    return None


def _stream(url: str, out: BinaryIO, timeout: float, progress: ProgressCallback | None) -> None:
    """Copy the response body to ``out``, checking it is as long as announced."""
    if not url.startswith(("http://", "https://")):
        raise DataSourceError(f"only http(s) URLs can be downloaded, not {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": "clusterhub"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        if progress is not None:
            progress(done, total)
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    if total is not None and done != total:
        raise DataSourceError(f"connection closed after {done} of {total} bytes")
