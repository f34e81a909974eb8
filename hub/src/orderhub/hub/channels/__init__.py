"""Channels built into the hub: `manual` (API, phone, counter) and `spreadsheet` (CSV/XLSX)."""
