"""Runs one SQL query with DuckDB over the Parquet export downloaded from the local cloud's S3.

Usage: duckdb_sql.py ROOT QUERY FORMAT — ROOT holds calls/tenant=…/day=…/*.parquet as the export
bucket does; the query sees them as the view `calls`, with `tenant` and `day` as string columns
(as the Glue table's partition keys are), so the docs' Athena queries run unchanged. FORMAT is
`table` (aligned text) or `json` (a list of objects, for tests). Called by `callscope local sql`.
"""

import glob
import json
import os
import sys

import duckdb


def main() -> int:
    root, query, fmt = sys.argv[1], sys.argv[2], sys.argv[3]
    files = os.path.join(root, "calls", "*", "*", "*.parquet")
    if not glob.glob(files):
        print(f"no exported files under {root}/calls: analyse some calls first", file=sys.stderr)
        return 2
    con = duckdb.connect()
    # hive_types_autocast off: `day` stays a string, as Athena reads the partition key.
    # A view cannot take a prepared parameter: the path (a scratch folder of ours) is quoted.
    quoted = files.replace("'", "''")
    con.execute(
        f"CREATE VIEW calls AS SELECT * FROM read_parquet('{quoted}', hive_partitioning = true, "
        "hive_types_autocast = false, union_by_name = true)"
    )
    cursor = con.execute(query)
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if fmt == "json":
        print(json.dumps([dict(zip(columns, row)) for row in rows], default=str))
        return 0
    text = [[("NULL" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
    print("  ".join("-" * w for w in widths))
    for r in text:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    print(f"({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
