"""End-to-end latency measured open-loop: command accepted → visible to its writer.

Each command has a scheduled send time (``start + i / rate``) and its latency counts from then,
not from when a worker got round to sending it. A closed loop (a pool of N workers) stops
offering load as soon as the engine falls behind, so time spent queued is never counted
(coordinated omission) and a saturated engine still reports a bounded p99. Here a saturated
engine shows latencies that grow with the run, as users would see them.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import asdict, dataclass

import httpx


@dataclass(frozen=True)
class Offered:
    """What one offered rate gave."""

    rate_per_s: float
    achieved_per_s: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    commands: int
    failures: int

    @property
    def holds(self) -> bool:
        """p99 within the 100 ms goal, with every command answered."""
        return self.failures == 0 and self.p99_ms <= 100.0


async def _offer(url: str, headers: dict[str, str], rate_per_s: float, seconds: float, first: int) -> Offered:
    total = max(1, int(rate_per_s * seconds))
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30, limits=limits) as client:
        begin = time.perf_counter() + 0.05

        async def one(i: int) -> None:
            nonlocal failures
            scheduled = begin + i / rate_per_s
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            n = first + i
            try:
                made = await client.post("/leads", json={"contact_name": f"E2E {n}", "email": f"e2e{n}@example.com"})
                lead = made.json()
                seen = await client.get(f"/leads/{lead['lead_id']}", params={"after": lead["position"]})
                if seen.status_code != 200 or seen.headers.get("X-Read-Consistent") != "true":
                    raise RuntimeError(f"not visible: {seen.status_code}")
            except (httpx.HTTPError, RuntimeError, KeyError, ValueError):
                failures += 1
                return
            latencies.append((time.perf_counter() - scheduled) * 1000)

        await asyncio.gather(*(one(i) for i in range(total)))
        elapsed = time.perf_counter() - begin
    q = statistics.quantiles(latencies, n=1000) if len(latencies) > 1 else [latencies[0] if latencies else 0.0] * 999
    return Offered(
        rate_per_s=rate_per_s,
        achieved_per_s=len(latencies) / elapsed,
        p50_ms=q[499],
        p99_ms=q[989],
        p999_ms=q[998],
        commands=total,
        failures=failures,
    )


def sweep(url: str, headers: dict[str, str], *, rates: tuple[int, ...], seconds: float) -> list[Offered]:
    """Each rate in turn, ascending; a rate ends when every one of its commands is visible, so
    no backlog spills into the next. Past the first rate that misses the goal, only the rates
    the report names (50 and 200/s) still run: the others would only say "saturated" again."""
    results: list[Offered] = []
    first = 0
    saturated = False
    for rate in sorted(rates):
        if saturated and rate not in (50, 200):
            continue
        result = asyncio.run(_offer(url, headers, rate, seconds, first))
        first += result.commands
        results.append(result)
        saturated = saturated or not result.holds
    return results


def as_dict(result: Offered) -> dict[str, float]:
    return asdict(result)


def highest_holding(results: list[Offered]) -> float:
    """The highest offered rate whose p99 stayed within 100 ms (0 when none did)."""
    return max((r.rate_per_s for r in results if r.holds), default=0.0)
