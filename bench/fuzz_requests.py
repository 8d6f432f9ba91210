"""Hostile requests against a served gateway, counted: how many answers are 5xx, by API.

Why: issue 14 measured 113 answers in 5xx out of 20,000 malformed requests, among them native
XML listings answering 530 once EC2 had stored a control character, and ``command=foo%01``
answering a plain-text 500. This prints the same count, by API, and a few examples of each
distinct failure (the request, the status, what broke, and the last line of the traceback the
gateway logged), so the figure can be compared before and after a fix. It asserts nothing.

Run it from the repository root (a few minutes on two cores):

    .venv/bin/python -m bench.fuzz_requests [--requests 20000] [--seed 14] [--examples 3]

The requests are ``tests.hostile``'s, the ones ``tests/contract/test_fuzz.py`` draws, mixing the
four APIs about equally: EC2 operations of botocore's model with parameters drawn from their
shapes (SigV4-signed in headers or the query string, unsigned or with a wrong signature), native
commands of the gateway's table (HMAC-SHA1-signed, by session key, or not), OCCI renderings in
text/plain, text/occi headers, JSON and uri-lists, and CIMI documents in JSON and XML with
``$filter``/``$select``/``$expand``/``$orderby``. Every value may carry control characters,
U+FFFE/U+FFFF, lone surrogates, XML metacharacters, ``%`` sequences or 6,000 characters. Hypothesis
draws them (generation only: nothing is shrunk or replayed), from ``--seed``, so a run repeats.

What it serves: the gateway app (``gateway.app.create_app``) on SQLite in a temporary directory
and libvirt's test:///default driver, with uvicorn on 127.0.0.1 in a thread, as the contract
tests serve it; one user account sends every probe. A defect is a 5xx, a body its Content-Type
cannot parse (XML by lxml, JSON by json, OCCI text with control characters) or no answer at all.
Everything it makes is removed on exit.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

from core.bootstrap import bootstrap
from core.services.container import Services
from core.settings import CoreSettings
from gateway.app import create_app
from tests.hostile import Account, Gateway, Outcome, Probe, ServerErrors, any_probes, exchange
from tests.hostile import server_errors as listening_for_errors
from tests.serving import served

APIS = ("ec2", "native", "occi", "cimi")


@dataclass
class Tally:
    """Requests, 5xx and other defects by API, and examples of each distinct failure."""

    examples: int
    sent: collections.Counter[str] = field(default_factory=collections.Counter)
    server_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    other_defects: collections.Counter[str] = field(default_factory=collections.Counter)
    failures: dict[tuple[str, str, str], list[Outcome]] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        api = outcome.probe.api
        self.sent[api] += 1
        if not outcome.problems:
            return
        if outcome.status >= 500:
            self.server_errors[api] += 1
        else:
            self.other_defects[api] += 1
        seen = self.failures.setdefault(_kind(outcome), [])
        if len(seen) < self.examples and all(o.probe != outcome.probe for o in seen):
            seen.append(outcome)


def _kind(outcome: Outcome) -> tuple[str, str, str]:
    """What tells failures apart: the API, the status (or the defect's first words) and the
    last line of the logged traceback."""
    first = outcome.problems[0].split(":")[0].split(" [")[0]
    status = str(outcome.status) if outcome.status >= 500 else first
    traceback = next((line for r in outcome.logged for line in reversed(r.splitlines())), "")
    return outcome.probe.api, status, traceback[:160]


@contextmanager
def served_gateway(root: Path) -> Iterator[Gateway]:
    services = Services(
        CoreSettings(
            database_url=f"sqlite:///{root}/fuzz.db",
            libvirt_uri="test:///default",
            data_dir=root / "data",
            pool_name=f"cg-fuzz-{uuid.uuid4().hex[:8]}",
        )
    )
    try:
        bootstrap(services)
        made = services.identity.create_account("fuzz")
        with served(create_app(services)) as url:  # its lifespan closes the services
            account = Account(made.access_key, made.secret_key, made.username, made.password)
            with closing(Gateway(url, account)) as gateway:
                gateway.login()
                yield gateway
    finally:
        services.close()


def run(gateway: Gateway, errors: ServerErrors, tally: Tally, requests: int, start: int) -> None:
    began = time.monotonic()

    @seed(start)
    @settings(
        max_examples=requests,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(probe=any_probes)
    def send(probe: Probe) -> None:
        tally.add(exchange(gateway, probe, errors))
        done = sum(tally.sent.values())
        if done % 1000 == 0:
            rate = done / (time.monotonic() - began)
            print(f"  {done:>6} sent, {sum(tally.server_errors.values())} 5xx, {rate:.0f}/s")

    send()


def report(tally: Tally, seconds: float) -> None:
    total = sum(tally.sent.values())
    print(f"\n{total} requests in {seconds:.0f} s")
    print(f"{'API':<8}{'requests':>10}{'5xx':>8}{'other defects':>15}")
    for api in APIS:
        print(
            f"{api:<8}{tally.sent[api]:>10}{tally.server_errors[api]:>8}"
            f"{tally.other_defects[api]:>15}"
        )
    print(
        f"{'all':<8}{total:>10}{sum(tally.server_errors.values()):>8}"
        f"{sum(tally.other_defects.values()):>15}"
    )
    for (api, status, traceback), outcomes in sorted(tally.failures.items()):
        print(f"\n[{api}] {status}" + (f" — {traceback}" if traceback else ""))
        for outcome in outcomes:
            print(f"  {outcome.probe.describe(200)}")
            print(f"    → {outcome.status}: {'; '.join(outcome.problems)[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--examples", type=int, default=3, help="shown per distinct failure")
    args = parser.parse_args()
    tally = Tally(args.examples)
    began = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="cloudgate-fuzz-") as tmp,
        served_gateway(Path(tmp)) as gateway,
        listening_for_errors() as errors,
    ):
        run(gateway, errors, tally, args.requests, args.seed)
    report(tally, time.monotonic() - began)


if __name__ == "__main__":
    main()
