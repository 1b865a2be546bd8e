"""Validation of the codes feeds send: countries, UN/LOCODEs, ISO 6346 containers, IMO and MMSI, HS codes.

Pure Python over bundled data files (`data/`), loaded on first use: importing a module costs nothing.
"""
