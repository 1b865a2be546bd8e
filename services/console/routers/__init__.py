"""The console's endpoints, one module per resource, each an APIRouter that create_app includes.

- login:   /login, /logout: the form that keeps a desk token in an HttpOnly cookie
- pages:   /desks/{desk}: the live list; /desks/{desk}/alerts/{id}: an alert, and its action forms
- alerts:  /api/desks/{desk}/alerts...: the same reads and actions as JSON, for programs
- stream:  /desks/{desk}/stream and /api/desks/{desk}/stream: the list pushed as it changes (SSE)
- health:  /metrics, /healthz, /readyz (the admin API's router: the same answers from app.state.health)

- cases:   /desks/{desk}/cases... and /api/desks/{desk}/cases...: joint cases, pages and JSON, and
           their list pushed as it changes

A new resource is a module beside these, included in create_app. The modules
have no `from __future__ import annotations`: FastAPI reads the endpoints' annotations at runtime.
"""
