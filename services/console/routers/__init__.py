"""The console's endpoints, one module per resource, each an APIRouter that create_app includes.

- login:   /login, /logout: the form that keeps a desk token in an HttpOnly cookie
- pages:   /desks/{desk}: the live list; /desks/{desk}/alerts/{id}: an alert, and its action forms
- alerts:  /api/desks/{desk}/alerts...: the same reads and actions as JSON, for programs
- stream:  /desks/{desk}/stream and /api/desks/{desk}/stream: the list pushed as it changes (SSE)
- health:  /metrics, /healthz, /readyz (the admin API's router: the same answers from app.state.health)

A new resource (joint cases, say) is a module beside these, included in create_app. The modules
have no `from __future__ import annotations`: FastAPI reads the endpoints' annotations at runtime.
"""
