#!/usr/bin/python3
"""Checks safer's outputs the way QGIS users meet them.

usage: /usr/bin/python3 check_outputs.py [--crs EPSG:27700] [--structure-only] SOURCE...

SOURCE is a GeoPackage (every layer in it is checked), a GeoTIFF, a QGIS project (.qgz) safer
wrote beside one, a one-layer file (.fgb, .geojson, .shp, .csv) with its .qml beside it, or a
PostGIS schema written by safer, given as "PG:host=... port=... dbname=... user=... schema=NAME".
--render DIR draws each project's map canvas to DIR/<name>.png (for looking at it).

Structure (Python's sqlite3, no QGIS needed), for GeoPackages:
  - every layer has a description in gpkg_contents and every field one in gpkg_data_columns;
  - every SRS used is registered with organization EPSG (QGIS would show a custom CRS otherwise);
  - every vector layer has an R-tree spatial index that holds all its geometries;
  - every vector layer has exactly one default style in layer_styles, with f_table_catalog and
    f_table_schema '' and f_geometry_column its geometry column, whose QML is well-formed;
  - gpkg_metadata holds an ISO 19139 record referenced from the whole GeoPackage, with the
    command line and the SHA-256 of the inputs (when the run recorded any);
  - rasters have the .qml style file QGIS reads beside the GeoPackage.
Real client (PyQGIS, Debian's python3-qgis, QT_QPA_PLATFORM=offscreen): every layer loads
valid, in the expected CRS, with the feature count of the table, every geometry valid, and its
default style applied: the renderer QGIS built has the type, attribute, classes, labels, colours
and opacity of the stored style.

Projects (PyQGIS): the project reads; it holds every layer of its GeoPackage (and the GeoTIFF
beside it), each valid in the expected CRS, grouped (Plan, Hotspots, Results, Inputs); each
vector layer's renderer is its default style from layer_styles and every field has an alias;
rasters carry the density style (the .qml's colour stops); target areas are labelled by rank;
layers by month or quarter have temporal properties (rasters a fixed range equal to their
period, vector layers start and end expressions) and the project a temporal range covering
them; the view is set and holds the study area.

Prints "ok: ..." and "FAIL: ..." lines; exits 0 if everything passed, 1 on any failure, 77 when
QGIS is needed but cannot be imported (the test then reports itself skipped, loudly).
PyQGIS 3.22 can crash at interpreter exit, so this ends with os._exit.
"""
import os
import sqlite3
import sys
import xml.etree.ElementTree as ET

failures = 0


def ok(message):
    print(f"ok: {message}")


def fail(message):
    global failures
    failures += 1
    print(f"FAIL: {message}")


def finish(status):
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def parse_qml(text, where):
    """The QML's root element, or None (and a failure) if it is not well-formed."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("<!DOCTYPE"))
    try:
        return ET.fromstring(body)
    except ET.ParseError as e:
        fail(f"{where}: the style's QML is not well-formed: {e}")
        return None


def qml_colour(symbol):
    """(r, g, b, a) of a QML <symbol>'s first layer: its fill colour, or its line colour."""
    layer = symbol.find("layer")
    props = {p.get("k"): p.get("v") for p in layer.findall("prop")}
    value = props.get("color") if layer.get("class") != "SimpleLine" else props.get("line_color")
    return tuple(int(v) for v in value.split(",")) if value else None


def qgis_colour(symbol):
    """(r, g, b, a) of a QGIS symbol's first layer: fill colour, or line colour."""
    c = symbol.symbolLayer(0).color()
    return (c.red(), c.green(), c.blue(), c.alpha())


# ---- GeoPackage structure ---------------------------------------------------------------------

def gpkg_layers(db):
    rows = db.execute("SELECT c.table_name, c.data_type, coalesce(c.description, ''), c.srs_id, g.column_name "
                      "FROM gpkg_contents c LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
                      "ORDER BY c.rowid").fetchall()
    return [dict(name=r[0], type=r[1], description=r[2], srs_id=r[3], geom=r[4]) for r in rows]


