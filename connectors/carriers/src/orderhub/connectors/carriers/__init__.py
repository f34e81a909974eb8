"""Carrier connectors for OrderHub: EasyPost, DHL Parcel DE, FedEx, La Poste / Colissimo,
and `offline` for a carrier without an API (price list, labels drawn locally)."""
