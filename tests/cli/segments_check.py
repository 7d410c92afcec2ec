#!/usr/bin/python3
"""Independent checks of a `safer segments --incidents` output, written without safer's code.

  segments_check.py OUT.gpkg --bandwidth H --method M --tolerance T --gi-band B [--samples N] [--seed S]

1. Assignment: every incident in segment_incidents against a brute-force search of every piece of
   every segment (numpy): its segment is the nearest (ties within 1 mm: the lowest segment_id),
   at the distance stated; segments.count equals the incidents counted per segment; rejects of
   reason far_from_street are re-read from their police.uk file and line, reprojected with OGR,
   and have no segment within T metres.
2. Network KDE at sample lixels: the density at each chosen lixel centre recomputed on a NetworkX
   graph of the segments with every incident and the sample inserted as nodes. simple: NetworkX's
   Dijkstra distances; discontinuous and continuous: walks enumerated from each incident outwards
   (the direction spNetwork works in; safer walks from the sample), with the split factors of
   Okabe, Satoh & Sugihara (2009) at each node.
3. Gi*: for sample segments, neighbours by NetworkX Dijkstra from the segment's ends (cutoff B)
   and z from the closed formula with numpy.
4. Concentration: segments holding 25/50/75 %, Gini and generalised Gini from the counts.
Prints "ok: ..." / "FAIL: ..." lines; exits 1 on any failure.
"""
import argparse
import csv
import gzip
import io
import math
import random
import sys

import networkx as nx
import numpy as np
from osgeo import ogr, osr

ogr.UseExceptions()
osr.UseExceptions()

ap = argparse.ArgumentParser()
ap.add_argument("gpkg")
ap.add_argument("--bandwidth", type=float, required=True)
ap.add_argument("--method", required=True)
ap.add_argument("--tolerance", type=float, required=True)
ap.add_argument("--gi-band", type=float, required=True)
ap.add_argument("--samples", type=int, default=24)
ap.add_argument("--seed", type=int, default=7)
ap.add_argument("--max-depth", type=int, default=15)
args = ap.parse_args()
H = args.bandwidth
SNAP = 0.1  # events this close to a segment's end are at its node (spNetwork's tol)
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def ok(msg):
    print("ok:", msg)


def quartic(d, h=H):
    if d >= h:
        return 0.0
    a = 1 - (d / h) ** 2
    return 15.0 / 16.0 * a * a / h


ds = ogr.Open(args.gpkg)

# ---- segments -----------------------------------------------------------------------------
seg_xy = {}
seg_count = {}
seg_len = {}
seg_gi = {}
for f in ds.GetLayerByName("segments"):
    g = f.GetGeometryRef()
    if g.GetGeometryType() in (ogr.wkbMultiLineString, ogr.wkbMultiLineString25D):
        assert g.GetGeometryCount() == 1
        g = g.GetGeometryRef(0)
    sid = f.GetField("segment_id")
    seg_xy[sid] = np.array(g.GetPoints())[:, :2]
    seg_count[sid] = f.GetField("count")
    seg_len[sid] = f.GetField("length_m")
    seg_gi[sid] = (f.GetField("gi_z"), f.GetField("neighbours"))
ids = sorted(seg_xy)
print(f"{len(ids)} segments")

# Every piece of every segment, for the brute force.
ax, ay, bx, by, piece_seg = [], [], [], [], []
for sid in ids:
    p = seg_xy[sid]
    ax.extend(p[:-1, 0]); ay.extend(p[:-1, 1]); bx.extend(p[1:, 0]); by.extend(p[1:, 1])
    piece_seg.extend([sid] * (len(p) - 1))
ax, ay, bx, by, piece_seg = map(np.array, (ax, ay, bx, by, piece_seg))
dx, dy = bx - ax, by - ay
len2 = dx * dx + dy * dy