def check_structure(path, expected_crs):
    name = os.path.basename(path)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    layers = [l for l in gpkg_layers(db) if l["name"] != "layer_styles"]
    if not layers:
        fail(f"{name}: no layers")
    described = {(t, c) for t, c, d in db.execute("SELECT table_name, column_name, description FROM gpkg_data_columns")
                 if d} if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_data_columns'").fetchone() else set()
    styles = db.execute("SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, useAsDefault "
                        "FROM layer_styles").fetchall() if db.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'layer_styles'").fetchone() else []
    rasters = []
    for l in layers:
        where = f"{name}:{l['name']}"
        if not l["description"]:
            fail(f"{where}: no description in gpkg_contents")
        if l["type"] in ("features", "attributes"):
            columns = [r[1] for r in db.execute(f'PRAGMA table_info("{l["name"]}")') if not r[5] and r[1] != l["geom"]]
            missing = [c for c in columns if (l["name"], c) not in described]
            if missing:
                fail(f"{where}: fields without a description in gpkg_data_columns: {', '.join(missing)}")
            else:
                ok(f"{where}: layer and all {len(columns)} fields described")
        if l["type"] in ("features", "2d-gridded-coverage"):
            org = db.execute("SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
                             (l["srs_id"],)).fetchone()
            crs = f"{org[0].upper()}:{org[1]}" if org else None
            if crs != expected_crs:
                fail(f"{where}: SRS {l['srs_id']} is registered as {crs}, not {expected_crs}")
        if l["type"] == "features":
            rtree = f"rtree_{l['name']}_{l['geom']}"
            registered = db.execute("SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND column_name = ? AND "
                                    "extension_name = 'gpkg_rtree_index'", (l["name"], l["geom"])).fetchone()
            if not registered or not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchone():
                fail(f"{where}: no spatial index")
            else:
                indexed = db.execute(f'SELECT count(*) FROM "{rtree}"').fetchone()[0]
                geometries = db.execute(f'SELECT count(*) FROM "{l["name"]}" WHERE "{l["geom"]}" IS NOT NULL').fetchone()[0]
                if indexed != geometries:
                    fail(f"{where}: the spatial index holds {indexed} of {geometries} geometries")
            mine = [s for s in styles if s[2] == l["name"]]
            defaults = [s for s in mine if s[6]]
            if len(defaults) != 1:
                fail(f"{where}: {len(defaults)} default styles in layer_styles (expected 1)")
                continue
            d = defaults[0]
            if d[0] != "" or d[1] != "":
                fail(f"{where}: layer_styles f_table_catalog/f_table_schema are {d[0]!r}/{d[1]!r}, not '' (QGIS ignores the style)")
            elif d[3] != l["geom"]:
                fail(f"{where}: layer_styles f_geometry_column {d[3]!r} is not the geometry column {l['geom']!r}")
            elif parse_qml(d[5], where) is not None:
                ok(f"{where}: default style '{d[4]}' ({len(mine)} style{'s' if len(mine) != 1 else ''} stored), SRS {expected_crs}, spatial index")
        if l["type"] == "2d-gridded-coverage":
            rasters.append(l["name"])
    if rasters:
        qml = os.path.splitext(path)[0] + ".qml"
        if not os.path.exists(qml):
            fail(f"{name}: {len(rasters)} raster layer(s) but no {os.path.basename(qml)} beside it (QGIS reads raster styles only from there)")
        else:
            root = parse_qml(open(qml, encoding="utf-8").read(), qml)
            if root is not None and root.find("pipe/rasterrenderer") is not None:
                ok(f"{name}: rasters {', '.join(rasters)} styled by {os.path.basename(qml)} "
                   f"({root.find('pipe/rasterrenderer').get('type')})")
            elif root is not None:
                fail(f"{name}: {os.path.basename(qml)} holds no pipe/rasterrenderer: QGIS would draw the rasters unstyled")
    # Metadata: an ISO 19139 record for the whole GeoPackage, next to GDAL's own.
    iso = db.execute("SELECT m.metadata FROM gpkg_metadata m JOIN gpkg_metadata_reference r ON r.md_file_id = m.id "
                     "WHERE r.reference_scope = 'geopackage' AND m.md_standard_uri = 'http://www.isotc211.org/2005/gmd' "
                     "AND m.md_scope = 'dataset'").fetchall() if db.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'gpkg_metadata'").fetchone() else []
    gdal = db.execute("SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = 'http://gdal.org'").fetchall() if iso else []
    if len(iso) != 1:
        fail(f"{name}: {len(iso)} ISO 19139 records in gpkg_metadata referenced from the GeoPackage (expected 1)")
    else:
        try:
            root = ET.fromstring(iso[0][0])
            text = "".join(root.itertext())
            wants_sha = any("SAFER_INPUT_SHA256" in g[0] and '":"' in g[0] for g in gdal)
            if "Command line:" not in text or "Parameters (JSON)" not in text:
                fail(f"{name}: the ISO 19139 record lacks the command line or parameters")
            elif wants_sha and "SHA-256" not in text:
                fail(f"{name}: the ISO 19139 record lacks the inputs' SHA-256")
            else:
                ok(f"{name}: gpkg_metadata holds the run's lineage as ISO 19139 ({text.count('SHA-256')} input checksums)")
        except ET.ParseError as e:
            fail(f"{name}: the ISO 19139 record is not well-formed: {e}")
    db.close()


