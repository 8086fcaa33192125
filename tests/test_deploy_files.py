"""The container files cannot be built here: check what can be checked by reading them."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_compose_service_port_volume_and_dockerfile() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    service = compose["services"]["app"]
    dockerfile = ROOT / service["build"]["context"] / service["build"]["dockerfile"]
    assert dockerfile.is_file()
    assert any(str(port).endswith(":8000") for port in service["ports"])
    volume_name, mount = service["volumes"][0].split(":")
    assert volume_name in compose["volumes"] and mount == "/data"
    assert {"GRADER", "OPENAI_BASE_URL", "OPENAI_API_KEY", "LLM_MODEL"} <= set(
        service["environment"]
    )


def test_dockerfile_runs_serve_as_non_root_with_healthcheck_and_data_volume() -> None:
    text = _dockerfile()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert re.search(r'^CMD \["mock-interview", "serve"\]', text, re.M)
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert 'VOLUME ["/data"]' in text and "DATA_DIR=/data" in text
    assert "HOST=0.0.0.0" in text and "EXPOSE 8000" in text


def test_dockerfile_copies_what_the_app_reads_and_pins_cpu_torch() -> None:
    text = _dockerfile()
    for folder in ("app", "templates", "static", "migrations"):
        assert re.search(rf"^COPY {folder} ", text, re.M), folder
        assert (ROOT / folder).is_dir()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    torch_pin = next(d for d in pyproject["project"]["dependencies"] if d.startswith("torch"))
    assert torch_pin.replace(" ", "") in text.replace(" ", "").replace('"', "")
    assert "download.pytorch.org/whl/cpu" in text


def test_ci_calls_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make run" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_documents_every_setting() -> None:
    from app.config import Settings

    readme = (ROOT / "README.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in readme]
    assert missing == []


def test_compose_runs_the_app_on_postgres_once_it_is_healthy() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    postgres = compose["services"]["postgres"]
    assert re.fullmatch(r"postgres:15(\.\d+)?", postgres["image"])
    volume, mount = postgres["volumes"][0].split(":")
    assert volume in compose["volumes"] and mount == "/var/lib/postgresql/data"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    for name in ("app", "worker"):
        service = compose["services"][name]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        url = service["environment"]["DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    assert compose["services"]["worker"]["command"][:2] == ["mock-interview", "worker"]
