#include "layers/crs.hpp"

#include <fmt/core.h>
#include <ogrsf_frmts.h>
#include <proj.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <limits>

#include "engine/errors.hpp"
#include "engine/progress.hpp"
#include "layers/gdal_session.hpp"

namespace safer::layers {

namespace {

struct ContextDeleter {
    void operator()(PJ_CONTEXT* c) const noexcept { proj_context_destroy(c); }
};
struct PjDeleter {
    void operator()(PJ* p) const noexcept { proj_destroy(p); }
};
using ContextPtr = std::unique_ptr<PJ_CONTEXT, ContextDeleter>;
using PjPtr = std::unique_ptr<PJ, PjDeleter>;

struct Projection {
    ContextPtr context;
    PjPtr pj;
};

std::string proj_message(PJ_CONTEXT* ctx) {
    const int err = proj_context_errno(ctx);
    return err ? proj_context_errno_string(ctx, err) : "unknown error";
}

Projection make_projection(const std::string& from, const std::string& to) {
    Projection p;
    p.context.reset(proj_context_create());
    proj_log_level(p.context.get(), PJ_LOG_NONE);
    PjPtr raw(proj_create_crs_to_crs(p.context.get(), from.c_str(), to.c_str(), nullptr));
    if (!raw)
        throw InputError(fmt::format("cannot transform from {} to {}: {}", from, to, proj_message(p.context.get())));
    p.pj.reset(proj_normalize_for_visualization(p.context.get(), raw.get()));
    if (!p.pj) throw InputError(fmt::format("cannot normalise the transformation from {} to {}", from, to));
    return p;
}

/// A copy of `p` with a context of its own. proj_clone keeps the candidate operations that
/// proj_create_crs_to_crs chose among (each point still gets the one for where it lies: the
/// tests compare every point with a transformation made afresh), and takes about a millisecond
/// where making the transformation again reads proj.db for 25-35 ms.
Projection clone_projection(const Projection& p, const std::string& from, const std::string& to) {
    Projection c;
    c.context.reset(proj_context_create());
    proj_log_level(c.context.get(), PJ_LOG_NONE);
    c.pj.reset(proj_clone(c.context.get(), p.pj.get()));
    if (!c.pj) return make_projection(from, to);
    return c;
}

PjPtr make_crs(PJ_CONTEXT* ctx, const std::string& crs) { return PjPtr(proj_create(ctx, crs.c_str())); }

} // namespace

// PROJ objects are not thread-safe, and making one takes as long as transforming tens of
// thousands of points: a pool holds one per thread that may transform at once, each cloned from
// one made when the transformation is, lent to each batch of points in turn.
struct CrsTransform::Impl {
    std::string from;
    std::string to;
    std::mutex mutex;
    Projection prototype;        // never lent: the pool's projections are cloned from it
    std::deque<Projection> pool; // a deque: lent projections stay where they are as it grows
    std::vector<Projection*> idle;

