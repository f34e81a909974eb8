"""La Poste / Colissimo: SLS generateLabel (multipart answers) and La Poste Suivi v2 tracking."""

from orderhub.connectors.carriers.colissimo.connector import ColissimoConnector, ColissimoSettings

__all__ = ["ColissimoConnector", "ColissimoSettings"]
