"""The API changes only on purpose: the generated spec must equal the committed snapshot."""

import json

import pytest
from openapi_spec_validator import validate

from yingshang.ops.management.commands.openapi import SNAPSHOT, current_schema, render


def test_spec_is_valid_openapi_3_1() -> None:
    schema = current_schema()
    assert schema["openapi"].startswith("3.1")
    validate(schema)


def test_spec_matches_committed_snapshot() -> None:
    expected = SNAPSHOT.read_text(encoding="utf-8")
    actual = render(current_schema())
    if actual != expected:
        pytest.fail(
            "The API changed. If the change is deliberate, run `.venv/bin/yingshang openapi --write` "
            "and commit docs/openapi.json with it."
        )


@pytest.mark.django_db
def test_spec_is_served(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Yingshang API"


def test_schema_names_are_unique() -> None:
    """OpenAPI names a component after its class: two API schemas with one name would silently
    describe one operation's body with the other's (the last imported wins)."""
    from collections import defaultdict

    from ninja import Schema

    import config.api  # noqa: F401  (imports every context's API module)

    def subclasses(cls: type[Schema]) -> set[type[Schema]]:
        found = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    by_name: dict[str, dict[str, str]] = defaultdict(dict)
    for cls in subclasses(Schema):
        if cls.__module__.startswith("yingshang.") and ".api" in cls.__module__ + ".":
            by_name[cls.__name__][cls.__module__] = json.dumps(cls.model_json_schema(), sort_keys=True)
    # The same name for the very same schema is harmless; for different ones it is not.
    components = current_schema().get("components", {}).get("schemas", {})
    clashes = {
        name: sorted(found)
        for name, found in by_name.items()
        if name in components and len(set(found.values())) > 1
    }
    assert not clashes, f"API schemas sharing a name: {clashes}"