def nearest(px, py, segment=None):
    """(distance, the segments within 1 mm of it, the distance to `segment`)"""
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / np.where(len2 > 0, len2, 1), 0, 1)
    d = np.hypot(px - (ax + t * dx), py - (ay + t * dy))
    best = d.min()
    to_segment = d[piece_seg == segment].min() if segment is not None else None
    return best, sorted(set(piece_seg[d <= best + 1e-3].tolist())), to_segment


# ---- 1. assignment --------------------------------------------------------------------------
incidents = []  # (x, y, segment_id, distance, position)
for f in ds.GetLayerByName("segment_incidents"):
    g = f.GetGeometryRef()
    incidents.append((g.GetX(), g.GetY(), f.GetField("segment_id"), f.GetField("distance_m"), f.GetField("position_m")))
places = {}
for x, y, sid, d, pos in incidents:
    places.setdefault((x, y), set()).add((sid, round(d, 9)))
bad = 0
for (x, y), got in places.items():
    if len(got) != 1:
        bad += 1
        continue
    sid, d = next(iter(got))
    best, near, d_sid = nearest(x, y, sid)
    # The lowest of the segments within 1 mm of the nearest, at the distance to that segment.
    if sid != near[0] or abs(d - d_sid) > 1e-6 or d_sid > args.tolerance:
        bad += 1
        if bad <= 5:
            print(f"  ({x:.2f}, {y:.2f}): safer {sid} at {d}, brute force {near} at {best}")
if bad:
    fail(f"{bad} of {len(places)} incident places are not on their brute-force nearest segment")
else:
    ok(f"all {len(incidents)} incidents at {len(places)} places are on the brute-force nearest segment (ties: lowest id)")
counted = {}
for _, _, sid, _, _ in incidents:
    counted[sid] = counted.get(sid, 0) + 1
wrong = [sid for sid in ids if abs(seg_count[sid] - counted.get(sid, 0)) > 1e-9]
if wrong:
    fail(f"{len(wrong)} segments' count differs from the incidents on them, e.g. {wrong[:5]}")
else:
    ok("every segment's count equals the incidents placed on it")

# Rejects for far_from_street: re-read, reproject, brute force.
src = osr.SpatialReference(); src.ImportFromEPSG(4326); src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
dst = osr.SpatialReference(); dst.ImportFromEPSG(27700); dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
to_bng = osr.CoordinateTransformation(src, dst)
far = {}
for f in ds.GetLayerByName("rejects"):
    if f.GetField("reason") == "far_from_street":
        far.setdefault(f.GetField("file"), []).append(f.GetField("line"))
checked = wrong_far = 0
for path, lines in far.items():
    want = set(lines)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        for n, line in enumerate(fh, start=1):
            if n in want:
                row = next(csv.reader(io.StringIO(line)))
                x, y, _ = to_bng.TransformPoint(float(row[4]), float(row[5]))
                best, _, _ = nearest(x, y)
                checked += 1
                if not best > args.tolerance - 0.01:
                    wrong_far += 1
if wrong_far:
    fail(f"{wrong_far} of {checked} far_from_street rejects have a segment within {args.tolerance} m")
else:
    ok(f"all {checked} far_from_street rejects are more than {args.tolerance} m from every segment (brute force, OGR reprojection)")

# ---- the graph ------------------------------------------------------------------------------
def key(xy):
    return (round(float(xy[0]), 6), round(float(xy[1]), 6))


seg_ends = {sid: (key(seg_xy[sid][0]), key(seg_xy[sid][-1])) for sid in ids}
# Events on each segment (safer's position along it, checked above to be the nearest point).
events = {}  # sid -> {position: weight}
node_events = {}  # node key -> weight
for _, _, sid, _, pos in incidents:
    L = seg_len[sid]
    if pos <= SNAP or pos >= L - SNAP:
        k = seg_ends[sid][0] if pos <= L / 2 else seg_ends[sid][1]
        node_events[k] = node_events.get(k, 0) + 1
    else:
        events.setdefault(sid, {})
        events[sid][pos] = events[sid].get(pos, 0) + 1

