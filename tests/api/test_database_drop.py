"""A process whose database dropped every connection (a restart, a failover) answers its next
request at once: psycopg's pool waited 1, 2, 4... s per dead idle connection it found, so a
process holding four of them failed its next request after the pool's 10 s timeout."""
from __future__ import annotations

import pytest
from django.db import connection

from tests.workers.processes import database_backends, drop_database_connections

pytestmark = pytest.mark.django_db(transaction=True)


def test_after_the_server_drops_every_connection_the_next_request_gets_a_live_one(client, django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL=postgres://... (see README)")
    user = django_user_model.objects.create_user("dropped", password="pw-dropped-1")
    client.force_login(user)
    pool = connection.pool
    held = [pool.getconn() for _ in range(6)]  # six idle connections once given back
    for conn in held:
        pool.putconn(conn)
    connection.close()
    drop_database_connections(database_backends())

    answer = client.get("/api/projects")

    assert answer.status_code == 200, answer.content[:300]
    assert pool.get_stats().get("connections_lost", 0) >= 6