    Projection* acquire() {
        {
            std::lock_guard lock(mutex);
            if (!idle.empty()) {
                Projection* p = idle.back();
                idle.pop_back();
                return p;
            }
        }
        std::lock_guard lock(mutex); // more threads than foreseen (nested parallelism)
        return &pool.emplace_back(clone_projection(prototype, from, to));
    }
    void release(Projection* p) {
        std::lock_guard lock(mutex);
        idle.push_back(p);
    }
    /// A projection of the pool, lent for one batch.
    class Lease {
    public:
        explicit Lease(Impl& impl) : m_impl(impl), m_p(impl.acquire()) {}
        ~Lease() { m_impl.release(m_p); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        PJ* pj() const { return m_p->pj.get(); }

    private:
        Impl& m_impl;
        Projection* m_p;
    };
};

CrsTransform::CrsTransform(const std::string& from, const std::string& to) : m_impl(std::make_unique<Impl>()) {
    m_impl->from = from;
    m_impl->to = to;
    const size_t threads = static_cast<size_t>(tbb::this_task_arena::max_concurrency());
    m_impl->prototype = make_projection(from, to); // fails here if PROJ cannot do it
    for (size_t i = 0; i < threads; ++i) m_impl->idle.push_back(&m_impl->pool.emplace_back(clone_projection(m_impl->prototype, from, to)));
}

CrsTransform::~CrsTransform() = default;

void CrsTransform::transform(std::vector<double>& x, std::vector<double>& y, Progress* progress) const {
    if (m_operation.empty() && !x.empty()) {
        // With several candidate operations PROJ picks one per point; report the first point's.
        const Impl::Lease p(*m_impl);
        PJ_COORD c = proj_coord(x[0], y[0], 0, 0);
        proj_trans(p.pj(), PJ_FWD, c);
        PJ* last = proj_trans_get_last_used_operation(p.pj());
        if (last) {
            const PJ_PROJ_INFO info = proj_pj_info(last);
            m_operation = info.description ? info.description : "";
            proj_destroy(last);
        }
    }
    tbb::parallel_for(tbb::blocked_range<size_t>(0, x.size(), 16384), [&](const tbb::blocked_range<size_t>& r) {
        const Impl::Lease p(*m_impl);
        const size_t n = r.size();
        proj_errno_reset(p.pj());
        proj_trans_generic(p.pj(), PJ_FWD, x.data() + r.begin(), sizeof(double), n, y.data() + r.begin(),
                           sizeof(double), n, nullptr, 0, 0, nullptr, 0, 0);
        for (size_t i = r.begin(); i < r.end(); ++i) {
            if (!std::isfinite(x[i]) || !std::isfinite(y[i]) || x[i] == HUGE_VAL) {
                x[i] = std::numeric_limits<double>::quiet_NaN();
                y[i] = std::numeric_limits<double>::quiet_NaN();
            }
        }
        if (progress) progress->advance(n);
    });
}

void check_crs(const std::string& crs, const std::string& what) {
    ContextPtr ctx(proj_context_create());
    proj_log_level(ctx.get(), PJ_LOG_NONE);
    PjPtr pj = make_crs(ctx.get(), crs);
    if (!pj && !proj_context_get_database_path(ctx.get()))
        throw IoError(fmt::format("{}: PROJ cannot open its database (proj.db) to look up '{}': is proj-data installed, "
                                  "and PROJ_DATA, if set, the folder holding proj.db?", what, crs));
    if (!pj) throw InputError(fmt::format("{}: PROJ does not know the CRS '{}'", what, crs));
}

void check_working_crs(const std::string& crs) {
    check_crs(crs, "--working-crs");
    ContextPtr ctx(proj_context_create());
    proj_log_level(ctx.get(), PJ_LOG_NONE);
    PjPtr pj = make_crs(ctx.get(), crs);
    // The horizontal part of a compound CRS; the CRS a bound CRS (+towgs84) is bound from.
    if (proj_get_type(pj.get()) == PJ_TYPE_COMPOUND_CRS) pj.reset(proj_crs_get_sub_crs(ctx.get(), pj.get(), 0));
    if (pj && proj_get_type(pj.get()) == PJ_TYPE_BOUND_CRS) pj.reset(proj_get_source_crs(ctx.get(), pj.get()));
    if (!pj || proj_get_type(pj.get()) != PJ_TYPE_PROJECTED_CRS)
        throw UsageError(fmt::format("--working-crs {}: not a projected CRS; distances, cells and bandwidths are in metres, "
                                     "so the working CRS must be projected in metres (for Great Britain, EPSG:27700)", crs));
    PjPtr cs(proj_crs_get_coordinate_system(ctx.get(), pj.get()));
    double factor = 0;
    const char* unit = nullptr;
    if (!cs || !proj_cs_get_axis_info(ctx.get(), cs.get(), 0, nullptr, nullptr, nullptr, &factor, &unit, nullptr, nullptr) ||
        std::abs(factor - 1) > 1e-12)
        throw UsageError(fmt::format("--working-crs {}: its unit is the {}, not the metre; distances, cells and bandwidths "
                                     "are in metres, so pick a projected CRS in metres (for Great Britain, EPSG:27700)",
                                     crs, unit ? unit : "unknown"));
}

bool is_geographic(const std::string& crs) {
    // Asked once per input file: a national year is 516 files, and building a CRS from proj.db
    // costs about a millisecond. The answer for a name never changes within a run.
    static std::mutex mutex;
    static std::map<std::string, bool> known;
    {
        const std::lock_guard<std::mutex> lock(mutex);
        if (const auto it = known.find(crs); it != known.end()) return it->second;
    }
    ContextPtr ctx(proj_context_create());
    proj_log_level(ctx.get(), PJ_LOG_NONE);
    PjPtr pj = make_crs(ctx.get(), crs);
    const PJ_TYPE type = pj ? proj_get_type(pj.get()) : PJ_TYPE_UNKNOWN;
    const bool geographic = type == PJ_TYPE_GEOGRAPHIC_2D_CRS || type == PJ_TYPE_GEOGRAPHIC_3D_CRS;
    const std::lock_guard<std::mutex> lock(mutex);
    known.emplace(crs, geographic);
    return geographic;
}

AreaOfUse area_of_use(const std::string& crs) {
    ContextPtr ctx(proj_context_create());
    proj_log_level(ctx.get(), PJ_LOG_NONE);
    PjPtr pj = make_crs(ctx.get(), crs);
    AreaOfUse a;
    if (pj && proj_get_area_of_use(ctx.get(), pj.get(), &a.west, &a.south, &a.east, &a.north, nullptr)) {
        if (a.west > a.east) a = AreaOfUse{}; // crosses the antimeridian: do not filter
        return a;
    }
    return AreaOfUse{};
}

LayerTransform layer_transform(OGRLayer& layer, const std::string& path, const std::string& fallback_crs, const std::string& working_crs,
                               const std::string& hint) {
    LayerTransform t;
    OGRSpatialReference target;
    target.SetFromUserInput(working_crs.c_str());
    target.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReference source;
    if (const OGRSpatialReference* srs = layer.GetSpatialRef()) {
        source = *srs;
        const char* authority = srs->GetAuthorityName(nullptr);
        const char* code = srs->GetAuthorityCode(nullptr);
        t.crs = authority && code ? fmt::format("{}:{}", authority, code) : (srs->GetName() ? srs->GetName() : "(unnamed CRS)");
    } else if (!fallback_crs.empty()) {
        source.SetFromUserInput(fallback_crs.c_str());
        t.crs = fallback_crs;
    } else {
        throw InputError(fmt::format("{}: layer '{}' has no CRS; {}", path, layer.GetName(), hint));
    }
    source.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    t.transform.reset(OGRCreateCoordinateTransformation(&source, &target));
    if (!t.transform) throw InputError(fmt::format("{}: cannot transform the layer's CRS to {}: {}", path, working_crs, gdal_message()));
    return t;
}

} // namespace safer::layers
