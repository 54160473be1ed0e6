"""Exit 0 when the PostgreSQL server and the Redis server given as URLs both answer."""

import socket
import sys
from urllib.parse import urlparse


def answers(url: str, default_port: int) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    database_url, redis_url = sys.argv[1], sys.argv[2]
    sys.exit(0 if answers(database_url, 5432) and answers(redis_url, 6379) else 1)
