"""``[deployment]`` and ``[nats]`` in fixgw.toml: one process (the default) or services over NATS JetStream."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class DeploymentConfig(BaseModel):
    """How fixgw runs: ``monolith`` (``fixgw run``, one process, the lowest latency) or ``services``
    (``fixgw serve edge|core``, the same engines split over NATS JetStream, sharing one PostgreSQL book)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    mode: Literal["monolith", "services"] = "monolith"
    partitions: int = Field(default=1, ge=1, le=256)
    """Core partitions, by account: each its own book (``[database] url`` with ``{partition}`` in it when more than
    one), its own command subject and one writer (``fixgw serve core --partition N``)."""
    accounts: dict[str, int] = {}
    """Account -> partition, where it is not the stable hash of the account (``app.services.partitions``)."""
    venues: tuple[str, ...] = ()
    """The FIX venues whose session runs in a venue service of its own (``fixgw serve venue --venue NAME``): the
    core sends them requests over JetStream and opens no session to them. The others' sessions stay in the core."""

    @model_validator(mode="after")
    def _accounts_in_range(self) -> DeploymentConfig:
        wrong = {a: p for a, p in self.accounts.items() if not 0 <= p < self.partitions}
        if wrong:
            raise ValueError(f"deployment.accounts: partitions must be 0..{self.partitions - 1}; got {wrong}")
        return self


class NatsConfig(BaseModel):
    """The NATS server (JetStream enabled) the services talk through."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str = "nats://127.0.0.1:4222"
    publish_timeout_s: float = Field(default=5.0, gt=0, le=60)
    """How long the edge waits for JetStream to take a client's message before refusing it (35=j 380=4)."""

    @field_validator("url")
    @classmethod
    def _nats_url(cls, url: str) -> str:
        if not url.startswith(("nats://", "tls://")) or url.endswith("://"):
            raise ValueError(f'give a NATS URL, e.g. "nats://127.0.0.1:4222"; got {url!r}')
        return url
