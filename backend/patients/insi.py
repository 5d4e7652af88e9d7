"""The INSi teleservice (CNAM) behind an interface, and the local stand-in used here.

The real INSi service needs a CPS/e-CPS or an establishment certificate and the CNAM's network:
it is outside our reach, at the edge of the world. ``settings.INSI_SERVICE`` names the class to
use; the only one shipped is ``LocalInsiStandIn``, a stand-in that answers from generated data and
refuses to answer in production (so a production platform without a real INSi client can never
qualify an identity).

INSi's "recherche par traits" answers the INS matricule, its OID and the reference traits.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from backend.patients.ins import OID_TEST, make_ins, parse_ins
from backend.patients.traits import Traits, normalise_name

__all__ = ["InsiIdentity", "InsiService", "InsiUnavailable", "LocalInsiStandIn", "insi_service"]


class InsiUnavailable(Exception):
    """The service cannot answer (down, not configured): nothing can be qualified now."""


@dataclass(frozen=True)
class InsiIdentity:
    ins: str
    oid: str
    birth_name: str
    first_names: tuple[str, ...]
    birth_date: datetime.date
    sex: str
    birth_place: str


class InsiService(Protocol):
    def search(self, traits: Traits) -> InsiIdentity | None:
        """The identity INSi holds for these traits, or None when it finds nobody."""


class LocalInsiStandIn:
    """A stand-in for INSi (not the real service; see the module docstring).

    Identities registered with ``register`` (tests) are answered first; any other complete set
    of traits gets a generated, valid INS built from them (demo: qualifying a new patient works),
    under the INS *test* OID, never a production one. ``refuse`` makes it find nobody.
    """

    _registered: dict[str, InsiIdentity] = {}
    _refused: set[str] = set()

    @classmethod
    def register(cls, identity: InsiIdentity, *, searched_name: str = "") -> None:
        """Answer ``identity`` to a search for its traits (or for ``searched_name`` with them:
        INSi answering somebody else)."""
        name = searched_name or identity.birth_name
        cls._registered[cls._lookup_key(name, identity.birth_date, identity.sex)] = identity

    @classmethod
    def refuse(cls, birth_name: str, birth_date: datetime.date, sex: str) -> None:
        cls._refused.add(cls._lookup_key(birth_name, birth_date, sex))

    @classmethod
    def reset(cls) -> None:
        cls._registered.clear()
        cls._refused.clear()

    @staticmethod
    def _lookup_key(birth_name: str, birth_date: datetime.date, sex: str) -> str:
        return f"{normalise_name(birth_name)}|{birth_date.isoformat()}|{sex}"

    def search(self, traits: Traits) -> InsiIdentity | None:
        if settings.PRODUCTION:
            raise InsiUnavailable("Le service INSi n'est pas raccordé : qualification impossible.")
        key = self._lookup_key(traits.birth_name, traits.birth_date, traits.sex)
        if key in self._refused:
            return None
        if key in self._registered:
            return self._registered[key]
        if not traits.complete:
            return None
        place = traits.birth_place.upper()
        department, commune = (
            (place[:3], place[3:])
            if place[:2] in ("97", "98")
            else (
                place[:2],
                place[2:],
            )
        )
        # A stable order number from the names, so the same person always gets the same INS.
        digest = hashlib.sha256(key.encode()).digest()
        order = int.from_bytes(digest[:2], "big") % 999 + 1
        ins = make_ins(
            traits.sex, traits.birth_date.year, traits.birth_date.month, department, commune, order
        )
        parse_ins(ins)
        return InsiIdentity(
            ins=ins,
            oid=OID_TEST,
            birth_name=normalise_name(traits.birth_name),
            first_names=tuple(traits.first_names),
            birth_date=traits.birth_date,
            sex=traits.sex,
            birth_place=place,
        )


def insi_service() -> InsiService:
    service_class = import_string(str(settings.INSI_SERVICE))
    service: InsiService = service_class()
    return service
