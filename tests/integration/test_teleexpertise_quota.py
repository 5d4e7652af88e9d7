"""Acts: the yearly limit held by the database (also under a race), tariffs by date,
RQD eligibility and the MSP rule."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from backend.accounts.models import Organization
from backend.errors import DomainError
from backend.mssante.models import OutboundMessage
from teleexpertise import actions
from teleexpertise import acts as act_rules
from teleexpertise.models import Act
from tests.integration.test_teleexpertise_factories import (
    answered_request,
    ensure_tariffs,
    lefebvre,
    make_patient,
    make_professional,
    new_request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tariffs(db):
    ensure_tariffs()


def _declare(request, professional, on):
    return act_rules.declare(code="TE2", request=request, professional=professional, act_date=on)


def _refusals_of(request):
    request.refresh_from_db()
    return request.act_refusals


def _file_on(expert, request, day):
    when = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    return actions.file_request(expert, request.pk, now=when)


def test_fifth_act_for_same_patient_is_refused_with_when_it_resets(personas, as_user):
    """The fifth TE2 is refused on its own: the report is still filed and sent, the refusal
    and its reason are recorded on the request."""
    patient = lefebvre()
    today = timezone.localdate()
    for _ in range(4):
        request = answered_request(personas.gp, personas.cardiologist, patient)
        actions.file_request(personas.cardiologist, request.pk)
    fifth = answered_request(personas.gp, personas.cardiologist, patient)
    sent_before = OutboundMessage.objects.count()
    response = as_user(personas.cardiologist).post(
        f"/api/teleexpertise/requests/{fifth.pk}/file", {}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()["request"]
    refused = {r["code"]: r for r in body["act_refusals"]}
    assert set(refused) == {"TE2", "RQD"}  # the GP also reached 4 RQD for this patient
    assert refused["TE2"]["reason"] == "act_quota_reached"
    assert "4 actes TE2" in refused["TE2"]["message"]
    assert f"repart le 1er janvier {today.year + 1}" in refused["TE2"]["message"]
    assert Act.objects.filter(code="TE2", year=today.year).count() == 4
    assert body["status"] == "filed" and body["acts"] == []
    assert OutboundMessage.objects.count() > sent_before


def test_explicit_filing_without_acts_is_recorded(personas):
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    actions.file_request(personas.cardiologist, request.pk, declare_acts=False)
    request.refresh_from_db()
    assert request.status == "filed" and not request.acts.exists()
    assert request.act_refusals[0]["reason"] == "not_declared"


def test_the_database_refuses_a_fifth_slot_and_a_zero_slot(personas):
    patient = lefebvre()
    request = new_request(personas.gp, personas.cardiologist, patient)
    first = _declare(request, personas.cardiologist.professional, datetime.date(2026, 5, 1))
    from django.db import IntegrityError, transaction

    other = new_request(personas.gp, personas.cardiologist, patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Act.objects.create(**{**_fields(first), "request": other})  # same slot
    with pytest.raises(IntegrityError), transaction.atomic():
        Act.objects.create(**{**_fields(first), "request": other, "slot": 0})


def _fields(act):
    names = ["code", "professional", "patient", "patient_key", "act_date", "year", "slot"]
    return {
        **{n: getattr(act, n) for n in names},
        "amount": act.amount,
        "request_date": act.request_date,
    }


def test_a_new_year_resets_the_count(personas):
    patient = lefebvre()
    pro = personas.cardiologist.professional
    for _ in range(4):
        _declare(
            new_request(personas.gp, personas.cardiologist, patient),
            pro,
            datetime.date(2025, 12, 31),
        )
    with pytest.raises(DomainError):
        _declare(
            new_request(personas.gp, personas.cardiologist, patient),
            pro,
            datetime.date(2025, 12, 31),
        )
    act = _declare(
        new_request(personas.gp, personas.cardiologist, patient), pro, datetime.date(2026, 1, 1)
    )
    assert (act.year, act.slot) == (2026, 1)


def test_the_limit_is_per_patient_professional_and_code(personas):
    patient, other = lefebvre(), make_patient(lefebvre().organization)
    pro = personas.cardiologist.professional
    day = datetime.date(2026, 2, 1)
    for _ in range(4):
        _declare(new_request(personas.gp, personas.cardiologist, patient), pro, day)
    assert _declare(new_request(personas.gp, personas.cardiologist, other), pro, day).slot == 1
    petit = personas.dermatologist.professional
    assert _declare(new_request(personas.gp, personas.dermatologist, patient), petit, day).slot == 1
    rqd = act_rules.declare(
        code="RQD",
        request=new_request(personas.gp, personas.cardiologist, patient),
        professional=personas.gp.professional,
        act_date=day,
    )
    assert rqd.slot == 1


def test_rejected_acts_keep_their_slot(personas):
    patient = lefebvre()
    pro = personas.cardiologist.professional
    day = datetime.date(2026, 2, 1)
    for _ in range(4):
        _declare(new_request(personas.gp, personas.cardiologist, patient), pro, day)
    Act.objects.update(status="rejected")
    with pytest.raises(DomainError):
        _declare(new_request(personas.gp, personas.cardiologist, patient), pro, day)


def test_limit_is_a_setting(personas, settings):
    settings.TELEEXPERTISE_ACTS_PER_YEAR = 2
    patient = lefebvre()
    pro = personas.cardiologist.professional
    day = datetime.date(2026, 2, 1)
    for _ in range(2):
        _declare(new_request(personas.gp, personas.cardiologist, patient), pro, day)
    with pytest.raises(DomainError, match="2 actes TE2"):
        _declare(new_request(personas.gp, personas.cardiologist, patient), pro, day)


@pytest.mark.parametrize(
    ("day", "te2", "rqd"),
    [
        (datetime.date(2025, 12, 31), "20.00", "10.00"),
        (datetime.date(2026, 1, 1), "23.00", "10.00"),
        (datetime.date(2022, 4, 1), "20.00", "10.00"),
    ],
)
def test_tariff_in_force_on_the_act_date(personas, day, te2, rqd):
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    _file_on(personas.cardiologist, request, day)
    amounts = dict(Act.objects.filter(request=request).values_list("code", "amount"))
    assert amounts == {"TE2": Decimal(te2), "RQD": Decimal(rqd)}


def test_no_tariff_before_the_scheme_started(personas):
    with pytest.raises(DomainError) as refused:
        act_rules.tariff_on("TE2", datetime.date(2021, 1, 1))
    assert refused.value.code == "no_tariff"


@pytest.mark.parametrize(
    ("code", "billed"),
    [
        ("10", True),
        ("60", True),
        ("70", True),
        ("91", True),
        ("80", True),
        ("50", True),
        ("21", False),
        ("", False),
    ],
)
def test_rqd_only_for_professions_that_may_bill_it(personas, code, billed):
    requester = make_professional(
        lefebvre().organization, username=f"req{code or 'none'}", profession_code=code
    )
    request = answered_request(requester, personas.cardiologist, lefebvre())
    actions.file_request(personas.cardiologist, request.pk)
    codes = set(Act.objects.filter(request=request).values_list("code", flat=True))
    assert codes == ({"TE2", "RQD"} if billed else {"TE2"})


def test_no_act_between_two_professionals_of_the_same_msp(personas):
    msp = Organization.objects.create(name="MSP du Parc", finess="720009990", kind="msp")
    from backend.accounts.models import Membership

    for user in (personas.gp, personas.cardiologist):
        Membership.objects.create(
            professional=user.professional, organization=msp, role="clinician"
        )
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    filed = actions.file_request(personas.cardiologist, request.pk)
    assert filed.status == "filed"
    assert not Act.objects.filter(request=request).exists()


def test_experts_are_doctors_or_midwives_declared_expert(personas):
    nurse_expert = make_professional(
        lefebvre().organization, username="ide-expert", profession_code="60", is_expert=True
    )
    with pytest.raises(DomainError) as refused:
        new_request(personas.gp, nurse_expert, lefebvre())
    assert refused.value.code == "expert_invalid"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_racing_declarations_never_make_a_fifth_act(personas):
    ensure_tariffs()
    patient = lefebvre()
    expert = personas.cardiologist
    requests = [new_request(personas.gp, expert, patient) for _ in range(10)]
    barrier = threading.Barrier(10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def declare(request):
        try:
            barrier.wait()
            act_rules_result = None
            from django.db import transaction

            with transaction.atomic():
                act_rules_result = act_rules.declare(
                    code="TE2",
                    request=request,
                    professional=expert.professional,
                    act_date=datetime.date(2026, 6, 1),
                )
            with lock:
                outcomes.append(f"ok:{act_rules_result.slot}")
        except DomainError as exc:
            with lock:
                outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=declare, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o for o in outcomes if o.startswith("ok")) == ["ok:1", "ok:2", "ok:3", "ok:4"]
    assert [o for o in outcomes if not o.startswith("ok")] == ["act_quota_reached"] * 6
    assert Act.objects.filter(professional=expert.professional, year=2026).count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_racing_filings_over_http_leave_four_acts_and_six_refusals(
    personas, as_user, monkeypatch
):
    ensure_tariffs()
    # The mails stay queued: no task handed to a real broker by a test.
    monkeypatch.setattr("backend.mssante.actions.schedule_send", lambda message_id: None)
    patient = lefebvre()
    expert = personas.cardiologist
    requests = [answered_request(personas.gp, expert, patient) for _ in range(10)]
    barrier = threading.Barrier(10)
    statuses: list[int] = []
    lock = threading.Lock()

    def file(request):
        try:
            client = as_user(expert)
            barrier.wait()
            response = client.post(
                f"/api/teleexpertise/requests/{request.pk}/file", {}, format="json"
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # Each filing goes through; the act is refused on its own when its slot is gone.
    assert sorted(statuses) == [200] * 10
    assert Act.objects.filter(professional=expert.professional, code="TE2").count() == 4
    refused = [r for r in requests if any(x["code"] == "TE2" for x in _refusals_of(r))]
    assert len(refused) == 6
