"""Exit 0 when both the PostgreSQL and Redis given on the command line answer, else 1 (used by make test)."""

import sys

import redis
from sqlalchemy import create_engine, text


def main(database_url: str, redis_url: str) -> int:
    try:
        engine = create_engine(database_url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        print(f"not reachable: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
