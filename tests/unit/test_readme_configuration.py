"""The README's configuration table names every setting: a variable nobody can find is not one."""

from __future__ import annotations

from services.shared.settings import PROJECT_ROOT, Settings


def configuration_section() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text()
    start = readme.index("## Configuration")
    return readme[start : readme.index("\n## ", start + 1)]


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    section = configuration_section()
    missing = [name for name in Settings.model_fields if f"`INTERDICT_{name.upper()}`" not in section]
    assert not missing, f"settings missing from the README's configuration table: {missing}"
