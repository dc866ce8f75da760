"""What ``synchronous=FULL`` costs one commit (one webhook is one commit), against ``NORMAL``.

Each round opens a fresh SQLite file in the temp folder through the connector's own engine
(WAL, BEGIN IMMEDIATE) and times N one-row commits of a 2 KB value, FULL and NORMAL in
turn, so the difference is the WAL fsync alone, not the rest of a webhook's work (which
``bench/profile_webhook.py`` and ``bench/single_answer.py`` time, with noise of their own).

Usage: ``.venv/bin/python bench/sqlite_commit.py [--commits 300] [--rounds 3]``
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.store.db import make_engine  # noqa: E402


def commit_times(url: str, level: str, commits: int) -> list[float]:
    engine = make_engine(url, synchronous=level)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE probe (value TEXT)"))
        times = []
        for _ in range(commits):
            started = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO probe VALUES (:v)"), {"v": "x" * 2000})
            times.append((time.perf_counter() - started) * 1000)
        return sorted(times)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="recovery-commit-")
    for round_number in range(args.rounds):
        for level in ("FULL", "NORMAL"):
            times = commit_times(f"sqlite:///{folder}/{level}-{round_number}.db", level, args.commits)
            print(f"round {round_number + 1} synchronous={level}: commit p50 {statistics.median(times):.2f} ms, "
                  f"p99 {times[int(len(times) * 0.99)]:.2f} ms")


if __name__ == "__main__":
    main()
