"""The admin API's endpoints, one module per resource, each an APIRouter that create_app includes.

- lists:    /lists, a list, its entries; import, enable and disable
- entries:  /entries: read, add, replace, remove and expire one entry
- history:  /history, the audit trail

The modules have no `from __future__ import annotations`: FastAPI reads the endpoints' annotations
at runtime.
"""
