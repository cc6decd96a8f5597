"""The directory of cluster organisations: validating, saving and showing profiles.

Rules that the web, the CLI and imports share live here:

* every code is checked against its catalogue (countries, NUTS 2021, NACE Rev.2, the 51 cluster
  categories, languages) and every problem is reported at once, with the field and value;
* only a profile's admins and site admins may change it; whoever creates a profile becomes its
  first admin;
* edits are optimistic: the editor says which version they edited, and a save against a newer
  version is refused with what changed meanwhile, instead of silently overwriting it;
* every save writes a revision (field → [before, after]) and re-indexes the profile for keyword
  and semantic search in the same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from clusterhub.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
    validation_problems,
)
from clusterhub.services import audit
from clusterhub.services.accounts.users import Role, UserPublic, normalise_email, require
from clusterhub.services.directory import indexing
from clusterhub.services.directory.checks import ProfileChecker
from clusterhub.services.directory.facts import (
    MEMBER_FIELDS,
    eligibility,
    label_status,
    size_band,
)
from clusterhub.services.directory.schemas import (
    LabelReview,
    OrganisationInput,
    OrganisationPublic,
    OrganisationSummary,
    PartnershipSummary,
    RevisionPublic,
)
from clusterhub.services.embeddings import Embedder
from clusterhub.services.reference import Catalogues
from clusterhub.store.models import (
    Organisation,
    OrganisationAdmin,
    OrganisationCluster,
    OrganisationRevision,
    Partnership,
    PartnershipMember,
    User,
    utcnow,
)

#: Fields that ``OrganisationInput`` and the table share (everything a profile editor may set).
PROFILE_FIELDS = tuple(name for name in OrganisationInput.model_fields if name != "key")
#: What people may change; whether a profile is synthetic is the importer's statement.
EDITABLE_FIELDS = tuple(name for name in PROFILE_FIELDS if name != "is_synthetic")
#: Changing either makes a label the editor's statement again, however it was reviewed.
LABEL_FIELDS = frozenset({"label", "label_valid_until"})


# --- validation -------------------------------------------------------------------------------


def validate(
    data: Mapping[str, Any] | OrganisationInput,
    catalogues: Catalogues,
    *,
    file: str | None = None,
    line: int | None = None,
) -> OrganisationInput:
    """A profile with every code checked and normalised, or ``InvalidInput`` listing all problems.

    ``file`` and ``line`` are copied into each problem, so an import can say where it was.
    The result's ``model_fields_set`` is the fields ``data`` gave, and those derived from them
    (the country from a region, the member total from members by type): what an upsert writes
    onto an existing profile (see ``upsert_profiles``).
    """
    checker = ProfileChecker(catalogues, file=file, line=line)
    if not isinstance(data, OrganisationInput):
        raw = data
        try:
            data = OrganisationInput.model_validate(raw)
        except ValidationError as error:
            shape = validation_problems(error.errors(), file=file, line=line)
            checker.check(_well_formed_part(raw, shape))
            raise _invalid(shape + checker.problems) from None
    clean = checker.check(data)
    if checker.problems:
        raise _invalid(checker.problems)
    return only_fields(clean, _with_derived(data.model_fields_set))


def _well_formed_part(data: Mapping[str, Any], shape: list[Problem]) -> OrganisationInput:
    """``data`` without the fields whose shape is wrong, so the code checks can still report
    the other fields' problems: a form shows every problem at once, not one kind per submit.
    The name, the one required field, is a stand-in when it is among the wrong ones."""
    wrong = {(p.field or "").split(".")[0] for p in shape}
    rest = {k: v for k, v in data.items() if k not in wrong}
    try:
        return OrganisationInput.model_validate({"name": "-", **rest})
    except ValidationError:  # not expected: every wrong field was dropped
        return OrganisationInput(name="-")


def merge(
    current: OrganisationInput,
    changes: Mapping[str, Any],
    catalogues: Catalogues,
    *,
    file: str | None = None,
    line: int | None = None,
) -> OrganisationInput:
    """``current`` with ``changes`` (some fields) applied, validated as one profile, so rules
    across fields (a label needs its date, a region lies in the country) hold for the result.

    Its ``model_fields_set`` is the changed fields and those derived from them: a partial edit
    or import changes those and leaves every other field as stored.
    """
    changes = _with_derived_total(current, changes)
    merged = validate(
        {**current.model_dump(exclude_none=True), **changes}, catalogues, file=file, line=line
    )
    return only_fields(merged, _with_derived(set(changes)))


def only_fields(record: OrganisationInput, fields: Iterable[str]) -> OrganisationInput:
    """``record`` with ``fields`` as its set fields: an upsert writes those onto an existing
    profile and leaves the others as stored (a new profile takes every field)."""
    return OrganisationInput.model_construct(_fields_set=set(fields), **dict(record))


def _with_derived(fields: set[str]) -> set[str]:
    """``fields`` and the fields ``validate`` derives from them."""
    derived = {"country"} if "nuts_code" in fields else set()
    if fields & set(MEMBER_FIELDS):
        derived.add("members_total")
    return fields | derived


def _invalid(problems: list[Problem]) -> InvalidInput:
    summary = str(problems[0]) if len(problems) == 1 else f"{len(problems)} problems in the profile"
    return InvalidInput(problems, summary=summary)


# --- reading ----------------------------------------------------------------------------------


def summary(org: Organisation) -> OrganisationSummary:
    """The list/search shape of a profile."""
    return OrganisationSummary.model_validate(_summary_fields(org))


def _summary_fields(org: Organisation) -> dict[str, Any]:
    return {
        **{
            name: getattr(org, name)
            for name in OrganisationSummary.model_fields
            if hasattr(org, name)
        },
        "cluster_codes": [c.cluster_code for c in org.clusters],
        "label_status": label_status(org.label, org.label_valid_until),
        "label_review": org.label_review if org.label else None,
        "size_band": size_band(org.members_total),
    }


def get_profile(
    session: Session, *, organisation_id: int, viewer: UserPublic | None
) -> OrganisationPublic:
    """A full profile; contacts only for logged-in viewers (the platform's rule)."""
    org = _organisation(session, organisation_id)
    fields = {
        **{
            name: getattr(org, name)
            for name in OrganisationPublic.model_fields
            if hasattr(org, name)
        },
        **_summary_fields(org),
        "eligibility": eligibility(org),
        "partnerships": _partnerships(session, org.id),
        "label_review_note": _review_note(session, org, viewer),
    }
    if viewer is None:
        fields.update(contact_name=None, contact_email=None, contact_phone=None)
    return OrganisationPublic.model_validate(fields)


def _review_note(session: Session, org: Organisation, viewer: UserPublic | None) -> str | None:
    """A verification's evidence is public; a rejection's reason is for the profile's admins,
    programme officers and site admins."""
    if org.label is None or org.label_review == LabelReview.DECLARED:
        return None
    if org.label_review == LabelReview.VERIFIED:
        return org.label_review_note
    allowed = viewer is not None and (
        viewer.at_least(Role.PROGRAMME_OFFICER)
        or can_edit(session, actor=viewer, organisation_id=org.id)
    )
    return org.label_review_note if allowed else None


def find_by_key(session: Session, *, key: str) -> int:
    """The id of the profile with a stable key."""
    found = session.scalar(select(Organisation.id).where(Organisation.key == key))
    if found is None:
        raise NotFound(f"no profile with key {key!r}")
    return found


def _organisation(session: Session, organisation_id: int) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"no profile with id {organisation_id}")
    return org


