"""Module boundaries and house rules that code review alone would miss.

In the spirit of harlequin's import-hygiene test: the layout by domain is only worth having
if the imports keep to it, so these read the source (never import it) and fail naming the
file and the rule.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tracker_db.db import parse_statements
from tracker_db.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker_db"
PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imported(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function, as dotted names.

    ``from tracker_db.store import history`` counts as ``tracker_db.store.history`` when
    that is a module, else as ``tracker_db.store``.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                names.add(candidate if candidate in MODULES else node.module)
    return names


def _internal_graph() -> dict[str, set[str]]:
    return {name: {m for m in _imported(path) if m in MODULES} for name, path in MODULES.items()}


def _is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_tracker_db_never_imports_streamlit():
    offenders = [name for name, path in MODULES.items()
                 if any(_is_within(m, "streamlit") for m in _imported(path))]
    assert offenders == []


def test_tracker_db_has_no_import_cycles():
    graph = _internal_graph()
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_sees_imports_inside_functions(tmp_path):
    # The rule must not be dodged by moving an import into a function.
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from tracker_db.store import history\n")
    assert _imported(source) == {"tracker_db.store.history"}


# Pages talk to tracker_db through its public surface: read models to read; edits, review and
# the sync runner to change things. The stored domains' writers, and the sync's write, are
# behind those.
PAGE_FORBIDDEN = ("tracker_db.store", "tracker_db.sync.write", "tracker_db.canvas", "duckdb")


def test_pages_never_import_the_store_write_modules():
    problems = [
        f"{path.name} imports {module}"
        for path in PAGES for module in sorted(_imported(path))
        if any(_is_within(module, forbidden) for forbidden in PAGE_FORBIDDEN)
    ]
    assert problems == []


def test_read_models_never_import_writers():
    writers = ("tracker_db.store", "tracker_db.sync", "tracker_db.edits", "tracker_db.review",
               "tracker_db.maintenance", "tracker_db.migrate")
    problems = [
        f"{name} imports {module}"
        for name, path in MODULES.items() if _is_within(name, "tracker_db.read_models")
        for module in sorted(_imported(path))
        if any(_is_within(module, writer) for writer in writers)
    ]
    assert problems == []


def test_db_is_the_bottom_layer():
    # db knows nothing of the schema (migrate), the domains or the sync.
    allowed = {"tracker_db.config", "tracker_db.errors"}
    assert {m for m in _internal_graph()["tracker_db.db"]} <= allowed


def test_the_app_runtime_never_loads_the_fake_canvas():
    # The fake Canvas ships for the demo and the tests; importing everything the app and the
    # CLI run must not load it (or its data generators).
    runtime = sorted(
        name for name in MODULES
        if not _is_within(name, "tracker_db.fake_canvas") and name != "tracker_db.sync.demo"
    )
    code = textwrap.dedent(f"""
        import importlib, sys
        sys.path.insert(0, {str(ROOT)!r})
        for name in {runtime!r} + ["pages.common"]:
            importlib.import_module(name)
        loaded = sorted(m for m in sys.modules if m.startswith("tracker_db.fake_canvas"))
        print(",".join(loaded))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
    # ...and the check itself can see the fake when something does load it.
    code = code.replace('+ ["pages.common"]', '+ ["tracker_db.sync.demo"]')
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert "tracker_db.fake_canvas" in result.stdout


# ---------------------------------------------------------------------------------------------
# One writer per table

# schema (or schema.table) -> the one module whose code and SQL file may write it.
OWNERS = {
    "canvas": "tracker_db.store.snapshot",
    "history": "tracker_db.store.history",
    "lifecycle": "tracker_db.store.lifecycle",
    "summary": "tracker_db.store.summaries",
    "meta": "tracker_db.store.teacher_data",
    "ops.sync_runs": "tracker_db.store.sync_runs",
    "ops.sync_attempts": "tracker_db.store.sync_runs",
    "ops.schema_migrations": "tracker_db.migrate",
    "ops.write_token": "tracker_db.db",
    "ops.settings": "tracker_db.store.settings",
}
_WRITE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)\.(\w+)", re.IGNORECASE)


