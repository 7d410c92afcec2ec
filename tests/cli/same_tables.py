#!/usr/bin/env python3
"""Table by table, row by row: do two GeoPackages hold the same data?

usage: same_tables.py A.gpkg B.gpkg

Every table (layers, attribute tables, gpkg_* tables, layer_styles, R-tree indexes) is compared
column by column in rowid order, except what records when and how a file was made: the
gpkg_metadata tables (the run's lineage: a `safer run` job records its project file there) and
the timestamps gpkg_contents.last_change and layer_styles.update_time. Prints the first
difference of each table and exits 1 if any."""
import sqlite3
import sys

SKIP_TABLES = {"gpkg_metadata", "gpkg_metadata_reference", "sqlite_sequence"}
SKIP_COLUMNS = {"last_change", "update_time"}


def tables(con):
    return [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


def main(a_path, b_path):
    a, b = sqlite3.connect(a_path), sqlite3.connect(b_path)
    ta, tb = tables(a), tables(b)
    differences = 0
    if ta != tb:
        print(f"tables differ: {sorted(set(ta) ^ set(tb))}")
        differences += 1
    compared = 0
    for t in ta:
        if t in SKIP_TABLES or t not in tb:
            continue
        columns = [r[1] for r in a.execute(f'PRAGMA table_info("{t}")') if r[1] not in SKIP_COLUMNS]
        select = "SELECT " + ", ".join(f'"{c}"' for c in columns) + f' FROM "{t}" ORDER BY rowid'
        ra, rb = a.execute(select).fetchall(), b.execute(select).fetchall()
        compared += 1
        if ra != rb:
            differences += 1
            print(f"table {t}: {len(ra)} rows against {len(rb)}")
            for x, y in zip(ra, rb):
                if x != y:
                    print(f"  first difference:\n    {str(x)[:300]}\n    {str(y)[:300]}")
                    break
    print(f"{compared} tables compared, {differences} differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
