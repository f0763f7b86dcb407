"""GDELT 2.0 events export: ``lastupdate.txt`` → the newest zip → 61 tab-separated columns.

Rows are kept when both actors' CAMEO country codes are in the source's
``actors`` setting (default JPN and RUS) and differ: a bilateral event; with one
country (``actors=RUS``), when either actor is that country. Rows the filter drops
are counted as not matching. GDELT 1.0 rows (57 or 58 columns) are rejected one by
one and counted in the run's notes. CAMEO
codes stay strings ("057", not 57). GLOBALEVENTID is the dedupe key. The last
export processed is remembered (in the ETag slot), so an unchanged
``lastupdate.txt`` means nothing new.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import UTC, datetime

from tracker.sources.base import Item, PollResult, SourceConfig, SourceError
from tracker.sources.http import Fetcher
from tracker.sources.kinds import Setting, SourceKind

DEFAULT_BASE = "http://data.gdeltproject.org/gdeltv2/"
N_COLUMNS = 61
EVENT_ID, SQLDATE = 0, 1
ACTOR1_NAME, ACTOR1_COUNTRY = 6, 7
ACTOR2_NAME, ACTOR2_COUNTRY = 16, 17
EVENT_CODE, QUAD_CLASS, GOLDSTEIN, NUM_ARTICLES = 26, 29, 30, 33
ACTION_PLACE, SOURCE_URL = 52, 60
QUADS = {
    "1": "verbal cooperation",
    "2": "material cooperation",
    "3": "verbal conflict",
    "4": "material conflict",
}
# CAMEO codes most useful for diplomacy; others are shown by number.
CAMEO = {
    "036": "express intent to meet or negotiate",
    "040": "consult",
    "042": "make a visit",
    "043": "host a visit",
    "046": "engage in negotiation",
    "057": "sign formal agreement",
    "061": "cooperate economically",
}


def latest_export(lastupdate: bytes, source_name: str) -> tuple[str, str | None]:
    """The export zip's URL and MD5 from lastupdate.txt (its first line)."""
    for line in lastupdate.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].endswith(".export.CSV.zip"):
            return parts[2], parts[1]
    raise SourceError(f"{source_name}: lastupdate.txt names no .export.CSV.zip file")


GDELT1_COLUMNS = (57, 58)  # the 1.0 events format: 57 columns, 58 with its SOURCEURL


def keeps(first: str, second: str, actors: set[str]) -> bool:
    """One country: either actor is it. Several: both actors are listed, and differ."""
    if len(actors) == 1:
        return bool({first, second} & actors)
    return first != second and {first, second} <= actors


def parse_export(table: bytes, actors: set[str], source_name: str) -> PollResult:
    result = PollResult()
    reader = csv.reader(io.StringIO(table.decode("utf-8", "replace")), delimiter="\t", quoting=csv.QUOTE_NONE)
    old_format = 0
    for number, row in enumerate(reader, start=1):
        if len(row) != N_COLUMNS:
            old_format += len(row) in GDELT1_COLUMNS
            what = " (a GDELT 1.0 row)" if len(row) in GDELT1_COLUMNS else ""
            result.rejected.append(f"row {number}: {len(row)} columns{what}, expected {N_COLUMNS}")
            continue
        if not keeps(row[ACTOR1_COUNTRY], row[ACTOR2_COUNTRY], actors):
            result.n_filtered += 1
            continue
        try:
            day = datetime.strptime(row[SQLDATE], "%Y%m%d").replace(tzinfo=UTC)
        except ValueError:
            result.rejected.append(f"row {number}: SQLDATE {row[SQLDATE]!r} is not YYYYMMDD")
            continue
        code = row[EVENT_CODE]
        action = CAMEO.get(code, f"CAMEO {code}")
        title = (
            f"{row[ACTOR1_NAME] or row[ACTOR1_COUNTRY]} → {row[ACTOR2_NAME] or row[ACTOR2_COUNTRY]}: {action}"
        )
        summary = (
            f"{QUADS.get(row[QUAD_CLASS], 'quad class ' + row[QUAD_CLASS])}; Goldstein {row[GOLDSTEIN]}; "
            f"{row[NUM_ARTICLES]} articles; {row[ACTION_PLACE] or 'place unknown'}; CAMEO {code}"
        )
        result.items.append(
            Item(
                key=f"gdelt:{row[EVENT_ID]}",
                title=title,
                summary=summary,
                url=row[SOURCE_URL] or None,
                occurred_at=day,
                estimated=True,  # GDELT gives the day, not the time
                tags=("gdelt", f"cameo-{code[:2]}"),
            )
        )
    if old_format:
        result.notes.append(
            f"{old_format} rows are GDELT 1.0 events (57–58 columns) and were rejected; "
            f"this source reads GDELT 2.0 exports ({N_COLUMNS} columns)"
        )
    return result


def poll(config: SourceConfig, fetcher: Fetcher, now: datetime) -> PollResult:
    base = (config.url or DEFAULT_BASE).rstrip("/") + "/"
    listing = fetcher.get(base + "lastupdate.txt", accept_not_modified=False)
    export_url, md5 = latest_export(listing.body, config.name)
    if export_url == config.etag:
        return PollResult(not_modified=True, etag=config.etag)
    archive = fetcher.get(export_url, accept_not_modified=False).body
    if md5 and hashlib.md5(archive, usedforsecurity=False).hexdigest() != md5.lower():
        raise SourceError(
            f"{config.name}: {export_url} does not match its MD5 in lastupdate.txt (partial download?)"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
            names = bundle.namelist()
            if len(names) != 1:
                raise SourceError(f"{config.name}: expected one file in {export_url}, found {len(names)}")
            info = bundle.getinfo(names[0])
            if info.file_size > 200 * 1024 * 1024:
                raise SourceError(f"{config.name}: {names[0]} unpacks to {info.file_size:,} bytes; refused")
            table = bundle.read(names[0])
    except zipfile.BadZipFile:
        raise SourceError(f"{config.name}: {export_url} is not a zip file") from None
    actors = {code.upper() for code in config.settings.get("actors", ["JPN", "RUS"])}
    result = parse_export(table, actors, config.name)
    result.etag = export_url
    return result


KINDS = (
    SourceKind(
        name="gdelt-events",
        label="GDELT event records",
        role="feed",
        poll=poll,
        default_every=900,
        url_help="the GDELT 2.0 events folder holding lastupdate.txt",
        default_url=DEFAULT_BASE,
        settings=(
            Setting(
                "actors",
                "country codes whose events are kept (default JPN,RUS)",
                is_list=True,
                example="JPN,RUS",
            ),
        ),
    ),
)
