"""50 concurrent TE2 declarations for one expert and one patient on PostgreSQL: how long, and
proof that the yearly limit held (exactly TELEEXPERTISE_ACTS_PER_YEAR acts, the rest refused).

Creates its own organisation, professionals and patient (random suffix) and deletes them after;
it never touches other data. Needs DATABASE_URL pointing at PostgreSQL.
"""

from __future__ import annotations

import datetime
import secrets
import threading
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction


def _setup(suffix: str) -> dict[str, Any]:
    from backend.accounts.identifiers import make_finess, make_rpps
    from backend.accounts.models import Membership, Organization, Professional, User
    from backend.patients.ins import OID_NIR, make_ins
    from backend.patients.models import Patient
    from conversations.models import Conversation
    from teleexpertise.models import Tariff

    Tariff.objects.get_or_create(
        code="TE2", valid_from=datetime.date(2022, 4, 1), defaults={"amount": Decimal("20.00")}
    )
    digits = str(int(suffix, 16) % 10**6).zfill(6)
    org = Organization.objects.create(
        name=f"Bench {suffix}", finess=make_finess("99" + digits), kind="hospital"
    )
    users = []
    for n, role in enumerate(["expert", "requester"]):
        user = User.objects.create(username=f"bench-{role}-{suffix}")
        Professional.objects.create(
            user=user,
            given_name="Bench",
            family_name=role,
            rpps=make_rpps(f"9{n}{digits}00"[:10]),
            profession_code="10",
            is_expert=role == "expert",
        )
        Membership.objects.create(
            professional=user.professional, organization=org, role="clinician"
        )
        users.append(user)
    patient = Patient.objects.create(
        organization=org,
        ins=make_ins("F", 1970, 1, "72", "181", int(digits) % 997 + 1),
        ins_oid=OID_NIR,
        birth_name=f"BENCH{suffix}".upper(),
        first_names=["Test"],
        birth_date=datetime.date(1970, 1, 1),
        sex="F",
        identity_status="VALI",  # not QUAL: the quota key stays private to this run
    )
    conversation = Conversation.objects.create(kind="group", created_by=users[1], patient=patient)
    return {
        "org": org,
        "expert": users[0],
        "requester": users[1],
        "patient": patient,
        "conversation": conversation,
    }


def _cleanup(world: dict[str, Any]) -> None:
    from backend.accounts.models import Membership, Professional, User
    from teleexpertise.models import Act, TeleexpertiseRequest

    requests = TeleexpertiseRequest.objects.filter(patient=world["patient"])
    Act.objects.filter(request__in=requests).delete()
    requests.delete()
    world["conversation"].delete()
    world["patient"].delete()
    users = [world["expert"], world["requester"]]
    Membership.objects.filter(professional__user__in=users).delete()
    Professional.objects.filter(user__in=users).delete()
    User.objects.filter(pk__in=[u.pk for u in users]).delete()
    world["org"].delete()


def run(quick: bool) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        print("bench_quota: needs PostgreSQL (set DATABASE_URL); skipped.")
        return {}
    # Its own migrated database (with the seeded tariffs): DATABASE_URL may name any database.
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"bench_quota_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return _race(quick)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _race(quick: bool) -> dict[str, Any]:
    from backend.errors import DomainError
    from teleexpertise import acts as act_rules
    from teleexpertise.models import Act, TeleexpertiseRequest

    workers = 10 if quick else 50
    suffix = secrets.token_hex(3)
    world = _setup(suffix)
    try:
        requests = [
            TeleexpertiseRequest.objects.create(
                reference=f"BENCH-{suffix}-{n}",
                requester=world["requester"],
                expert=world["expert"],
                patient=world["patient"],
                conversation=world["conversation"],
                question="bench",
            )
            for n in range(workers)
        ]
        barrier = threading.Barrier(workers)
        outcomes: list[str] = []
        durations: list[float] = []
        lock = threading.Lock()

        def declare(request: Any) -> None:
            try:
                barrier.wait()
                started = time.perf_counter()
                try:
                    with transaction.atomic():
                        act_rules.declare(
                            code="TE2",
                            request=request,
                            professional=world["expert"].professional,
                            act_date=datetime.date.today(),
                        )
                    outcome = "declared"
                except DomainError as exc:
                    outcome = exc.code
                with lock:
                    outcomes.append(outcome)
                    durations.append(time.perf_counter() - started)
            finally:
                connection.close()

        threads = [threading.Thread(target=declare, args=(r,)) for r in requests]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        stored = Act.objects.filter(professional=world["expert"].professional).count()
        limit = int(getattr(settings, "TELEEXPERTISE_ACTS_PER_YEAR", 4))
        declared = outcomes.count("declared")
        refused = outcomes.count("act_quota_reached")
        durations.sort()
        figures = {
            "workers": workers,
            "limit": limit,
            "declared": declared,
            "refused_quota": refused,
            "other": len(outcomes) - declared - refused,
            "acts_in_database": stored,
            "limit_held": stored == limit == declared,
            "wall_seconds": round(elapsed, 3),
            "p50_ms": round(durations[len(durations) // 2] * 1000, 1),
            "max_ms": round(durations[-1] * 1000, 1),
        }
        print(f"{'concurrent declarations':<28}{workers:>8}")
        print(f"{'declared / limit':<28}{declared:>5} / {limit}")
        print(f"{'refused (act_quota_reached)':<28}{refused:>8}")
        print(f"{'acts stored':<28}{stored:>8}")
        print(f"{'wall time':<28}{elapsed * 1000:>8.1f} ms")
        print(f"{'p50 / max per declaration':<28}{figures['p50_ms']:>8} / {figures['max_ms']} ms")
        print("limit held" if figures["limit_held"] else "LIMIT NOT HELD")
        return figures
    finally:
        _cleanup(world)
