"""Read models: each projection turns events into SQL on the read-model store (psycopg 3)."""
