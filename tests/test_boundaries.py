"""Module boundaries and house rules that code review alone would miss."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_tracker_db_never_imports_streamlit():
    offenders = [
        str(p.relative_to(ROOT)) for p in (ROOT / "tracker_db").rglob("*.py")
        if "streamlit" in _imports(p)
    ]
    assert offenders == []


def test_sql_names_tables_by_schema_never_by_catalog():
    # schema.table only: a three-part name would pin the SQL to one catalog (DuckLake later).
    three_part = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+\w+\.\w+\.\w+", re.IGNORECASE)
    bare = re.compile(r"\b(?:FROM|JOIN|INTO)\s+(?!\(|\w+\.|\$)(\w+)\b", re.IGNORECASE)
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


def test_migrations_are_numbered_without_gaps():
    names = sorted(p.name for p in (ROOT / "sql" / "migrations").glob("*.sql"))
    versions = [int(n[:4]) for n in names]
    assert versions == list(range(1, len(versions) + 1))


def test_pages_are_thin_no_sql_no_data_shaping():
    # Pages read widgets, call tracker_db and render: the database driver, dataframe
    # libraries and SQL belong in tracker_db and sql/.
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b\s.*\b(FROM|INTO|SET)\b")
    problems = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        imported = _imports(path)
        problems += [f"{path.name} imports {m}" for m in ("duckdb", "polars", "pandas")
                     if m in imported]
        text = path.read_text(encoding="utf-8")
        problems += [f"{path.name}: SQL {m.group(0)[:40]!r}" for m in sql.finditer(text)]
        problems += [f"{path.name}: HTML allowed" for _ in re.finditer(r"unsafe_allow_html", text)]
    assert problems == []