def _partnerships(session: Session, organisation_id: int) -> list[PartnershipSummary]:
    rows = session.execute(
        select(Partnership, PartnershipMember.role)
        .join(PartnershipMember, PartnershipMember.partnership_id == Partnership.id)
        .where(PartnershipMember.organisation_id == organisation_id)
        .order_by(Partnership.name)
    )
    return [
        PartnershipSummary.model_validate(
            {**PartnershipSummary.model_validate(p).model_dump(), "role": role}
        )
        for p, role in rows
    ]


def my_profiles(session: Session, *, actor: UserPublic) -> list[OrganisationSummary]:
    """The profiles ``actor`` administers, by name."""
    rows = session.scalars(
        select(Organisation)
        .join(OrganisationAdmin, OrganisationAdmin.organisation_id == Organisation.id)
        .where(OrganisationAdmin.user_id == actor.id)
        .order_by(Organisation.name)
    )
    return [summary(org) for org in rows]


def can_edit(session: Session, *, actor: UserPublic | None, organisation_id: int) -> bool:
    """Whether ``actor`` may change the profile: one of its admins, or a site admin."""
    if actor is None:
        return False
    if Role(actor.role) is Role.SITE_ADMIN:
        return True
    return (
        session.get(OrganisationAdmin, {"organisation_id": organisation_id, "user_id": actor.id})
        is not None
    )


