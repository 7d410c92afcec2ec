#!/usr/bin/python3
"""A digest of what `safer site` writes to a GeoPackage, to compare two runs: for each site layer
(site, site_rings, site_incidents, site_paths, site_segments) its row count and the SHA-256 of its attributes
(every column, rows in fid order, numbers as Python's exact repr) and of its geometry blobs; then
the same for the layers' descriptions (gpkg_contents), field descriptions (gpkg_data_columns) and
default QGIS styles (layer_styles). Read with Python's own sqlite3, not with safer or GDAL.

usage: site_digest.py OUT.gpkg
"""
import hashlib
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
LAYERS = ("site", "site_rings", "site_incidents", "site_paths", "site_segments")


def sha(lines):
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8") + b"\n")
    return h.hexdigest()[:16]


def cell(v):
    return v.hex() if isinstance(v, bytes) else repr(v)


tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
for layer in LAYERS:
    if layer not in tables:
        print(f"{layer}: absent")
        continue
    cur = db.execute(f'SELECT * FROM "{layer}" ORDER BY fid')
    names = [d[0] for d in cur.description]
    attributes, geometry = [" ".join(n for n in names if n not in ("fid", "geom"))], []
    rows = 0
    for row in cur:
        rows += 1
        attributes.append("|".join(cell(v) for n, v in zip(names, row) if n not in ("fid", "geom")))
        geometry.append(cell(row[names.index("geom")]))
    print(f"{layer}: {rows} rows, attributes {sha(attributes)}, geometry {sha(geometry)}")
where = "IN ({})".format(",".join(f"'{l}'" for l in LAYERS))
print("gpkg_contents", sha("|".join(map(cell, r)) for r in db.execute(
    f"SELECT table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id FROM gpkg_contents WHERE table_name {where} ORDER BY table_name")))
print("gpkg_data_columns", sha("|".join(map(cell, r)) for r in db.execute(
    f"SELECT table_name, column_name, description FROM gpkg_data_columns WHERE table_name {where} ORDER BY table_name, column_name")))
print("layer_styles", sha("|".join(map(cell, r)) for r in db.execute(
    f"SELECT f_table_name, f_geometry_column, styleName, styleQML, useAsDefault, description FROM layer_styles WHERE f_table_name {where} "
    "ORDER BY f_table_name, styleName")))
