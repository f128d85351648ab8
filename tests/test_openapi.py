"""The API changes only on purpose: the generated spec must equal the committed snapshot."""

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
