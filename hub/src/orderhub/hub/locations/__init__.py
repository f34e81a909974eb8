"""Locations: warehouses, stores, 3PLs and drop-ship suppliers."""
