"""Property-based tests of the API against its own OpenAPI schema (schemathesis).

Every generated request, valid or not, must get a response that the schema documents (status,
content type, body), and never a 5xx. Bounded so the whole module runs in about a minute on two
cores with the fake grader.

The schema is loaded at import (`schemathesis.pytest.from_fixture` does not work with pytest 9),
so this module has its own app on its own temporary database; schemathesis runs its lifespan.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from app.main import create_app
from tests.conftest import pinned_settings
from tests.fakes import OverlapGrader
from tests.web_client import TEST_HOST

MAX_EXAMPLES = 100

_DATA_DIR = Path(tempfile.mkdtemp(prefix="mi-schemathesis-"))
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
app = create_app(
    pinned_settings(
        data_dir=_DATA_DIR,
        grader="fake",
        embedding_warmup=False,
        trusted_hosts=[TEST_HOST],  # schemathesis's ASGI client sends TestClient's Host
        score_rate_limit=0,  # hundreds of /score calls a minute from one address, on purpose
    ),
    # Generated bodies may name any grader; each name builds the instant fake one, so a request
    # for "embedding", "llm" or "hybrid" never loads a model or calls a network, and one for
    # "failing" (the 503 path, tested in test_api_score) is not a 5xx here.
    graders={
        name: lambda settings: OverlapGrader()
        for name in ("fake", "embedding", "llm", "hybrid", "failing")
    },
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    # Every check but positive_data_acceptance: some schema-valid requests are refused by
    # design, with a documented status (an answer over 20,000 characters is a 413; a session
    # on topics without active questions, or a question id that names nothing, is a 422).
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
