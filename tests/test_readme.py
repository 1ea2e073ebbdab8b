"""The README's two first commands are what newcomers and CI run: keep them true."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_starts_with_a_run_command_and_a_test_command():
    run, test = _readme_commands()[:2]
    assert run.endswith("streamlit run app.py") and "pip install" in run
    assert test.endswith("python -m pytest") and "'.[test]'" in test


def test_ci_runs_exactly_the_readme_test_command():
    test = _readme_commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in ci_lines


def test_app_listens_on_loopback_by_default():
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert 'address = "127.0.0.1"' in config


def test_the_browser_never_shows_a_traceback():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    # The value is one this Streamlit knows (it falls back to full details otherwise).
    from streamlit import config as streamlit_config

    option = streamlit_config._config_options_template["client.showErrorDetails"]
    assert '"none"' in option.description


def test_ci_also_checks_lint_and_types():
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    test_line = ci_lines.index(_readme_commands()[1])
    # After the test command (which installs the tools and activates the venv).
    assert "ruff check ." in ci_lines[test_line:]
    assert "mypy" in ci_lines[test_line:]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "[tool.mypy]" in pyproject and 'packages = ["tracker_db"]' in pyproject


def test_the_layout_table_names_every_module():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Project layout", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    package = ROOT / "tracker_db"
    missing = []
    for entry in sorted(package.iterdir()):
        if entry.name.startswith("__") or entry.suffix not in (".py", ""):
            continue
        path = f"tracker_db/{entry.name}" + ("/" if entry.is_dir() else "")
        row = next((r for r in rows if f"`{path}`" in r.split("|")[1]), None)
        if row is None:
            missing.append(path)
        elif entry.is_dir() and entry.name != "fake_canvas":
            missing += [f"{path}{m.stem}" for m in sorted(entry.glob("*.py"))
                        if m.stem != "__init__" and f"`{m.stem}`" not in row]
    listed = [r.split("|")[1] for r in rows]
    stale = [cell for cell in listed for name in cell.split("`")[1::2]
             if name.startswith("tracker_db/") and not (ROOT / name).exists()]
    assert missing == [] and stale == []