def _require_editor(
    session: Session, actor: UserPublic | None, organisation_id: int, *, writes: bool = True
) -> None:
    """One of the profile's admins (or a site admin); to write, with a verified address."""
    require(session, actor=actor, minimum=Role.MEMBER, verified=writes)
    if not can_edit(session, actor=actor, organisation_id=organisation_id):
        raise PermissionDenied("only this profile's admins may change it")


def history(
    session: Session, *, organisation_id: int, actor: UserPublic | None
) -> list[RevisionPublic]:
    """Every saved change of a profile, newest first (admins only)."""
    _organisation(session, organisation_id)
    _require_editor(session, actor, organisation_id, writes=False)
    rows = session.execute(
        select(OrganisationRevision, User.display_name)
        .outerjoin(User, User.id == OrganisationRevision.user_id)
        .where(OrganisationRevision.organisation_id == organisation_id)
        .order_by(OrganisationRevision.version.desc())
    )
    return [
        RevisionPublic(version=r.version, at=r.at, user=name, source=r.source, changes=r.changes)
        for r, name in rows
    ]


# --- writing ----------------------------------------------------------------------------------


def create_profile(
    session: Session,
    *,
    data: OrganisationInput,
    actor: UserPublic,
    catalogues: Catalogues,
    embedder: Embedder | None,
) -> OrganisationPublic:
    """Save a new profile owned by ``actor`` (who becomes its first admin)."""
    user = require(session, actor=actor, minimum=Role.MEMBER, verified=True)
    clean = validate(data, catalogues)
    if clean.is_synthetic:
        raise InvalidInput.single(
            "only imports mark profiles as synthetic (clusterhub directory demo)",
            field="is_synthetic",
        )
    key = clean.key or f"user:{secrets.token_hex(8)}"
    if session.scalar(select(Organisation.id).where(Organisation.key == key)) is not None:
        raise Conflict(f"a profile with key {key!r} already exists")
    org = Organisation(key=key, source="user", version=1)
    changes = _apply(org, clean, PROFILE_FIELDS)
    session.add(org)
    session.flush()
    session.add(OrganisationAdmin(organisation_id=org.id, user_id=user.id))
    if Role(user.role).rank < Role.ORG_ADMIN.rank:
        user.role = Role.ORG_ADMIN
    _record(session, org, changes, source="edit", user_id=user.id)
    indexing.index_profiles(session, [org], catalogues=catalogues, embedder=embedder)
    audit.record(
        session, actor_id=user.id, action="directory.create", entity_type="organisation",
        entity_id=org.id, details={"key": key, "name": org.name},
    )  # fmt: skip
    return get_profile(session, organisation_id=org.id, viewer=actor)


def update_profile(
    session: Session,
    *,
    organisation_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    actor: UserPublic | None,
    catalogues: Catalogues,
    embedder: Embedder | None,
) -> OrganisationPublic:
    """Apply ``changes`` (a partial profile) unless someone saved after ``expected_version``."""
    org = _organisation(session, organisation_id)
    _require_editor(session, actor, organisation_id)
    if org.version != expected_version:
        raise _stale(session, org, expected_version)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput.single("not an editable profile field", field=unknown[0])
    merged = merge(_as_input(org), changes, catalogues)
    diff = _apply(org, merged, _set_fields(merged))
    if not diff:
        return get_profile(session, organisation_id=org.id, viewer=actor)
    org.updated_at = utcnow()
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("someone else saved this profile at the same moment; reload it") from None
    assert actor is not None  # _require_editor refuses anonymous editors
    _record(session, org, diff, source="edit", user_id=actor.id)
    indexing.index_profiles(session, [org], catalogues=catalogues, embedder=embedder)
    audit.record(
        session, actor_id=actor.id, action="directory.update", entity_type="organisation",
        entity_id=org.id, details={"fields": sorted(diff), "version": org.version},
    )  # fmt: skip
    return get_profile(session, organisation_id=org.id, viewer=actor)