# ---- QGIS ------------------------------------------------------------------------------------------

def start_qgis():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from qgis.core import QgsApplication  # noqa: F401
    except ImportError as e:
        return None, str(e)
    from qgis.core import QgsApplication
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    return app, None


def compare_renderer(layer, qml_text, where):
    """The renderer QGIS built for `layer` against the stored QML: True if they agree."""
    root = parse_qml(qml_text, where)
    if root is None:
        return False
    expected = root.find("renderer-v2")
    r = layer.renderer()
    if r is None or expected is None:
        fail(f"{where}: no renderer (QGIS) or no renderer-v2 in the style")
        return False
    if r.type() != expected.get("type"):
        fail(f"{where}: QGIS renders with {r.type()}, the default style is {expected.get('type')}: the style was not applied")
        return False
    symbols = {s.get("name"): s for s in expected.find("symbols").findall("symbol")}
    problems = []
    if expected.get("type") == "categorizedSymbol":
        cats = expected.find("categories").findall("category")
        if r.classAttribute() != expected.get("attr"):
            problems.append(f"attribute {r.classAttribute()} != {expected.get('attr')}")
        got = r.categories()
        if len(got) != len(cats):
            problems.append(f"{len(got)} categories != {len(cats)}")
        for g, e in zip(got, cats):
            if str(g.value()) != e.get("value") or g.label() != e.get("label"):
                problems.append(f"category {g.value()!r}/{g.label()!r} != {e.get('value')!r}/{e.get('label')!r}")
            elif qgis_colour(g.symbol()) != qml_colour(symbols[e.get("symbol")]):
                problems.append(f"category {e.get('value')} colour {qgis_colour(g.symbol())} != {qml_colour(symbols[e.get('symbol')])}")
        detail = f"{len(got)} categories of {r.classAttribute()}"
    elif expected.get("type") == "graduatedSymbol":
        ranges = expected.find("ranges").findall("range")
        if r.classAttribute() != expected.get("attr"):
            problems.append(f"attribute {r.classAttribute()} != {expected.get('attr')}")
        got = r.ranges()
        if len(got) != len(ranges):
            problems.append(f"{len(got)} classes != {len(ranges)}")
        for g, e in zip(got, ranges):
            if abs(g.lowerValue() - float(e.get("lower"))) > 1e-9 * max(1, abs(g.lowerValue())) or g.label() != e.get("label"):
                problems.append(f"class {g.label()!r} != {e.get('label')!r}")
            elif qgis_colour(g.symbol()) != qml_colour(symbols[e.get("symbol")]):
                problems.append(f"class {e.get('label')} colour differs")
        detail = f"{len(got)} classes of {r.classAttribute()}"
    else:
        if qgis_colour(r.symbol()) != qml_colour(symbols["0"]):
            problems.append(f"colour {qgis_colour(r.symbol())} != {qml_colour(symbols['0'])}")
        detail = "single symbol"
    opacity = root.findtext("layerOpacity")
    if opacity is not None and abs(layer.opacity() - float(opacity)) > 1e-6:
        problems.append(f"opacity {layer.opacity()} != {opacity}")
    if problems:
        fail(f"{where}: the default style is not what QGIS applied: {'; '.join(problems[:5])}")
        return False
    ok(f"{where}: QGIS applied the default style: {r.type()}, {detail}{f', opacity {opacity}' if opacity not in (None, '1') else ''}")
    return True