def _owner(schema: str, table: str) -> str | None:
    return OWNERS.get(f"{schema}.{table}", OWNERS.get(schema))


def _statement_files() -> dict[str, Path]:
    """``{module: its statement file}`` for sql/ outside migrations (sql/x/y.sql <-> x.y)."""
    return {
        "tracker_db." + ".".join(p.relative_to(ROOT / "sql").with_suffix("").parts): p
        for p in sorted((ROOT / "sql").rglob("*.sql")) if "migrations" not in p.parts
    }


def test_each_table_is_written_by_one_module():
    sources = [(name, path) for name, path in MODULES.items()]
    sources += list(_statement_files().items())
    problems = []
    for module, path in sources:
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        for schema, table in _WRITE.findall(text):
            if schema.lower() == "temp":
                continue  # frames registered for one statement, not stored tables
            owner = _owner(schema, table)
            if owner != module:
                problems.append(f"{path.relative_to(ROOT)} writes {schema}.{table} "
                                f"(owned by {owner})")
    assert problems == []


def test_owned_rows_name_only_their_own_tables():
    # Permanent deletes go through each domain's OWNED_ROWS; a domain may list only its
    # own tables there.
    import importlib

    problems = []
    for module in ("snapshot", "history", "lifecycle", "summaries", "teacher_data"):
        owned = importlib.import_module(f"tracker_db.store.{module}").OWNED_ROWS
        for rows in owned.by_type.values():
            for table, _ in rows:
                schema, name = table.split(".")
                if _owner(schema, name) != f"tracker_db.store.{module}":
                    problems.append(f"store.{module} lists {table}")
    assert problems == []


# ---------------------------------------------------------------------------------------------
# SQL files


def test_every_statement_file_belongs_to_its_module_and_every_statement_is_used():
    problems = []
    loaders = {
        name: re.findall(r'sql_file\("([\w/]+)"\)', path.read_text(encoding="utf-8"))
        for name, path in MODULES.items()
    }
    for module, sql_path in _statement_files().items():
        if module not in MODULES:
            problems.append(f"{sql_path.relative_to(ROOT)}: no module {module}")
            continue
        expected = str(sql_path.relative_to(ROOT / "sql").with_suffix(""))
        if loaders[module] != [expected]:
            problems.append(f"{module} should load exactly sql/{expected}.sql")
        source = MODULES[module].read_text(encoding="utf-8")
        statements = parse_statements(sql_path.read_text(encoding="utf-8"), expected)
        quoted = set(re.findall(r'"(\w+)"', source))
        problems += [f"sql/{expected}.sql: {name} is never used by {module}"
                     for name in statements if name not in quoted]
        problems += [f"{module}: no statement {name} in sql/{expected}.sql"
                     for name in re.findall(r'_SQL\["(\w+)"\]', source) if name not in statements]
    for module, files in loaders.items():
        if files and module not in _statement_files():
            problems.append(f"{module} loads {files} but sql/ has no file for it")
    assert problems == []


