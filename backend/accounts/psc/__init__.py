"""Sign-in with Pro Santé Connect (OpenID Connect for CPS / e-CPS): the relying party."""
