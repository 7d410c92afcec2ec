#pragma once
// Output to PostgreSQL/PostGIS: `-o PG:"dbname=... host=..." --schema NAME` writes the layers of a
// run into one schema, the same layers as the GeoPackage output (GeoPackageWriter builds the
// GeoPackage first, in the temporary folder, and copies it). The copy is one transaction: the
// layers go into a staging schema, then the previous schema is dropped and the staging schema
// renamed in its place, and the styles are stored, before COMMIT. Any failure, or the process
// dying, rolls it all back: the previous tables are left as they were and nothing is left over.
//
// In the database: each vector layer a table with `fid bigint` primary key and `geom`
// (typmod geometry with the layer's SRID, GiST-indexed), attribute tables without geom, rasters as
// PostGIS raster tables (256 x 256 tiles, `rid`, `rast`, with AddRasterConstraints and a GiST
// index), layer and field descriptions as COMMENTs, the run's metadata in `run_metadata` and the
// schema's comment, and the default QGIS styles in `layer_styles` (the table QGIS itself reads
// and writes, unqualified, so on the search path as QGIS finds it).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace safer::layers {

/// True for GDAL's PostgreSQL connection strings: "PG:...".
bool is_postgis_target(std::string_view output);

struct PostgisTarget {
    std::string conninfo; // for libpq: GDAL's own keys removed, connect_timeout set
    std::string schema;
    std::string display;  // for messages: the connection without any password
};

/// Parses "PG:" followed by libpq keyword=value pairs (or a postgresql:// URI followed by
/// pairs); GDAL's `active_schema` names the schema (the command's --schema puts it there).
/// Adds connect_timeout=10 unless one is given. UsageError if malformed or no schema is named.
PostgisTarget parse_postgis_target(const std::string& output);

/// UsageError unless `schema` is a plain identifier safer may own: lower-case letters, digits and
/// _, not public, information_schema, pg_*, topology or tiger.
void check_schema_name(const std::string& schema);

/// Connects (an unreachable server fails within connect_timeout), checks that PostGIS is
/// installed and schemas can be created, and that the schema can be written: UsageError if it
/// exists and `overwrite` is false, or exists and safer did not write it.
void check_postgis_target(const PostgisTarget& target, bool overwrite);

/// Copies every layer, description, style and the run's metadata of the finished GeoPackage at
/// `gpkg` into target.schema in one transaction (above). `run` is the run's metadata
/// (SAFER_COMMAND, ...). Throws IoError (UsageError for a schema that appeared meanwhile).
void publish_to_postgis(const std::string& gpkg, const PostgisTarget& target, bool overwrite,
                        const std::vector<std::pair<std::string, std::string>>& run);

/// `text` with passwords in connection strings hidden: password=... and postgresql://user:...@.
std::string hide_passwords(std::string text);

} // namespace safer::layers
