"""What can go wrong in a Pro Santé Connect sign-in, said in French to the professional."""

from __future__ import annotations

# code -> (HTTP status of the error page, title, explanation)
MESSAGES: dict[str, tuple[int, str, str]] = {
    "psc_not_configured": (
        503,
        "Connexion Pro Santé Connect indisponible",
        "La connexion par Pro Santé Connect n'est pas configurée sur cette plateforme. "
        "Connectez-vous avec votre identifiant et votre mot de passe, ou contactez "
        "l'administrateur de votre structure.",
    ),
    "psc_unavailable": (
        502,
        "Pro Santé Connect ne répond pas",
        "Le service Pro Santé Connect n'a pas pu être joint. Réessayez dans quelques instants.",
    ),
    "psc_denied": (
        403,
        "Connexion annulée",
        "La connexion a été annulée ou refusée sur Pro Santé Connect. Vous n'êtes pas connecté.",
    ),
    "psc_state": (
        400,
        "Demande de connexion expirée ou déjà utilisée",
        "Cette réponse de Pro Santé Connect ne correspond à aucune demande de connexion en "
        "cours (elle a expiré ou a déjà servi). Recommencez la connexion.",
    ),
    "psc_refused": (
        400,
        "Connexion refusée par Pro Santé Connect",
        "Pro Santé Connect n'a pas validé la connexion. Recommencez la connexion.",
    ),
    "psc_signature": (
        400,
        "Réponse de Pro Santé Connect non vérifiable",
        "La signature de la réponse de Pro Santé Connect est invalide : la connexion est "
        "refusée par sécurité. Recommencez la connexion.",
    ),
    "psc_expired": (
        400,
        "Réponse de Pro Santé Connect expirée",
        "La réponse de Pro Santé Connect a expiré (ou l'horloge de votre poste est décalée). "
        "Recommencez la connexion.",
    ),
    "psc_nonce": (
        400,
        "Réponse de Pro Santé Connect rejouée",
        "La réponse reçue ne correspond pas à votre demande de connexion (possible rejeu) : "
        "la connexion est refusée par sécurité. Recommencez la connexion.",
    ),
    "psc_acr": (
        403,
        "Niveau d'authentification insuffisant",
        "La connexion doit se faire avec votre carte CPS ou l'application e-CPS (niveau eIDAS "
        "substantiel). Recommencez en utilisant l'un de ces moyens.",
    ),
    "psc_invalid": (
        400,
        "Réponse de Pro Santé Connect invalide",
        "La réponse de Pro Santé Connect est incomplète ou ne concerne pas cette plateforme. "
        "Recommencez la connexion.",
    ),
    "psc_no_rpps": (
        403,
        "Identifiant RPPS manquant",
        "Votre identité Pro Santé Connect ne comporte pas de numéro RPPS : la connexion par "
        "Pro Santé Connect est réservée aux professionnels inscrits au RPPS.",
    ),
    "unknown_rpps": (
        403,
        "Aucun compte pour ce numéro RPPS",
        "Votre numéro RPPS n'est associé à aucun compte Liaison Santé, et aucun compte n'est "
        "créé automatiquement. Demandez à l'administrateur Liaison Santé de votre structure "
        "de créer votre compte avec votre numéro RPPS, puis reconnectez-vous.",
    ),
    "account_disabled": (
        403,
        "Compte désactivé",
        "Votre compte Liaison Santé est désactivé. Contactez l'administrateur de votre structure.",
    ),
    "psc_session_ended": (
        401,
        "Session Pro Santé Connect terminée",
        "Votre session Pro Santé Connect a pris fin : reconnectez-vous.",
    ),
}


class PscError(Exception):
    """A failed Pro Santé Connect step; `code` is a key of MESSAGES."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code if code in MESSAGES else "psc_invalid"

    @property
    def status(self) -> int:
        return MESSAGES[self.code][0]

    @property
    def title(self) -> str:
        return MESSAGES[self.code][1]

    @property
    def message(self) -> str:
        return MESSAGES[self.code][2]
