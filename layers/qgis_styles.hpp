#pragma once
// Default QGIS styles (QML) for the layers safer writes, chosen for what each layer holds: Gi*
// bins in Esri's diverging red/blue with labelled classes, rates in quantiles, guardianship
// coverage semi-transparent, recommendations by intervention, density classes nested, density
// rasters on a sequential ramp with transparent zero. The chooser looks at the layer's name and
// fields, so a layer any command adds gets a style without registering it here; a layer it does
// not recognise gets a plain style for its geometry. Attribute-only tables get none.
//
// The QML is what QGIS 3.22 writes, reduced to the elements that carry the style (symbols in the
// `<prop k v>` form every QGIS 3 reads). QGIS reads it from the GeoPackage's `layer_styles` table
// for vector layers, and from a `.qml` file beside the data for rasters.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace safer::layers::qgis {

enum class Shape : uint8_t { none, point, line, polygon };

struct Field {
    std::string name;
    bool numeric = false; // INTEGER or REAL
    bool integer = false;
    std::string description; // as gpkg_data_columns holds it
};

struct LayerInfo {
    std::string name;
    Shape shape = Shape::none;
    std::vector<Field> fields;
    /// The field the command wants the default style on (GeoPackageWriter::prefer_style_field);
    /// empty to let the chooser decide.
    std::string preferred_field;
    std::string description; // the layer's, as gpkg_contents holds it

    const Field* field(const std::string& name) const;
};

/// What the chooser may read of a written layer, for classes that depend on the data.
class LayerValues {
public:
    virtual ~LayerValues() = default;
    /// The non-null values of a numeric field, ascending.
    virtual std::vector<double> sorted_numbers(const std::string& field) const = 0;
    /// The distinct non-null values of a text or integer field as text, ascending; at most `limit`.
    virtual std::vector<std::string> distinct(const std::string& field, size_t limit) const = 0;
};

struct Style {
    std::string name;        // layer_styles.styleName: what QGIS lists in the style manager
    std::string description; // layer_styles.description
    std::string renderer;    // the QML renderer type (singleSymbol, categorizedSymbol, ...), for tests
    std::string qml;
};

/// The styles of a vector layer, the default first (the others can be loaded from QGIS's style
/// manager); empty for a table without geometry. Every style gives each field its alias
/// (field_alias), which QGIS shows in the attribute table, forms and identify results, and the
/// layer's metadata an abstract with the layer's description and each field's.
std::vector<Style> vector_styles(const LayerInfo& layer, const LayerValues& values);

/// The layer's description and then each field's alias, name and description, one a line: the
/// abstract QGIS shows in Layer Properties > Information for a layer of a safer project.
std::string layer_abstract(const LayerInfo& layer);

/// What a table without geometry (rejects, concentration) carries in a QGIS project: its fields'
/// aliases and the descriptions in its abstract, as vector_styles gives them (layer_styles holds
/// no style for a table).
std::string table_qml(const LayerInfo& table);

/// A short readable name for a field, for QGIS's alias: "Neighbourhood rate per 1,000 residents"
/// for neighbourhood_rate, "Gi* z-score" for gi_z; the name itself, spaced and capitalised, for
/// a field the design does not fix.
std::string field_alias(const std::string& field);

/// The style `qml` with the fields renamed by `renamed` (old name -> new): for a format that cut
/// the names (Shapefile), so that the style beside it still finds its fields.
std::string rename_fields(const std::string& qml, const std::map<std::string, std::string>& renamed);

/// Numbers for a legend, one label each: about three significant figures (thousands grouped,
/// trailing zeros dropped), and more where two different values would otherwise read the same;
/// so rates between 3.38 and 5.67 read "3.38 – 5.67", never "3 – 6".
std::vector<std::string> legend_numbers(const std::vector<double>& values);

/// Natural breaks (Jenks 1967; Fisher's 1958 exact optimal partition, as QGIS's "Natural
/// Breaks (Jenks)"): the upper bounds of `classes` classes of `sorted` (ascending, not empty)
/// that minimise the sum of squared deviations from the class means; the last is the maximum.
/// Repeated breaks are merged. At most 3,000 evenly spaced values are used, as QGIS does.
std::vector<double> natural_breaks(const std::vector<double>& sorted, int classes);

/// Class breaks as QGIS's quantile method computes them (QgsClassificationQuantile): the
/// i/classes quantiles by linear interpolation between order statistics, then the maximum;
/// repeated breaks are merged. `sorted` ascending and not empty; the lower bound of the first
/// class is sorted.front().
std::vector<double> quantile_breaks(const std::vector<double>& sorted, int classes);

/// Appends up to `max` of the cells of `values` that have a value (not `nodata`, not NaN), evenly
/// spaced, to `sample`: enough to place the colour stops of a density style.
void sample_cells(const std::vector<float>& values, float nodata, size_t max, std::vector<float>& sample);

/// A single-band pseudocolour style for density surfaces: YlOrRd, transparent at 0 and fading in
/// to the median of the positive cells, then stops at the thresholds of the top 10, 5 and 1 % of
/// cells with a value (as `safer kde` classes them) and the highest. `sample`: cells with a value
/// (sample_cells); `units` names them in the file's comment. Nodata cells are transparent.
std::string density_raster_qml(std::vector<float> sample, const std::string& units);

/// A description for fields that the layer writer was given none for, from the field names the
/// design fixes (gi_z, lit_share, G_rate, ...); empty if the name is not one of them.
std::string known_field_description(const std::string& field);

/// Writes `qml` as the style file QGIS reads beside a file dataset: the same folder and base name
/// with `.qml` (out/demo-kde.gpkg -> out/demo-kde.qml), atomically. A file there that safer did not
/// write (a user's own style) is left alone, and false returned. Throws IoError on failure.
bool write_sidecar_style(const std::string& data_path, const std::string& qml);

/// The sidecar path for `data_path`.
std::string sidecar_style_path(const std::string& data_path);

} // namespace safer::layers::qgis
