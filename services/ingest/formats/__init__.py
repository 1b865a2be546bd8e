"""The formats feeds send, each behind the same small interface (base.Format); registry.py lists them."""
