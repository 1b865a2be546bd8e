from services.shared.schema_export import SCHEMA_DIR, schema_documents, stale_schemas


def test_schema_files_match_the_models() -> None:
    assert stale_schemas() == [], "run `interdict schemas export` (make schemas) and commit schemas/"


def test_every_message_has_a_schema_file() -> None:
    assert {path.name for path in SCHEMA_DIR.glob("*.schema.json")} == set(schema_documents())