def test_no_sql_file_or_statement_is_named_after_a_page():
    page_names = {p.stem for p in PAGES} | {"dash", "page", "dashboard"}
    problems = []
    for path in _statement_files().values():
        if path.stem in page_names:
            problems.append(str(path.relative_to(ROOT)))
        for name in parse_statements(path.read_text(encoding="utf-8"), path.name):
            if name in page_names or name.split("_")[0] in {"dash", "page"}:
                problems.append(f"{path.name}: {name}")
    assert problems == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT 1\n-- name: a\nSELECT 2", "SQL before the first"),
        ("-- name: a\nSELECT 1\n-- name: a\nSELECT 2", "defined twice"),
        ("-- name: a\n-- only a comment\n-- name: b\nSELECT 1", "'a' is empty"),
    ],
)
def test_statement_files_refuse_what_they_cannot_mean(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_statements(text, "sql/x.sql")


def test_statements_keep_their_comments_and_lose_the_semicolon():
    parsed = parse_statements("-- file header\n\n-- name: one\n-- why\nSELECT 1;\n", "x")
    assert parsed == {"one": "-- why\nSELECT 1"}


def test_sql_names_tables_by_schema_never_by_catalog():
    # schema.table only: a three-part name would pin the SQL to one catalog (DuckLake later).
    three_part = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+\w+\.\w+\.\w+", re.IGNORECASE)
    # (a name followed by "(" is a table function, such as read_parquet, not a table)
    bare = re.compile(r"\b(?:FROM|JOIN|INTO)\s+(?!\(|\w+\.|\$)(\w+)\b(?!\s*\()",
                      re.IGNORECASE)
    ctes = re.compile(r"\b(\w+)\s+AS\s+(?:NOT\s+)?(?:MATERIALIZED\s*)?\(", re.IGNORECASE)
    problems = []
    for path in sorted((ROOT / "sql").rglob("*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        text = re.sub(r"DISTINCT\s+FROM", "", text, flags=re.IGNORECASE)
        allowed = {m.lower() for m in ctes.findall(text)}
        problems += [f"{path.name}: {m}" for m in three_part.findall(text)]
        problems += [
            f"{path.name}: bare table {name}" for name in bare.findall(text)
            # CTEs, frames registered from Python (incoming_*) and the sync's temporary
            # staging tables (next_*) are not stored tables.
            if name.lower() not in allowed and not name.startswith(("incoming_", "next_"))
        ]
    assert problems == []


def test_tracker_db_reads_frames_only_through_read_frame():
    # ``.pl()`` (and ``to_arrow``) would load pyarrow, which the sync command keeps out of its
    # process (a third of a second, 90 MB): the package reads through ``db.read_frame`` and
    # stages frames through ``db.staged``, both over the Arrow C stream.
    calls = re.compile(r"\.(?:pl|arrow|fetch_arrow_table|to_arrow)\(")
    problems = []
    for name, path in MODULES.items():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if calls.search(code) and "``" not in code:
                problems.append(f"{name}:{number}: {line.strip()}")
    assert problems == []


def test_migrations_are_numbered_without_gaps():
    names = sorted(p.name for p in (ROOT / "sql" / "migrations").glob("*.sql"))
    versions = [int(n[:4]) for n in names]
    assert versions == list(range(1, len(versions) + 1))


def test_pages_are_thin_no_sql_no_data_shaping():
    # Pages read widgets, call tracker_db and render: the database driver, dataframe
    # libraries and SQL belong in tracker_db and sql/.
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b\s.*\b(FROM|INTO|SET)\b")
    problems = []
    for path in PAGES:
        imported = {m.split(".")[0] for m in _imported(path)}
        problems += [f"{path.name} imports {m}" for m in ("duckdb", "polars", "pandas")
                     if m in imported]
        text = path.read_text(encoding="utf-8")
        problems += [f"{path.name}: SQL {m.group(0)[:40]!r}" for m in sql.finditer(text)]
        problems += [f"{path.name}: HTML allowed" for _ in re.finditer(r"unsafe_allow_html", text)]
        problems += [f"{path.name}: a read by name {m.group(0)!r}"
                     for m in re.finditer(r"cached\(\s*[\"']", text)]
    assert problems == []


def test_pages_show_tables_and_times_only_through_the_shared_helpers():
    # common.table / common.editor give every table the dash for blanks, the page's width
    # and a height for its rows, and leave every check to the save; common.time_column
    # shows times in the teacher's zone, named. A direct call would skip all that.
    direct = {"dataframe", "data_editor", "DatetimeColumn"}
    problems = []
    for path in PAGES:
        if path.name == "common.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in direct:
                problems.append(f"{path.name}:{node.lineno} uses {node.attr} directly")
            if isinstance(node, ast.Attribute) and node.attr == "strftime":
                problems.append(f"{path.name}:{node.lineno} formats a time itself")
    assert problems == []