def check_vector(layer, where, expected_crs, expected_count, style_name, style_qml, style_names):
    if not layer.isValid():
        fail(f"{where}: QGIS cannot load it: {layer.error().summary()}")
        return
    crs = layer.crs().authid() if layer.isSpatial() else None
    if layer.isSpatial() and crs != expected_crs:
        fail(f"{where}: CRS {crs or 'custom: ' + layer.crs().description()}, not {expected_crs}")
        return
    if layer.featureCount() != expected_count:
        fail(f"{where}: QGIS counts {layer.featureCount()} features, the table holds {expected_count}")
        return
    invalid = empty = null = 0
    if layer.isSpatial():
        for feature in layer.getFeatures():
            g = feature.geometry()
            if g.isNull():
                null += 1
            elif g.isEmpty():
                empty += 1
            elif not g.isGeosValid():
                invalid += 1
        if invalid or empty:
            fail(f"{where}: {invalid} invalid and {empty} empty geometries of {expected_count}")
            return
    ok(f"{where}: valid, {expected_count} features" + (f", {crs}, every geometry valid" if layer.isSpatial() else ", no geometry")
       + (f" ({null} without geometry)" if null else ""))
    if layer.providerType() == "postgres":
        # Column comments are field comments in QGIS; the key column needs none.
        bare = [f.name() for f in layer.fields() if not f.comment() and f.name() != "fid"]
        if bare:
            fail(f"{where}: QGIS shows no description (column comment) for {', '.join(bare)}")
        if not layer.dataProvider().dataComment():
            fail(f"{where}: QGIS shows no description (table comment)")
    if style_qml is None:
        if layer.isSpatial():
            fail(f"{where}: no default style stored")
        return
    if style_name not in style_names:
        fail(f"{where}: QGIS lists the styles {style_names}, not the default '{style_name}'")
        return
    compare_renderer(layer, style_qml, f"{where} style '{style_name}'")


def check_raster(layer, where, expected_crs, sidecar):
    if not layer.isValid():
        fail(f"{where}: QGIS cannot load it: {layer.error().summary()}")
        return
    if layer.crs().authid() != expected_crs:
        fail(f"{where}: CRS {layer.crs().authid() or 'custom'}, not {expected_crs}")
        return
    if not layer.dataProvider().sourceHasNoDataValue(1):
        fail(f"{where}: no nodata value (cells outside the study area would be drawn)")
        return
    detail = f"valid, {expected_crs}, {layer.width()} x {layer.height()} cells, nodata {layer.dataProvider().sourceNoDataValue(1):g}"
    if sidecar is None:
        ok(f"{where}: {detail} (no style expected: QGIS reads no stored style for this raster)")
        return
    root = parse_qml(open(sidecar, encoding="utf-8").read(), sidecar)
    if root is None:
        return
    want = root.find("pipe/rasterrenderer")
    got = layer.renderer()
    if got.type() != want.get("type"):
        fail(f"{where}: QGIS renders with {got.type()}, {os.path.basename(sidecar)} says {want.get('type')}: the style was not applied")
        return
    items = want.findall(".//colorrampshader/item")
    shader = got.shader().rasterShaderFunction()
    got_items = shader.colorRampItemList()
    if len(got_items) != len(items) or any(abs(g.value - float(e.get("value"))) > 1e-6 * max(1, abs(g.value)) for g, e in zip(got_items, items)):
        fail(f"{where}: the colour stops QGIS uses differ from {os.path.basename(sidecar)}")
        return
    transparent = [g for g in got_items if g.color.alpha() == 0]
    ok(f"{where}: {detail}, style {os.path.basename(sidecar)} applied ({got.type()}, {len(got_items)} stops, "
       f"{'0 transparent' if transparent else 'no transparent stop'})")


def check_gpkg_qgis(path, expected_crs):
    from qgis.core import QgsRasterLayer, QgsVectorLayer
    name = os.path.basename(path)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    has_styles = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'layer_styles'").fetchone()
    sidecar = os.path.splitext(path)[0] + ".qml"
    for l in gpkg_layers(db):
        if l["name"] == "layer_styles":
            continue
        where = f"QGIS {name}:{l['name']}"
        if l["type"] == "2d-gridded-coverage":
            check_raster(QgsRasterLayer(f"GPKG:{path}:{l['name']}", l["name"], "gdal"), where, expected_crs,
                         sidecar if os.path.exists(sidecar) else None)
            continue
        count = db.execute(f'SELECT count(*) FROM "{l["name"]}"').fetchone()[0]
        row = db.execute("SELECT styleName, styleQML FROM layer_styles WHERE f_table_name = ? AND useAsDefault",
                         (l["name"],)).fetchone() if has_styles else None
        layer = QgsVectorLayer(f"{path}|layername={l['name']}", l["name"], "ogr")
        names = list(layer.listStylesInDatabase()[2]) if layer.isValid() and row else []
        check_vector(layer, where, expected_crs, count, row[0] if row else None, row[1] if row else None, names)
    db.close()