# A multigraph: segments (and pieces of segments between inserted points) as edges.
G = nx.MultiGraph()
for sid in ids:
    a, b = seg_ends[sid]
    cuts = sorted(events.get(sid, {}))
    chain = [a] + [("event", sid, q) for q in cuts] + [b]
    marks = [0.0] + cuts + [seg_len[sid]]
    for i in range(len(chain) - 1):
        G.add_edge(chain[i], chain[i + 1], key=(sid, i), length=marks[i + 1] - marks[i], seg=sid, lo=marks[i], hi=marks[i + 1])
event_weight = {("event", sid, q): w for sid, qs in events.items() for q, w in qs.items()}
event_weight.update(node_events)


def split_for_sample(sid, p):
    # The piece of segment sid holding p, and its ends in order along the segment.
    cuts = sorted(events.get(sid, {}))
    a, b = seg_ends[sid]
    chain = [a] + [("event", sid, q) for q in cuts] + [b]
    marks = [0.0] + cuts + [seg_len[sid]]
    for i in range(len(chain) - 1):
        if marks[i] <= p <= marks[i + 1]:
            return chain[i], chain[i + 1], (sid, i), p - marks[i], marks[i + 1] - p
    raise RuntimeError("sample off its segment")


def insert_sample(sid, p):
    u, v, k, du, dv = split_for_sample(sid, p)
    data = dict(G.edges[u, v, k])
    G.remove_edge(u, v, key=k)
    G.add_edge(u, "sample", key=("s", 0), length=du, seg=sid, lo=0, hi=0)
    G.add_edge("sample", v, key=("s", 1), length=dv, seg=sid, lo=0, hi=0)
    return (u, v, k, data)


def remove_sample(saved):
    u, v, k, data = saved
    G.remove_node("sample")
    G.add_edge(u, v, key=k, **data)


def arcs(node):
    """The ways out of a node: (other end, edge key, length, direction). A self-loop gives two."""
    out = []
    for u, v, k, d in G.edges(node, keys=True, data=True):
        if u == v:
            out.append((v, k, d["length"], +1))
            out.append((v, k, d["length"], -1))
        else:
            out.append((v, k, d["length"], (u, v)))
    return out


def back_of(node, key, direction):
    """The arc out of `node` that turns straight back along the edge we arrived by."""
    return (key, -direction) if isinstance(direction, int) else (key, (direction[1], direction[0]))


def walk_density(method, max_depth):
    """Density at 'sample' by walks from each incident within h (the scatter form)."""
    dist = nx.single_source_dijkstra_path_length(G, "sample", cutoff=H, weight="length")
    total = 0.0
    for ev in dist:
        w = event_weight.get(ev)
        if not w:
            continue
        n = G.degree(ev)
        start = (2.0 / n) if method == "continuous" else (2.0 / n if n >= 3 else 1.0)
        stack = [(other, back_of(other, k, direction), length, start * w, 0) for other, k, length, direction in arcs(ev)]
        while stack:
            node, back, dist_at, alpha, depth = stack.pop()
            if dist_at >= H:
                continue
            if node == "sample":
                total += alpha * quartic(dist_at)
            n = G.degree(node)  # a self-loop counts 2, as in safer
            if n == 1:
                continue  # dead end
            depth2 = depth + (1 if n >= 3 else 0)
            if depth2 > max_depth:
                continue
            for other, k, length, direction in arcs(node):
                if (k, direction) == back:
                    if method == "discontinuous":
                        continue
                    f = (2.0 - n) / n
                    if f == 0:
                        continue
                else:
                    f = 1.0 / (n - 1) if method == "discontinuous" else 2.0 / n
                stack.append((other, back_of(other, k, direction), dist_at + length, alpha * f, depth2))
    return total


def simple_density():
    dist = nx.single_source_dijkstra_path_length(G, "sample", cutoff=H, weight="length")
    return sum(event_weight.get(n, 0) * quartic(d) for n, d in dist.items())


# ---- 2. network KDE at sample lixels ---------------------------------------------------------------------
lixels = []
for f in ds.GetLayerByName("lixels"):
    lixels.append((f.GetField("lixel_id"), f.GetField("segment_id"), f.GetField("from_m"), f.GetField("to_m"), f.GetField("nkde")))