def _with_derived_total(current: OrganisationInput, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Keep a derived member total derived: when the stored total is the sum of the types and an
    edit changes a type but not the total, the total follows."""
    result = dict(changes)
    parts = [getattr(current, name) for name in MEMBER_FIELDS]
    derived = current.members_total == sum(p or 0 for p in parts)
    if derived and "members_total" not in result and set(MEMBER_FIELDS) & set(result):
        result["members_total"] = None
    return result


def _stale(session: Session, org: Organisation, expected: int) -> Conflict:
    newer = session.scalars(
        select(OrganisationRevision)
        .where(OrganisationRevision.organisation_id == org.id)
        .where(OrganisationRevision.version > expected)
    )
    fields = sorted({name for revision in newer for name in revision.changes})
    return Conflict(
        f"this profile was changed since you opened it (your version {expected}, now "
        f"{org.version}; changed: {', '.join(fields) or 'unknown'}). "
        "Reload it and apply your edit again.",
        details={"current_version": org.version, "changed_fields": fields},
    )


def delete_profile(session: Session, *, organisation_id: int, actor: UserPublic | None) -> None:
    """Remove a profile and everything attached to it (admins only)."""
    org = _organisation(session, organisation_id)
    _require_editor(session, actor, organisation_id)
    indexing.unindex(session, [org.id])
    audit.record(
        session,
        actor_id=actor.id if actor else None,
        action="directory.delete",
        entity_type="organisation",
        entity_id=org.id,
        details={"key": org.key, "name": org.name},
    )
    session.delete(org)


def add_admin(
    session: Session, *, organisation_id: int, email: str, actor: UserPublic | None
) -> None:
    """Let a colleague (an existing account) edit the profile too."""
    _require_editor(session, actor, organisation_id)
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound("no account with that e-mail address; ask them to register first")
    if session.get(OrganisationAdmin, {"organisation_id": organisation_id, "user_id": user.id}):
        return
    session.add(OrganisationAdmin(organisation_id=organisation_id, user_id=user.id))
    if Role(user.role).rank < Role.ORG_ADMIN.rank:
        user.role = Role.ORG_ADMIN
    audit.record(
        session,
        actor_id=actor.id if actor else None,
        action="directory.add_admin",
        entity_type="organisation",
        entity_id=organisation_id,
        details={"user_id": user.id},
    )


def upsert_profiles(
    session: Session,
    *,
    records: Sequence[OrganisationInput],
    source: str,
    catalogues: Catalogues,
    embedder: Embedder | None,
    progress: indexing.Progress | None = None,
) -> tuple[int, int, int]:
    """Create or update profiles by their ``key`` (validated records); returns
    ``(created, updated, unchanged)``. The caller's transaction makes it all-or-nothing.

    A new profile takes every field of its record (defaults where the source said nothing);
    an existing one only the record's set fields (``model_fields_set``), so a field a source
    does not have, or a column a file leaves out, never blanks what is stored. An empty value
    that *is* given (an empty cell, JSON ``null``, ``""``, ``[]``) clears its field.
    """
    keys = [r.key for r in records]
    if any(k is None for k in keys):
        raise InvalidInput.single("every imported profile needs a key", field="key")
    existing = _by_keys(session, [str(k) for k in keys])
    touched: list[Organisation] = []
    created = updated = 0
    pending: list[tuple[Organisation, dict[str, list[Any]]]] = []
    for record in records:
        org = existing.get(str(record.key))
        fields = _set_fields(record)
        if org is None:
            org = Organisation(key=record.key, source=source, version=1)
            session.add(org)
            created += 1
            fields = PROFILE_FIELDS
        diff = _apply(org, record, fields)
        if org.id is not None and not diff:
            continue
        if org.id is not None:
            org.updated_at = utcnow()
            updated += 1
        touched.append(org)
        pending.append((org, diff))
    session.flush()
    for org, diff in pending:
        _record(session, org, diff, source=f"import:{source}", user_id=None)
    indexing.index_profiles(
        session, touched, catalogues=catalogues, embedder=embedder, progress=progress
    )
    return created, updated, len(records) - created - updated


def _by_keys(session: Session, keys: Sequence[str]) -> dict[str, Organisation]:
    """Stored profiles by key (queried 900 keys at a time: SQLite's limit is 999)."""
    return {
        org.key: org
        for start in range(0, len(keys), 900)
        for org in session.scalars(
            select(Organisation).where(Organisation.key.in_(keys[start : start + 900]))
        )
    }


def stored_inputs(session: Session, *, keys: Sequence[str]) -> dict[str, OrganisationInput]:
    """The stored profiles of ``keys`` (those that exist) as inputs, to merge changes onto."""
    return {key: _as_input(org) for key, org in _by_keys(session, keys).items()}


def _set_fields(record: OrganisationInput) -> tuple[str, ...]:
    """The profile fields ``record`` sets, in the profile's order (revisions list them so)."""
    return tuple(name for name in PROFILE_FIELDS if name in record.model_fields_set)


def _as_input(org: Organisation) -> OrganisationInput:
    values = {name: getattr(org, name) for name in PROFILE_FIELDS if name != "cluster_codes"}
    values["cluster_codes"] = [c.cluster_code for c in org.clusters]
    return OrganisationInput.model_validate(values)


def _apply(
    org: Organisation, data: OrganisationInput, fields: Iterable[str]
) -> dict[str, list[Any]]:
    """Copy ``fields`` from ``data`` onto ``org``; the changes as field → [before, after]."""
    changes: dict[str, list[Any]] = {}
    for name in fields:
        after = getattr(data, name)
        if name == "cluster_codes":
            before = [c.cluster_code for c in org.clusters] if org.id is not None else []
            # Stored codes come back sorted (the relationship's order): compare as sets.
            changed = sorted(before) != sorted(after)
            # A new profile always gets its list set, even empty: otherwise reading
            # ``clusters`` after the flush lazy-loads it, one query per profile.
            if changed or org.id is None:
                keep = {c.cluster_code: c for c in org.clusters if c.cluster_code in after}
                org.clusters = [keep.get(c) or OrganisationCluster(cluster_code=c) for c in after]
            if changed:
                changes[name] = [before, after]
            continue
        before = getattr(org, name) if org.id is not None else None
        if hasattr(after, "value"):
            after = after.value
        if before != after and not (before is None and after in ([], "")):
            setattr(org, name, after)
            changes[name] = [_jsonable(before), _jsonable(after)]
    if org.id is not None and LABEL_FIELDS & changes.keys():
        changes.update(_redeclare(org))
    return changes


def _redeclare(org: Organisation) -> dict[str, list[Any]]:
    """An edited label (or date) is its editor's statement again: a verification or rejection
    was about the label as it was. Returns the change for the revision."""
    if org.label_review == LabelReview.DECLARED:
        return {}
    before = org.label_review
    org.label_review = LabelReview.DECLARED.value
    org.label_reviewed_by = org.label_reviewed_at = org.label_review_note = None
    return {"label_review": [before, LabelReview.DECLARED.value]}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _record(
    session: Session,
    org: Organisation,
    changes: dict[str, list[Any]],
    *,
    source: str,
    user_id: int | None,
) -> None:
    session.add(
        OrganisationRevision(
            organisation_id=org.id,
            version=org.version,
            user_id=user_id,
            source=source,
            changes=changes,
        )
    )


def remove_all_from_source(session: Session, *, source: str) -> int:
    """Delete every profile an import source created (e.g. to drop synthetic demo data)."""
    ids = list(session.scalars(select(Organisation.id).where(Organisation.source == source)))
    indexing.unindex(session, ids)
    for start in range(0, len(ids), 900):
        session.execute(delete(Organisation).where(Organisation.id.in_(ids[start : start + 900])))
    return len(ids)
