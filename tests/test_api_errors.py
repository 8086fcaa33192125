"""The API's error shape and limits, and that HTML pages keep their own errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.html import one, page_of

API = "/api/v1"
JSON = {"content-type": "application/json"}


def _error(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"",
        b'{"question_id": NaN, "answer": "x"}',
        b'{"question_id": Infinity, "answer": "x"}',
        b'{"question_id": 1e400, "answer": "x"}',
        b'{"question_id": 99999999999999999999999999999, "answer": "x"}',
        b'{"question_id": -5, "answer": "x"}',
        b'{"question_id": true, "answer": "x"}',
        b'{"question_id": "1", "answer": "x"}',
        b'{"question_id": 1.5, "answer": "x"}',
        b'{"question_id": 1, "answer": "\\ud800"}',
    ],
)
def test_malformed_bodies_are_422_never_500(client: TestClient, raw: bytes) -> None:
    _error(client.post(f"{API}/score", content=raw, headers=JSON), 422, "validation_error")


@pytest.mark.parametrize("raw", [b'{"question_id": 1, "answer": "\xff\xfe"}', b"[" * 5000])
def test_undecodable_bodies_are_422_never_500(client: TestClient, raw: bytes) -> None:
    error = _error(client.post(f"{API}/score", content=raw, headers=JSON), 422, "validation_error")
    assert error["message"] == "the body is not valid JSON"


def test_validation_details_do_not_echo_the_input(client: TestClient) -> None:
    secret = "s3cr3t-" * 100
    response = client.post(f"{API}/score", json={"question_id": "x", "answer": secret})
    error = _error(response, 422, "validation_error")
    assert secret not in response.text
    assert error["details"] == [
        {
            "loc": ["body", "question_id"],
            "msg": "Value error, Input should be an integer",
            "type": "value_error",
        }
    ]


def test_integral_floats_are_integers(client: TestClient) -> None:
    # JSON Schema's integer includes 1.0; some JSON encoders write whole numbers that way.
    response = client.post(
        f"{API}/score", content=b'{"question_id": 1.0, "answer": "x"}', headers=JSON
    )
    assert response.status_code == 200 and response.json()["question_id"] == 1


def test_unicode_answers_are_fine(client: TestClient) -> None:
    answer = "注意力机制 — softmax(QKᵀ/√d)·V 🚀 \u0000 نعم"
    response = client.post(f"{API}/score", json={"question_id": 1, "answer": answer})
    assert response.status_code == 200


def test_body_over_the_size_limit_is_413(client: TestClient) -> None:
    limit = client.app.state.api_max_body_bytes  # type: ignore[attr-defined]
    assert limit >= 256 * 20_000
    declared = client.post(f"{API}/score/batch", content=b" " * (limit + 1), headers=JSON)
    _error(declared, 413, "body_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(limit // (1 << 20) + 2):
            yield b" " * (1 << 20)

    streamed = client.post(f"{API}/score/batch", content=chunks(), headers=JSON)
    _error(streamed, 413, "body_too_large")


def test_unknown_api_path_and_method(client: TestClient) -> None:
    _error(client.get(f"{API}/no-such-thing"), 404, "not_found")
    _error(client.delete(f"{API}/topics"), 405, "method_not_allowed")


def test_html_pages_keep_their_own_errors(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    # The site's own 404 page, not the API's JSON error.
    error = one(page_of(page.text), "[data-testid=error]")
    assert error["data-status"] == "404"
    assert "/no-such-page" in error.get_text()
    assert client.get("/healthz").status_code == 200


def test_openapi_documents_every_endpoint_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/topics",
        "/api/v1/questions",
        "/api/v1/questions/{question_id}",
        "/api/v1/score",
        "/api/v1/score/batch",
        "/api/v1/sessions",
        "/api/v1/sessions/{session_id}",
        "/api/v1/sessions/{session_id}/answers",
        "/api/v1/answers/{answer_id}",
        "/api/v1/healthz",
        "/api/v1/transcribe",
    ):
        assert path in paths, path
    components = schema["components"]["schemas"]
    for path, operations in paths.items():
        for operation in operations.values():
            body = operation.get("requestBody")
            if body is None:
                continue
            if "multipart/form-data" in body["content"]:  # a file upload: no JSON example
                assert "422" in operation["responses"], path
                continue
            content = body["content"]["application/json"]
            ref = content["schema"].get("$ref", "")
            examples = content.get("examples") or components.get(ref.rsplit("/", 1)[-1], {}).get(
                "examples"
            )
            assert examples, f"no example for {path}"
            if path.startswith("/api/"):
                assert "422" in operation["responses"], path
    assert client.get("/docs").status_code == 200