rng = random.Random(args.seed)
by_density = sorted(lixels, key=lambda l: -l[4])
chosen = by_density[: args.samples // 3]
positive = [l for l in lixels if l[4] > 0]
chosen += rng.sample(positive, min(len(positive), args.samples // 3))
chosen += rng.sample(lixels, args.samples - len(chosen))
worst = 0.0
for lid, sid, lo, hi, got in chosen:
    p = (lo + hi) / 2
    saved = insert_sample(sid, p)
    want = 100 * (simple_density() if args.method == "simple" else walk_density(args.method, args.max_depth))
    remove_sample(saved)
    err = abs(got - want)
    worst = max(worst, err / max(abs(want), 1e-9))
    if err > 1e-9 * max(1.0, abs(want)):
        fail(f"lixel {lid} (segment {sid} at {p:.2f} m): safer {got!r}, independent {want!r}")
ok(f"network KDE ({args.method}, h = {H:g} m) at {len(chosen)} lixels equals the independent NetworkX computation (largest relative difference {worst:.2e})")

# ---- 3. Gi* ------------------------------------------------------------------------------------------------
Gs = nx.MultiGraph()
for sid in ids:
    a, b = seg_ends[sid]
    Gs.add_edge(a, b, key=sid, length=seg_len[sid])
x = np.array([seg_count[s] for s in ids], dtype=float)
n = len(x)
xbar = x.mean()
s = math.sqrt((x * x).mean() - xbar * xbar)
index = {sid: i for i, sid in enumerate(ids)}
bad_gi = 0
for sid in rng.sample(ids, min(200, n)):
    a, b = seg_ends[sid]
    reach = nx.multi_source_dijkstra_path_length(Gs, {a, b}, cutoff=args.gi_band, weight="length")
    nb = {k for u in reach for _, _, k in Gs.edges(u, keys=True)}  # segments at a node within the band
    nb.discard(sid)
    members = [index[k] for k in nb] + [index[sid]]
    W = len(members)
    z = (x[members].sum() - xbar * W) / (s * math.sqrt((n * W - W * W) / (n - 1)))
    gz, neighbours = seg_gi[sid]
    if neighbours != len(nb) or abs(gz - z) > 1e-9 * max(1, abs(z)):
        bad_gi += 1
        if bad_gi <= 5:
            print(f"  segment {sid}: safer z {gz} with {neighbours} neighbours, independent {z} with {len(nb)}")
if bad_gi:
    fail(f"{bad_gi} sample segments' Gi* differ from the independent computation")
else:
    ok("Gi* z and neighbour counts of 200 sample segments equal NetworkX neighbours and the closed formula")

# ---- 4. concentration ------------------------------------------------------------------------------------------
conc = {f.GetField("measure"): f.GetField("value") for f in ds.GetLayerByName("concentration")}
desc = np.sort(x)[::-1]
total = desc.sum()
cum = np.cumsum(desc)
for pct in (25, 50, 75):
    want = int(np.argmax(cum >= pct / 100 * total - 1e-9) + 1)
    if conc[f"segments_holding_{pct}pct"] != want:
        fail(f"segments holding {pct} %: safer {conc[f'segments_holding_{pct}pct']}, independent {want}")
asc = desc[::-1]
gini = (2 * np.sum(np.arange(1, n + 1) * asc) / total - (n + 1)) / n
gen = max(1, n / total) * (gini - 1) + 1
if abs(conc["gini"] - gini) > 1e-9 or abs(conc["gini_generalised (Bernasco & Steenbeek 2017)"] - gen) > 1e-9:
    fail(f"Gini: safer {conc['gini']}, {conc['gini_generalised (Bernasco & Steenbeek 2017)']}; independent {gini}, {gen}")
else:
    ok(f"concentration: segments holding 25/50/75 %, Gini {gini:.4f} and generalised Gini {gen:.4f} recomputed")

print(f"{failures} failed")
sys.exit(1 if failures else 0)