def check_tif_qgis(path, expected_crs):
    from qgis.core import QgsRasterLayer
    sidecar = os.path.splitext(path)[0] + ".qml"
    check_raster(QgsRasterLayer(path, os.path.basename(path), "gdal"), f"QGIS {os.path.basename(path)}", expected_crs,
                 sidecar if os.path.exists(sidecar) else None)


def period_range(name):
    """(start, end) ISO dates of the period a layer name ends with (_2023_04, _2023_q2), or None."""
    import re
    m = re.search(r"_(\d{4})_(\d{2})$", name)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        return f"{y:04d}-{mo:02d}-01", f"{y + (mo == 12):04d}-{mo % 12 + 1:02d}-01"
    m = re.search(r"_(\d{4})_q([1-4])$", name)
    if m:
        y, q = int(m.group(1)), int(m.group(2))
        first = 3 * (q - 1) + 1
        after = first + 3
        return f"{y:04d}-{first:02d}-01", f"{y + (after > 12):04d}-{(after - 1) % 12 + 1:02d}-01"
    return None


def check_project(path, expected_crs, render_dir=None):
    """A .qgz safer wrote: every layer of its data resolves, styled, grouped, timed and in view."""
    from qgis.core import (QgsMapLayerType, QgsProject, QgsRasterLayerTemporalProperties, QgsVectorLayerTemporalProperties,
                           QgsLayerTreeLayer)
    name = os.path.basename(path)
    project = QgsProject.instance()
    project.clear()
    if not project.read(path):
        fail(f"{name}: QGIS cannot read the project: {project.error()}")
        return
    layers = list(project.mapLayers().values())
    base = os.path.splitext(path)[0]
    data = [p for p in (base + ".gpkg", base + "_classes.gpkg") if os.path.exists(p)]
    expected = set()
    styles = {}
    for gpkg in data:
        db = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
        expected |= {l["name"] for l in gpkg_layers(db) if l["name"] != "layer_styles"}
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'layer_styles'").fetchone():
            styles.update({r[0]: r[1] for r in db.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault")})
        db.close()
    tif = [p for p in (base + ".tif", base + ".tiff") if os.path.exists(p)]
    got = {l.name() for l in layers}
    missing = expected - got
    if missing:
        fail(f"{name}: the project lacks layers of its GeoPackage: {', '.join(sorted(missing))}")
    invalid = [l.name() for l in layers if not l.isValid()]
    if invalid:
        fail(f"{name}: layers that do not resolve: {', '.join(invalid)}")
        return
    ok(f"{name}: {len(layers)} layers, every one valid ({len(expected)} from {', '.join(os.path.basename(d) for d in data) or 'no GeoPackage'}"
       f"{', and ' + os.path.basename(tif[0]) if tif else ''})")
    root = project.layerTreeRoot()
    groups = [g.name() for g in root.children() if not isinstance(g, QgsLayerTreeLayer)]
    if not groups or any(g not in ("Plan", "Hotspots", "Results", "Inputs") for g in groups):
        fail(f"{name}: groups {groups}, expected some of Plan, Hotspots, Results, Inputs")
    else:
        ok(f"{name}: grouped {groups}")
    timed = 0
    for layer in layers:
        where = f"{name}:{layer.name()}"
        if layer.type() == QgsMapLayerType.VectorLayer:
            if layer.isSpatial() and layer.crs().authid() != expected_crs:
                fail(f"{where}: CRS {layer.crs().authid()}, not {expected_crs}")
            qml = styles.get(layer.name())
            if layer.isSpatial():
                if qml is None:
                    fail(f"{where}: no default style in layer_styles to compare with")
                elif not compare_renderer(layer, qml, f"{where} (project)"):
                    continue
            bare = [f.name() for f in layer.fields() if f.name() != "fid" and not layer.attributeAlias(layer.fields().indexOf(f.name()))]
            if bare:
                fail(f"{where}: fields without an alias: {', '.join(bare)}")
            abstract = layer.metadata().abstract()
            undescribed = [f.name() for f in layer.fields() if f.name() != "fid" and f"({f.name()}): " not in abstract]
            if undescribed:
                fail(f"{where}: the Information tab describes no field {', '.join(undescribed[:5])}")
            if layer.name() == "target_areas":
                settings = layer.labeling().settings() if layer.labelsEnabled() and layer.labeling() else None
                if not settings or "rank" not in settings.fieldName:
                    fail(f"{where}: target areas are not labelled by rank")
                else:
                    ok(f"{where}: labelled by {settings.fieldName}")
            props = layer.temporalProperties()
            if any(f.name() == "period_start" for f in layer.fields()):
                if not props.isActive() or props.mode() != QgsVectorLayerTemporalProperties.ModeFeatureDateTimeStartAndEndFromExpressions:
                    fail(f"{where}: has period_start but no temporal properties")
                else:
                    timed += 1
                    ok(f"{where}: temporal from {props.startExpression()} to {props.endExpression()}")
        elif layer.type() == QgsMapLayerType.RasterLayer:
            if layer.crs().authid() != expected_crs:
                fail(f"{where}: CRS {layer.crs().authid()}, not {expected_crs}")
            if layer.renderer().type() != "singlebandpseudocolor":
                fail(f"{where}: rendered {layer.renderer().type()}, not with the density style")
            else:
                items = layer.renderer().shader().rasterShaderFunction().colorRampItemList()
                ok(f"{where}: density style, {len(items)} stops, first '{items[0].label}', last '{items[-1].label}'")
            want = period_range(layer.name())
            props = layer.temporalProperties()
            if want:
                r = props.fixedTemporalRange()
                # QGIS includes a fixed range's end, so it is the last millisecond of the period.
                have = (r.begin().toString("yyyy-MM-dd"), r.end().addMSecs(1).toString("yyyy-MM-dd"))
                if not props.isActive() or props.mode() != QgsRasterLayerTemporalProperties.ModeFixedTemporalRange or have != want:
                    fail(f"{where}: temporal range {have if props.isActive() else 'none'}, expected {want}")
                else:
                    timed += 1
                    ok(f"{where}: shown from {have[0]} until {have[1]}")
    if timed:
        t = project.timeSettings().temporalRange()
        if not t.begin().isValid() or not t.end().isValid():
            fail(f"{name}: {timed} temporal layers but the project has no temporal range")
        else:
            ok(f"{name}: temporal range {t.begin().toString('yyyy-MM-dd')} to {t.end().toString('yyyy-MM-dd')}, "
               f"step {project.timeSettings().timeStep()} {project.timeSettings().timeStepUnit()}")
            check_frames(project, name)
    view = project.viewSettings().defaultViewExtent()
    drawn = [l for l in layers if l.type() == QgsMapLayerType.RasterLayer or (l.type() == QgsMapLayerType.VectorLayer and l.isSpatial())]
    if view.isEmpty() and not drawn:
        ok(f"{name}: tables only ({', '.join(l.name() for l in layers)}), nothing to draw, so no view to open on")
    elif view.isEmpty():
        fail(f"{name}: no view extent: QGIS would open on nothing in particular")
    else:
        study = None
        for layer in layers:
            if layer.name() in ("areas", "score_areas", "hotspot_areas", "segments") or layer.type() == QgsMapLayerType.RasterLayer:
                study = layer.extent() if study is None else study
        if study is not None and not view.contains(study):
            fail(f"{name}: the view {view.toString(0)} does not hold the study area {study.toString(0)}")
        else:
            ok(f"{name}: opens on {view.toString(0)}")
    if render_dir:
        render(project, os.path.join(render_dir, os.path.splitext(name)[0] + ".png"))


def check_frames(project, name):
    """Steps the temporal controller through the project's frames as QGIS does (by the project's
    step): each frame shows exactly one period's raster, and of a vector layer by period exactly
    the features of that period (counted through QGIS's own temporal filter)."""
    from qgis.core import (QgsInterval, QgsMapLayerType, QgsTemporalNavigationObject, QgsUnitTypes, QgsFeatureRequest,
                           QgsVectorLayerTemporalContext)
    settings = project.timeSettings()
    nav = QgsTemporalNavigationObject()
    nav.setTemporalExtents(settings.temporalRange())
    nav.setFrameDuration(QgsInterval(settings.timeStep(), settings.timeStepUnit()))
    frames = nav.totalFrameCount()
    layers = list(project.mapLayers().values())
    problems, shown = [], 0
    for k in range(frames):
        frame = nav.dateTimeRangeForFrameNumber(k)
        day = frame.begin().toString("yyyy-MM-dd")
        rasters = [l.name() for l in layers if l.type() == QgsMapLayerType.RasterLayer and l.temporalProperties().isActive()
                   and l.temporalProperties().isVisibleInTemporalRange(frame)]
        if any(l.type() == QgsMapLayerType.RasterLayer and l.temporalProperties().isActive() for l in layers) and k < frames - 1 and len(rasters) != 1:
            problems.append(f"frame {day}: rasters {rasters}")
        for l in layers:
            if l.type() != QgsMapLayerType.VectorLayer or not l.temporalProperties().isActive():
                continue
            context = QgsVectorLayerTemporalContext()
            context.setLayer(l)
            expression = l.temporalProperties().createFilterString(context, frame)
            got = sum(1 for _ in l.getFeatures(QgsFeatureRequest().setFilterExpression(expression)))
            want = sum(1 for f in l.getFeatures() if f["period_start"] == day)
            if got != want:
                problems.append(f"frame {day}: {l.name()} shows {got} features, its period has {want}")
            shown += got
    if problems:
        fail(f"{name}: the temporal controller's frames: {'; '.join(problems[:4])}")
    else:
        ok(f"{name}: {frames} frames of the temporal controller, each showing one period ({shown} features in all)")


def render(project, png):
    """Draws the project's map as QGIS shows it on opening (the first time step, if any)."""
    from qgis.core import QgsMapSettings, QgsMapRendererSequentialJob, QgsDateTimeRange
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor
    settings = QgsMapSettings()
    root = project.layerTreeRoot()
    settings.setLayers([l for l in root.layerOrder() if root.findLayer(l.id()).isVisible()])
    settings.setDestinationCrs(project.crs())
    settings.setExtent(project.viewSettings().defaultViewExtent())
    settings.setOutputSize(QSize(1200, 900))
    settings.setBackgroundColor(QColor(255, 255, 255))
    t = project.timeSettings()
    if t.temporalRange().begin().isValid():
        start = t.temporalRange().begin()
        settings.setIsTemporal(True)
        settings.setTemporalRange(QgsDateTimeRange(start, start.addMonths(int(t.timeStep())), True, False))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(png)
    print(f"rendered {png}")


def check_single_layer(path, expected_crs):
    """A one-layer file (FlatGeobuf, GeoJSON, Shapefile, CSV) opens in QGIS with the .qml beside it."""
    from qgis.core import QgsVectorLayer
    name = os.path.basename(path)
    uri = path
    if path.lower().endswith(".csv"):
        uri = path  # GDAL's CSV driver reads the WKT column as the geometry
    layer = QgsVectorLayer(uri, name, "ogr")
    if not layer.isValid():
        fail(f"QGIS {name}: cannot load it: {layer.error().summary()}")
        return
    qml = os.path.splitext(path)[0] + ".qml"
    if not layer.isSpatial():
        # A result that is a table (safer accuracy -o NAME.csv): no geometry to draw, no style.
        if os.path.exists(qml):
            fail(f"QGIS {name}: a table without geometry, yet a style {os.path.basename(qml)} beside it")
        elif layer.featureCount() < 1:
            fail(f"QGIS {name}: a table without rows")
        else:
            ok(f"QGIS {name}: a table, {layer.featureCount()} rows, {len(layer.fields())} fields")
        return
    if not os.path.exists(qml):
        fail(f"QGIS {name}: no {os.path.basename(qml)} beside it")
        return
    crs = layer.crs().authid()
    if not path.lower().endswith(".csv") and crs != expected_crs:
        fail(f"QGIS {name}: CRS {crs}, not {expected_crs}")
        return
    ok(f"QGIS {name}: valid, {layer.featureCount()} features, {crs or 'no CRS (CSV)'}")
    compare_renderer(layer, open(qml, encoding="utf-8").read(), f"QGIS {name} style {os.path.basename(qml)}")


def check_postgis_qgis(source, expected_crs):
    import psycopg2
    from qgis.core import QgsDataSourceUri, QgsRasterLayer, QgsVectorLayer
    keys = dict(token.split("=", 1) for token in source[3:].split())
    schema = keys.pop("schema")
    conn = psycopg2.connect(" ".join(f"{k}={v}" for k, v in keys.items()))
    cur = conn.cursor()

    def uri(table, geometry, key):
        u = QgsDataSourceUri()
        u.setConnection(keys.get("host", ""), keys.get("port", "5432"), keys.get("dbname", ""), keys.get("user", ""), keys.get("password", ""))
        u.setDataSource(schema, table, geometry, "", key)
        return u

    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name", (schema,))
    tables = [r[0] for r in cur.fetchall()]
    if not tables:
        fail(f"PostGIS schema {schema}: no tables")
    cur.execute("SELECT f_table_name, f_geometry_column FROM geometry_columns WHERE f_table_schema = %s", (schema,))
    geometry = dict(cur.fetchall())
    rasters = set()
    cur.execute("SELECT to_regclass('raster_columns') IS NOT NULL")
    if cur.fetchone()[0]:
        cur.execute("SELECT r_table_name FROM raster_columns WHERE r_table_schema = %s", (schema,))
        rasters = {r[0] for r in cur.fetchall()}
    for t in tables:
        where = f"QGIS PostGIS {schema}.{t}"
        if t in rasters:
            u = uri(t, "rast", "rid")
            check_raster(QgsRasterLayer(u.uri(False), t, "postgresraster"), where, expected_crs, None)
            continue
        cur.execute(f'SELECT count(*) FROM "{schema}"."{t}"')
        count = cur.fetchone()[0]
        row = None
        if t in geometry:
            cur.execute("SELECT stylename, styleqml::text FROM layer_styles WHERE f_table_catalog = current_database() AND "
                        "f_table_schema = %s AND f_table_name = %s AND useasdefault", (schema, t))
            row = cur.fetchone()
        key = "fid" if t != "run_metadata" else "key"
        layer = QgsVectorLayer(uri(t, geometry.get(t), key).uri(False), t, "postgres")
        names = list(layer.listStylesInDatabase()[2]) if layer.isValid() and row else []
        check_vector(layer, where, expected_crs, count, row[0] if row else None, row[1] if row else None, names)
    conn.close()


def main(argv):
    crs = "EPSG:27700"
    structure_only = False
    render_dir = None
    sources = []
    i = 0
    while i < len(argv):
        if argv[i] == "--crs":
            crs = argv[i + 1]
            i += 2
            continue
        if argv[i] == "--render":
            render_dir = argv[i + 1]
            i += 2
            continue
        if argv[i] == "--structure-only":
            structure_only = True
        else:
            sources.append(argv[i])
        i += 1
    if not sources:
        print(__doc__)
        finish(2)
    for s in sources:
        if s.lower().endswith(".gpkg"):
            check_structure(s, crs)
    if structure_only:
        finish(1 if failures else 0)
    app, error = start_qgis()
    if app is None:
        print("#" * 78)
        print(f"SKIPPED: QGIS (python3-qgis) cannot be imported by {sys.executable}: {error}")
        print("         The real-client checks did NOT run. Install the packages of tools/packages-qgis.txt.")
        print("#" * 78)
        finish(77)
    from qgis.core import Qgis
    print(f"QGIS {Qgis.QGIS_VERSION} (PyQGIS, {os.environ.get('QT_QPA_PLATFORM')})")
    for s in sources:
        if s.upper().startswith("PG:"):
            check_postgis_qgis(s, crs)
        elif s.lower().endswith(".gpkg"):
            check_gpkg_qgis(s, crs)
        elif s.lower().endswith((".tif", ".tiff")):
            check_tif_qgis(s, crs)
        elif s.lower().endswith(".qgz"):
            check_project(s, crs, render_dir)
        elif s.lower().endswith((".fgb", ".geojson", ".json", ".shp", ".csv")):
            check_single_layer(s, crs)
        else:
            fail(f"{s}: not a GeoPackage, GeoTIFF, QGIS project, one-layer file or PG: source")
    print(f"{failures} failure{'s' if failures != 1 else ''}")
    finish(1 if failures else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
