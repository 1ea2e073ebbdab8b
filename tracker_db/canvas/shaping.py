"""Validate raw Canvas JSON and shape it into typed polars frames, one per layer-1 table.

Raw rows go to polars with every scalar read as text (``raw_frame``), then each field is parsed
with an explicit rule (integer, number, boolean, ISO timestamp). Parsing through text keeps the
rules ours: polars' own typed construction would quietly turn ``1.5`` into the id ``1`` or
``"5"`` into ``5.0``. Any value that does not parse is reported by resource, id and field.
Everything here is column-wise; there is no per-row Python on the normal path.

What Canvas can send that the store must not get wrong silently, and the rule for each:

* Duplicates. Paging is not a snapshot, so one object can arrive twice. Exact copies (every
  stored field equal: pages that overlapped) are dropped without a word. Copies that differ
  (Canvas changed the object between two pages) keep the later copy, since it was fetched
  later and is the newer one; each such object is counted per table
  (``ShapedSync.conflicts``, named in the sync's summary) and logged as a warning with its
  id and first differing field.
* Course. The client marks every row it fetched for a course with that course
  (``tag_fetched_course``). A section, enrollment or assignment naming another course, or a
  submission whose assignment (or own ``course_id``) belongs to another, is refused.
* Text. A lone surrogate (JSON ``"\\ud800"``, half of a UTF-16 pair) has no UTF-8 form, and
  polars' reader would quietly turn it into NUL: such text in any field the tracker stores is
  refused, naming resource, id and field. Fields the tracker ignores are not looked at.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from tracker_db.errors import DataValidationError

log = logging.getLogger(__name__)

Kind = Literal["id", "int", "float", "bool", "str", "ts"]

RESOURCES = (
    "courses", "sections", "enrollments", "assignment_groups", "assignments", "submissions",
)

_TEXT = pl.String()

# The raw fields read from each resource's JSON; everything else Canvas sends is ignored.
# Nested objects are structs of text fields.
RAW_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "courses": {
        "id": _TEXT, "name": _TEXT, "course_code": _TEXT, "workflow_state": _TEXT,
        "account_id": _TEXT, "start_at": _TEXT, "end_at": _TEXT, "time_zone": _TEXT,
        "total_students": _TEXT, "apply_assignment_group_weights": _TEXT,
        "term": pl.Struct({"id": _TEXT, "name": _TEXT}),
    },
    "sections": {
        "id": _TEXT, "course_id": _TEXT, "name": _TEXT, "sis_section_id": _TEXT,
        "nonxlist_course_id": _TEXT,
    },
    "enrollments": {
        "id": _TEXT, "course_id": _TEXT, "course_section_id": _TEXT, "user_id": _TEXT,
        "type": _TEXT, "enrollment_state": _TEXT, "last_activity_at": _TEXT,
        "total_activity_time": _TEXT,
        "grades": pl.Struct({
            "current_score": _TEXT, "final_score": _TEXT,
            "current_grade": _TEXT, "final_grade": _TEXT,
        }),
        "user": pl.Struct({
            "id": _TEXT, "name": _TEXT, "sortable_name": _TEXT, "short_name": _TEXT,
            "login_id": _TEXT, "sis_user_id": _TEXT,
        }),
    },
    "assignment_groups": {
        "id": _TEXT, "course_id": _TEXT, "name": _TEXT, "position": _TEXT, "group_weight": _TEXT,
    },
    "assignments": {
        "id": _TEXT, "course_id": _TEXT, "assignment_group_id": _TEXT, "name": _TEXT,
        "points_possible": _TEXT, "due_at": _TEXT, "published": _TEXT, "grading_type": _TEXT,
        "omit_from_final_grade": _TEXT, "position": _TEXT,
    },
    "submissions": {
        "id": _TEXT, "assignment_id": _TEXT, "user_id": _TEXT, "workflow_state": _TEXT,
        "score": _TEXT, "grade": _TEXT, "submitted_at": _TEXT, "graded_at": _TEXT,
        "late": _TEXT, "missing": _TEXT, "excused": _TEXT, "seconds_late": _TEXT,
        "attempt": _TEXT, "late_policy_status": _TEXT,
        "course_id": _TEXT,  # not sent by Canvas today; checked against the assignment's if so
    },
}

# (output column, raw field path, kind). Kind "id" is a required 64-bit integer.
FIELD_RULES: dict[str, list[tuple[str, str, Kind]]] = {
    "courses": [
        ("course_id", "id", "id"), ("name", "name", "str"), ("course_code", "course_code", "str"),
        ("workflow_state", "workflow_state", "str"), ("account_id", "account_id", "int"),
        ("term_id", "term.id", "int"), ("term_name", "term.name", "str"),
        ("start_at", "start_at", "ts"), ("end_at", "end_at", "ts"),
        ("time_zone", "time_zone", "str"), ("total_students", "total_students", "int"),
        ("apply_assignment_group_weights", "apply_assignment_group_weights", "bool"),
    ],
    "sections": [
        ("section_id", "id", "id"), ("course_id", "course_id", "id"), ("name", "name", "str"),
        ("sis_section_id", "sis_section_id", "str"),
        ("nonxlist_course_id", "nonxlist_course_id", "int"),
    ],
    "enrollments": [
        ("enrollment_id", "id", "id"), ("course_id", "course_id", "id"),
        ("section_id", "course_section_id", "int"), ("student_id", "user_id", "id"),
        ("type", "type", "str"), ("enrollment_state", "enrollment_state", "str"),
        ("current_score", "grades.current_score", "float"),
        ("final_score", "grades.final_score", "float"),
        ("current_grade", "grades.current_grade", "str"),
        ("final_grade", "grades.final_grade", "str"),
        ("last_activity_at", "last_activity_at", "ts"),
        ("total_activity_time", "total_activity_time", "int"),
        ("user_id_nested", "user.id", "int"), ("name", "user.name", "str"),
        ("sortable_name", "user.sortable_name", "str"), ("short_name", "user.short_name", "str"),
        ("login_id", "user.login_id", "str"), ("sis_user_id", "user.sis_user_id", "str"),
    ],
    "assignment_groups": [
        ("assignment_group_id", "id", "id"), ("course_id", "course_id", "id"),
        ("name", "name", "str"), ("position", "position", "int"),
        ("group_weight", "group_weight", "float"),
    ],
    "assignments": [
        ("assignment_id", "id", "id"), ("course_id", "course_id", "id"),
        ("assignment_group_id", "assignment_group_id", "int"), ("name", "name", "str"),
        ("points_possible", "points_possible", "float"), ("due_at", "due_at", "ts"),
        ("published", "published", "bool"), ("grading_type", "grading_type", "str"),
        ("omit_from_final_grade", "omit_from_final_grade", "bool"),
        ("position", "position", "int"),
    ],
    "submissions": [
        ("submission_id", "id", "id"), ("assignment_id", "assignment_id", "id"),
        ("student_id", "user_id", "id"), ("workflow_state", "workflow_state", "str"),
        ("score", "score", "float"), ("grade", "grade", "str"),
        ("submitted_at", "submitted_at", "ts"), ("graded_at", "graded_at", "ts"),
        ("late", "late", "bool"), ("missing", "missing", "bool"), ("excused", "excused", "bool"),
        ("seconds_late", "seconds_late", "float"), ("attempt", "attempt", "int"),
        ("late_policy_status", "late_policy_status", "str"),
        ("sent_course_id", "course_id", "int"),
    ],
}

_EXPECTED = {
    "id": "an integer id",
    "int": "an integer",
    "float": "a finite number",
    "bool": "true or false",
    "ts": "an ISO-8601 timestamp with a zone (Z or +hh:mm)",
}

# Layer-1 column order per table, i.e. what each shaped frame holds.
TABLE_COLUMNS: dict[str, list[str]] = {
    "courses": [c for c, _, _ in FIELD_RULES["courses"]],
    "sections": [c for c, _, _ in FIELD_RULES["sections"]],
    "students": ["student_id", "name", "sortable_name", "short_name", "login_id", "sis_user_id"],
    "enrollments": [
        "enrollment_id", "course_id", "section_id", "student_id", "enrollment_state",
        "current_score", "final_score", "current_grade", "final_grade", "last_activity_at",
        "total_activity_time",
    ],
    "assignment_groups": [c for c, _, _ in FIELD_RULES["assignment_groups"]],
    "assignments": [c for c, _, _ in FIELD_RULES["assignments"]],
    "submissions": [
        "submission_id", "assignment_id", "course_id", "student_id", "workflow_state", "score",
        "grade", "submitted_at", "graded_at", "late", "missing", "excused", "seconds_late",
        "attempt", "late_policy_status",
    ],
}

TRACKED_ENROLLMENT_TYPE = "StudentEnrollment"

#: The column the client adds to every row it fetched for one course: that course's id. Raw
#: frames read only the fields of ``RAW_SCHEMAS``, so Canvas itself cannot set it.
FETCHED_FOR = "fetched_for_course_id"

# How JSON text spells a UTF-16 surrogate (U+D800-U+DFFF): a cheap test of a whole page.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


@dataclass(frozen=True)
class ShapedSync:
    """Typed frames ready for layer 1, one per ``canvas`` table (columns: TABLE_COLUMNS).

    ``conflicts`` counts, per table, the objects Canvas sent more than once with different
    values (the later copy is the one kept); tables without any are absent.
    """

    courses: pl.DataFrame
    sections: pl.DataFrame
    students: pl.DataFrame
    enrollments: pl.DataFrame
    assignment_groups: pl.DataFrame
    assignments: pl.DataFrame
    submissions: pl.DataFrame
    conflicts: Mapping[str, int] = dataclasses.field(default_factory=dict)

    def tables(self) -> dict[str, pl.DataFrame]:
        """Return ``{table name: frame}`` in dependency order."""
        return {name: getattr(self, name) for name in TABLE_COLUMNS}


def raw_frame(resource: str, rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """Turn raw Canvas JSON rows into a frame of text columns (the raw schema of ``resource``).

    Unknown keys are ignored; missing keys become nulls. A client can call this per page and
    concatenate, so a large sync never holds more than a page of Python dicts.

    Args:
        resource: One of ``RESOURCES``.
        rows: The JSON objects as Canvas returned them (``course_id`` added to assignment
            groups by the caller, since Canvas omits it).

    Raises:
        DataValidationError: A row is not an object, or a field holds a value of the wrong
            shape (e.g. a list where a number belongs).
    """
    schema = _raw_schema(resource)
    try:
        return pl.from_dicts(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    except (pl.exceptions.PolarsError, TypeError, ValueError) as e:
        # polars cannot encode a lone surrogate either: say so rather than "wrong shape".
        problem = _find_lone_surrogate(resource, rows)
        raise problem or _locate_shape_error(resource, rows, schema) from e


def raw_frame_from_json(resource: str, content: bytes) -> pl.DataFrame:
    """Parse one page of Canvas JSON (an array of objects) straight into a raw frame.

    polars' own JSON reader does the work, so no Python dict is made per row: this is the
    client's path for every page it fetches.

    Args:
        resource: One of ``RESOURCES``.
        content: The response body.

    Raises:
        ValueError: The body is not valid JSON (e.g. truncated in transit; worth a retry).
        DataValidationError: Valid JSON of the wrong shape (not a list of objects, a list
            where a number belongs, ...) or text with a lone surrogate, naming the row and
            field.
    """
    schema = _raw_schema(resource)
    if b"\\" in content and _SURROGATE_ESCAPE.search(content):  # most pages: no backslash
        # Rare: an escaped emoji pair matches too, so look at the text Python decoded
        # (polars' reader would have turned a lone surrogate into NUL without a word).
        problem = _find_lone_surrogate(resource, json.loads(content))
        if problem is not None:
            raise problem
    try:
        if content.lstrip()[:1] == b"[":
            return pl.read_json(io.BytesIO(content), schema=schema)
    except pl.exceptions.PolarsError:
        pass  # fall through: find out whether the JSON is broken or just shaped wrong
    rows = json.loads(content)  # ValueError when the JSON itself is broken
    if not isinstance(rows, list):
        raise DataValidationError(
            f"{resource}: Canvas sent a JSON {type(rows).__name__}, expected a list"
        )
    return raw_frame(resource, rows)  # raises a precise error for the offending row


def tag_fetched_course(frame: pl.DataFrame, course_id: int) -> pl.DataFrame:
    """Mark every row of a raw frame as fetched for ``course_id`` (column ``FETCHED_FOR``), so
    shaping refuses a row that names another course."""
    return frame.with_columns(pl.lit(course_id, dtype=pl.Int64).alias(FETCHED_FOR))


def typed_collection(resource: str, raw: pl.DataFrame, course_id: int | None) -> pl.DataFrame:
    """Parse one fetched collection into typed columns as soon as it arrives.

    The client calls this per course, in its worker threads: a program-scale sync then holds
    compact typed columns (64-bit ids, floats, timestamps) instead of every page's text, and
    the parsing runs while other requests are in flight. ``shape_canvas_data`` takes the
    result as it is.

    Args:
        resource: One of ``RESOURCES``.
        raw: The collection's pages (``raw_frame_from_json``), concatenated.
        course_id: The course it was fetched for (None for the course list itself).

    Returns:
        The ``FIELD_RULES`` columns plus ``FETCHED_FOR``, every row kept.

    Raises:
        DataValidationError: Naming the resource, the id and the field of the first value
            that is missing (ids) or does not parse.
    """
    tagged = raw if course_id is None else tag_fetched_course(raw, course_id)
    return _parse_typed(resource, tagged.rechunk())


@functools.cache
def _typed_schema(resource: str) -> pl.Schema:
    """The columns ``_parse_typed`` makes for ``resource`` (what ``typed_collection`` gives)."""
    return _parse_raw(resource, pl.DataFrame(schema=_raw_schema(resource))).schema


def _lone_surrogate(value: object) -> str | None:
    """The first lone surrogate in ``value`` if it is text (UTF-8 has no form for one)."""
    if not isinstance(value, str) or value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        return value[e.start]
    return None


def _find_lone_surrogate(resource: str, rows: object) -> DataValidationError | None:
    """Name the first stored field holding a lone surrogate in rows as Python decoded them
    (a rare path, so a loop is fine); None when there is none."""
    if not isinstance(rows, Sequence) or isinstance(rows, str | bytes):
        return None
    schema = _raw_schema(resource)
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            continue
        for name, dtype in schema.items():
            value = row.get(name)
            if isinstance(dtype, pl.Struct):
                nested = value if isinstance(value, Mapping) else {}
                values = [(f"{name}.{f.name}", nested.get(f.name)) for f in dtype.fields]
            else:
                values = [(name, value)]
            for path, text in values:
                char = _lone_surrogate(text)
                if char is None:
                    continue
                raw_id = row.get("id")
                where = f"{resource} id={_id_text(raw_id)}" if raw_id is not None else (
                    f"{resource}[{index}]"
                )
                return DataValidationError(
                    f"{where}: field {path!r} contains text that cannot be stored exactly (a "
                    f"lone surrogate \\u{ord(char):04x}, half of a character); it must be "
                    "corrected in Canvas before this sync can be stored"
                )
    return None


def _raw_schema(resource: str) -> dict[str, pl.DataType]:
    try:
        return RAW_SCHEMAS[resource]
    except KeyError:
        raise DataValidationError(
            f"unknown Canvas resource {resource!r}; expected one of {', '.join(RESOURCES)}"
        ) from None


def _locate_shape_error(
    resource: str, rows: Sequence[Mapping[str, Any]], schema: dict[str, pl.DataType]
) -> DataValidationError:
    """Find the first row and field polars refused (error path only, so a loop is fine)."""
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            return DataValidationError(
                f"{resource}[{index}]: expected a JSON object, got {type(row).__name__}"
            )
        for field, dtype in schema.items():
            try:
                pl.from_dicts([{field: row.get(field)}], schema={field: dtype})
            except (pl.exceptions.PolarsError, TypeError, ValueError):
                expected = "an object" if isinstance(dtype, pl.Struct) else "a single value"
                return DataValidationError(
                    f"{resource} id={_id_text(row.get('id'))}: field {field!r} has "
                    f"{_preview(row.get(field))}, expected {expected}"
                )
    return DataValidationError(f"{resource}: rows could not be read as Canvas JSON objects")


def _id_text(value: object) -> str:
    """An id from Canvas as text for a message: quoted when it is not a plain number, so odd
    characters (terminal escapes included) cannot pass as part of the message."""
    text = str(value)
    return text if text.isascii() and text.replace(".", "", 1).lstrip("-").isdigit() else (
        repr(text)
    )


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_raw(resource: str, data: object) -> pl.DataFrame:
    """Accept a list of JSON objects or a frame made by ``raw_frame``."""
    schema = _raw_schema(resource)
    if data is None:
        return pl.DataFrame(schema=schema)
    if isinstance(data, pl.DataFrame):
        missing = [pl.lit(None, dtype).alias(f) for f, dtype in schema.items() if f not in data]
        if not missing:
            return data
        tag = [FETCHED_FOR] if FETCHED_FOR in data.columns else []
        return data.with_columns(missing).select([*schema, *tag])
    if isinstance(data, Iterable) and not isinstance(data, str | bytes | Mapping):
        return raw_frame(resource, list(data))
    raise DataValidationError(
        f"{resource}: expected a list of Canvas JSON objects, got {type(data).__name__}"
    )


def _source(path: str) -> pl.Expr:
    head, _, tail = path.partition(".")
    return pl.col(head).struct.field(tail) if tail else pl.col(head)


def _parse(kind: Kind, raw: pl.Expr) -> pl.Expr:
    if kind in ("id", "int"):
        return raw.cast(pl.Int64, strict=False)
    if kind == "float":
        number = raw.cast(pl.Float64, strict=False)
        return pl.when(number.is_finite()).then(number)
    if kind == "bool":
        return raw.replace_strict(
            {"true": True, "false": False}, default=None, return_dtype=pl.Boolean
        )
    if kind == "ts":
        return raw.str.to_datetime(
            format="%+", time_unit="us", time_zone="UTC", strict=False
        )
    return raw


def parse_resource(resource: str, data: object) -> pl.DataFrame:
    """Parse one resource's raw rows into typed columns (``FIELD_RULES``), de-duplicated by id
    (exact copies dropped; of copies that differ, the later kept and logged).

    Raises:
        DataValidationError: Naming the resource, the id and the field of the first value that
            is missing (ids) or does not parse.
    """
    typed = _parse_typed(resource, data).drop(FETCHED_FOR)
    return _drop_duplicates(resource, typed, [FIELD_RULES[resource][0][0]])[0]


def _parse_typed(resource: str, data: object) -> pl.DataFrame:
    """Typed columns (``FIELD_RULES``) and ``FETCHED_FOR`` (null when untagged), every row
    kept, duplicates included.

    Raises:
        DataValidationError: Naming the resource, the id and the field of the first value that
            is missing (ids) or does not parse.
    """
    rules = FIELD_RULES[resource]
    if isinstance(data, pl.DataFrame) and data.schema == _typed_schema(resource):
        # Parsed already, as it arrived (``typed_collection``): only the ids are checked again,
        # since a typed frame could come from elsewhere too.
        for column, path, _kind in (rule for rule in rules if rule[2] == "id"):
            missing = data[column].is_null()
            if missing.any():
                index = missing.arg_true()[0]
                raise DataValidationError(f"{resource}[{index}]: field {path!r} is missing")
        return data
    return _parse_raw(resource, data)


def _parse_raw(resource: str, data: object) -> pl.DataFrame:
    """``_parse_typed`` of rows that are not parsed yet (raw frames or JSON objects)."""
    rules = FIELD_RULES[resource]
    raw = _as_raw(resource, data)
    sources = [_source(path).alias(f"raw:{column}") for column, path, _ in rules]
    typed = [_parse(kind, _source(path)).alias(column) for column, path, kind in rules]
    tag = (
        pl.col(FETCHED_FOR).cast(pl.Int64) if FETCHED_FOR in raw.columns
        else pl.lit(None, dtype=pl.Int64).alias(FETCHED_FOR)
    )
    frame = raw.select(*sources, *typed, tag)

    problems = [
        (
            column,
            path,
            kind,
            # A required id must be present and parse; any other field may be null.
            pl.col(column).is_null()
            if kind == "id"
            else pl.col(f"raw:{column}").is_not_null() & pl.col(column).is_null(),
        )
        for column, path, kind in rules
    ]
    if resource == "enrollments":
        # Canvas sends both user_id and user.id; an enrollment may carry either.
        problems = [p for p in problems if p[0] != "student_id"]
        frame = frame.with_columns(pl.coalesce("student_id", "user_id_nested").alias("student_id"))
        problems.append(("student_id", "user_id", "id", pl.col("student_id").is_null()))
    flags = frame.select(
        [mask.alias(column) for column, _, _, mask in problems]
    )
    any_bad = flags.select(pl.any_horizontal(pl.all()).any()).item()
    if any_bad:
        raise _first_problem(resource, frame, flags, problems)

    return frame.select(*[column for column, _, _ in rules], FETCHED_FOR)


def _drop_duplicates(table: str, frame: pl.DataFrame, key: list[str]) -> tuple[pl.DataFrame, int]:
    """Keep one row per ``key``: exact copies dropped, of copies that differ the later one.

    Only frames that hold a repeated key pay for more than one pass over the key.

    Returns:
        The rows, and how many keys had copies with different values (the first one logged
        with its first differing field).
    """
    if frame.height < 2:
        return frame, 0
    # Distinct hashes mean distinct keys: the usual case is told with one small column, not
    # the table of every key that n_unique builds (hundreds of MB for a million pairs).
    hashes = frame.select(pl.struct(key).hash().n_unique()).item()
    if hashes == frame.height or frame.n_unique(subset=key) == frame.height:
        return frame, 0
    copies = frame.filter(frame.select(key).is_duplicated())
    distinct = copies.unique(keep="first", maintain_order=True)
    differing = distinct.filter(distinct.select(key).is_duplicated())
    conflicts = differing.n_unique(subset=key) if differing.height else 0
    if conflicts:
        versions = differing.join(differing.head(1).select(key), on=key, how="semi").rows(
            named=True
        )
        first = versions[0]
        field_name = next(
            (c for c in frame.columns if any(v[c] != first[c] for v in versions[1:])), "?"
        )
        where = (
            f"id={first[key[0]]}" if len(key) == 1
            else " ".join(f"{k}={first[k]}" for k in key)
        )
        log.warning(
            "%s %s: Canvas sent copies with different values (first difference in field %r); "
            "the later copy was kept (%d such in %s)",
            table, where, field_name, conflicts, table,
        )
    return frame.unique(subset=key, keep="last", maintain_order=True), conflicts


def _first_problem(
    resource: str,
    frame: pl.DataFrame,
    flags: pl.DataFrame,
    problems: list[tuple[str, str, Kind, pl.Expr]],
) -> DataValidationError:
    id_column, id_path = FIELD_RULES[resource][0][0], FIELD_RULES[resource][0][1]
    row = flags.with_row_index("_row").filter(pl.any_horizontal(pl.exclude("_row"))).row(
        0, named=True
    )
    index = row["_row"]
    raw_id = frame[f"raw:{id_column}"][index]
    for column, path, kind, _ in problems:
        if row[column]:
            value = frame[f"raw:{column}"][index] if f"raw:{column}" in frame else None
            where = f"{resource} id={_id_text(raw_id)}" if raw_id is not None else (
                f"{resource}[{index}]"
            )
            if value is None:
                return DataValidationError(f"{where}: field {path!r} is missing")
            return DataValidationError(
                f"{where}: field {path!r} has {_preview(value)}, expected {_EXPECTED[kind]}"
            )
    return DataValidationError(f"{resource}[{index}]: invalid {id_path}")


def shape_canvas_data(canvas_api_data: Mapping[str, object]) -> ShapedSync:
    """Validate a whole sync's raw Canvas data and shape it for layer 1.

    Rules: enrollments other than ``StudentEnrollment`` (teachers, TAs, the test student's
    ``StudentViewEnrollment``) are not students of the tracker, and neither are their
    submissions; every object is de-duplicated by id (exact copies dropped; of copies that
    differ, the later kept and counted in ``conflicts``); a student in two sections is one
    student with two enrollments. References must resolve: a section, enrollment, group or
    assignment of an unknown course, or a submission of an unknown assignment, is invalid;
    so is a row fetched for one course (``tag_fetched_course``) that names another.

    Args:
        canvas_api_data: ``{resource: rows}`` for ``RESOURCES``; missing keys mean empty.

    Returns:
        The typed frames.

    Raises:
        DataValidationError: Naming the resource, the id and the field.
    """
    if not isinstance(canvas_api_data, Mapping):
        raise DataValidationError(
            f"canvas_api_data must be a mapping of resource to rows, got "
            f"{type(canvas_api_data).__name__}"
        )
    unknown = sorted(set(canvas_api_data) - set(RESOURCES))
    if unknown:
        raise DataValidationError(
            f"canvas_api_data has unknown keys {unknown}; expected some of {list(RESOURCES)}"
        )
    typed = {r: _parse_typed(r, canvas_api_data.get(r)) for r in RESOURCES}
    # Every copy is checked before duplicates go, so a wrong copy cannot hide behind a right one.
    for resource in ("sections", "enrollments", "assignments"):
        _refuse_other_course(
            resource, typed[resource], pl.col("course_id") != pl.col(FETCHED_FOR),
            "field 'course_id' names course {course_id}, but Canvas sent it among the "
            "{resource} of course {fetched_for_course_id}",
        )
    conflicts: dict[str, int] = {}

    def unique_rows(table: str, frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
        kept, count = _drop_duplicates(table, frame, key)
        if count:
            conflicts[table] = conflicts.get(table, 0) + count
        return kept

    parsed = {
        r: unique_rows(r, typed[r].drop(FETCHED_FOR), [FIELD_RULES[r][0][0]])
        for r in RESOURCES if r != "submissions"
    }

    courses = parsed["courses"]
    course_ids = courses.select("course_id")
    for resource in ("sections", "enrollments", "assignment_groups", "assignments"):
        _require_known(resource, parsed[resource], "course_id", course_ids, "course")

    enrollments_all = parsed["enrollments"]
    students_enrollments = enrollments_all.filter(
        pl.col("type").is_null() | (pl.col("type") == TRACKED_ENROLLMENT_TYPE)
    )
    students = unique_rows(
        "students", students_enrollments.select(TABLE_COLUMNS["students"]), ["student_id"]
    )

    assignments = parsed["assignments"]
    submissions = typed["submissions"]
    _require_known(
        "submissions", submissions, "assignment_id",
        assignments.select("assignment_id"), "assignment",
    )
    # The largest table: its assignment's course is an expression, checked but never added
    # as a column. A new column would be one chunk beside the frame's one chunk per page, and
    # the next frame operation would line every column up anew: a copy of a million rows (a
    # program-scale sync's memory is such copies).
    known_assignments = assignments.select("assignment_id", "course_id")
    assignment_course = pl.col("assignment_id").replace_strict(
        known_assignments["assignment_id"], known_assignments["course_id"],
        default=None, return_dtype=pl.Int64,
    )
    named_course = {"course_id": assignment_course}
    _refuse_other_course(
        "submissions", submissions, pl.col("sent_course_id") != pl.col(FETCHED_FOR),
        "field 'course_id' names course {sent_course_id}, but Canvas sent it among the "
        "submissions of course {fetched_for_course_id}",
    )
    _refuse_other_course(
        "submissions", submissions, assignment_course != pl.col(FETCHED_FOR),
        "field 'assignment_id' names assignment {assignment_id} of course {course_id}, but "
        "Canvas sent it among the submissions of course {fetched_for_course_id}",
        named=named_course,
    )
    _refuse_other_course(
        "submissions", submissions, pl.col("sent_course_id") != assignment_course,
        "field 'course_id' names course {sent_course_id}, but its assignment "
        "{assignment_id} belongs to course {course_id}",
        named=named_course,
    )
    # Every assignment is known and lies in the course it was fetched for, so that course
    # is each submission's course; rows fetched for no course (not from the client) take
    # their assignment's.
    if submissions[FETCHED_FOR].has_nulls():
        submissions = submissions.with_columns(pl.col(FETCHED_FOR).fill_null(assignment_course))
    submissions = unique_rows(
        "submissions",
        submissions.drop("sent_course_id").rename({FETCHED_FOR: "course_id"}),
        ["submission_id"],
    )
    submissions = unique_rows(
        "submissions",
        # Only students of the tracker: drops the test student's and teachers' submissions.
        # (A filter, not a semi join: when every row is kept it copies nothing.)
        submissions.filter(
            pl.struct("course_id", "student_id").is_in(
                students_enrollments.select(pl.struct("course_id", "student_id"))
                .to_series().implode()
            )
        ),
        ["assignment_id", "student_id"],  # one submission per student and assignment
    )

    return ShapedSync(
        courses=courses.select(TABLE_COLUMNS["courses"]),
        sections=parsed["sections"].select(TABLE_COLUMNS["sections"]),
        students=students,
        enrollments=students_enrollments.select(TABLE_COLUMNS["enrollments"]),
        assignment_groups=parsed["assignment_groups"].select(TABLE_COLUMNS["assignment_groups"]),
        assignments=assignments.select(TABLE_COLUMNS["assignments"]),
        submissions=submissions.select(TABLE_COLUMNS["submissions"]),
        conflicts=conflicts,
    )


def _refuse_other_course(
    resource: str, frame: pl.DataFrame, wrong: pl.Expr, says: str,
    named: dict[str, pl.Expr] | None = None,
) -> None:
    """Refuse the rows matching ``wrong``: rows that name another course than they should.

    A comparison with a null (an untagged row, no ``course_id`` sent) matches nothing.

    Args:
        resource: What the rows are.
        frame: Typed rows with ``FETCHED_FOR``.
        wrong: Which rows to refuse.
        says: What is wrong, formatted with the first such row's columns (the tag is
            ``{fetched_for_course_id}``) and ``{resource}``.
        named: Columns ``says`` names that the frame lacks, computed for refused rows only.
    """
    # Counted first, on the columns ``wrong`` reads: filtering the whole frame would copy
    # every column of a million submissions (its chunks, one per page, lined up anew).
    if not frame.select(wrong.fill_null(False).any()).item():
        return
    rows = frame.filter(wrong).with_columns(**(named or {}))
    if rows.height:
        first = rows.row(0, named=True)
        raise DataValidationError(
            f"{resource} id={first[FIELD_RULES[resource][0][0]]}: "
            f"{says.format(resource=resource, **first)} "
            f"({rows.height} such row(s)); nothing was stored: sync again, and if this "
            "persists, tell your Canvas administrator"
        )


def _require_known(
    resource: str, frame: pl.DataFrame, column: str, known: pl.DataFrame, what: str
) -> None:
    orphans = frame.join(known, left_on=column, right_on=known.columns[0], how="anti")
    if orphans.height:
        first = orphans.row(0, named=True)
        id_column = FIELD_RULES[resource][0][0]
        raise DataValidationError(
            f"{resource} id={first[id_column]}: field {column!r} refers to unknown {what} "
            f"{first[column]} ({orphans.height} such row(s))"
        )
