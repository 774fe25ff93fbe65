"""The functions Athena engine version 3 has: the allow-list every query is checked against.

Where the names come from:
- Athena: "Functions in Athena engine version 3 are based on Trino", with the categories of Trino's
  function reference, plus `invoker_principal()`, which only Athena has:
  https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html
- Trino's list of functions and operators (docs/src/main/sphinx/functions/list.md, read 2026-12):
  https://trino.io/docs/current/functions/list.html
Left out of Trino's list: functions of connectors and plugins Athena does not load (`random_string`
of the Faker connector, MongoDB's `objectid`, `objectid_timestamp`, `timestamp_objectid`, the
DataSketches `theta_sketch_*`). Operators and syntax forms (CAST, EXTRACT, CASE, IF, ARRAY[...],
AT TIME ZONE, ...) are not calls and are not listed: `language.py` knows them by their syntax.

A name missing here is refused as Athena refuses it (`FUNCTION_NOT_FOUND: line 1:8: Function
'read_text' not registered`), whatever DuckDB would do with it. To add a Trino function that Athena
documents, add its lower-case name below: the query then runs if the translation to DuckDB knows it.
"""

from __future__ import annotations

# Scalar, aggregate and window functions, by the Trino reference page that documents them.
_BY_TOPIC: dict[str, str] = {
    "aggregate": """
        any_value approx_distinct approx_most_frequent approx_percentile approx_set arbitrary array_agg
        avg bitwise_and_agg bitwise_or_agg bool_and bool_or checksum corr count count_if
        covar_pop covar_samp every geometric_mean histogram kurtosis listagg make_set_digest map_agg
        map_union max max_by merge merge_set_digest min min_by multimap_agg numeric_histogram
        qdigest_agg reduce_agg regr_intercept regr_slope skewness stddev stddev_pop
        stddev_samp sum tdigest_agg var_pop var_samp variance
    """,
    "array": """
        all_match any_match array_distinct array_except array_first array_histogram array_intersect
        array_join array_last array_max array_min array_position array_remove array_sort array_union
        arrays_overlap cardinality combinations contains contains_sequence element_at
        filter flatten ngrams none_match reduce repeat reverse sequence shuffle slice transform trim_array
        zip zip_with cosine_distance cosine_similarity
    """,
    "binary": """
        concat crc32 from_base32 from_base64 from_base64url from_big_endian_32 from_big_endian_64
        from_hex from_ieee754_32 from_ieee754_64 hmac_md5 hmac_sha1 hmac_sha256 hmac_sha512 length lpad
        from_utf8 md5 murmur3 rpad sha1 sha256 sha512 spooky_hash_v2_32 spooky_hash_v2_64 substr to_base32
        to_base64 to_base64url to_utf8 to_big_endian_32 to_big_endian_64 to_hex to_ieee754_32 to_ieee754_64
        xxhash64
    """,
    "bitwise": """
        bit_count bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift
        bitwise_right_shift_arithmetic bitwise_xor
    """,
    "color": "bar color render rgb",
    "comparison": "greatest least",
    "conditional": "coalesce if nullif try",
    "conversion": "cast format format_number parse_data_size try_cast typeof",
    "datetime": """
        at_timezone current_date current_time current_timestamp current_timezone date date_add date_diff
        date_format date_parse date_trunc day day_of_month day_of_week day_of_year dow doy extract
        format_datetime from_iso8601_date from_iso8601_timestamp from_iso8601_timestamp_nanos
        from_unixtime from_unixtime_nanos hour human_readable_seconds last_day_of_month localtime
        localtimestamp millisecond minute month now parse_datetime parse_duration quarter second timezone
        timezone_hour timezone_minute to_iso8601 to_milliseconds to_unixtime week week_of_year
        with_timezone year year_of_week yow
    """,
    "decimal": "",
    "geospatial": """
        bing_tile bing_tile_at bing_tile_coordinates bing_tile_polygon bing_tile_quadkey
        bing_tile_zoom_level bing_tiles_around convex_hull_agg geometry_collect_agg from_encoded_polyline
        from_geojson_geometry geometry_from_hadoop_shape geometry_invalid_reason geometry_nearest_points
        geometry_to_bing_tiles geometry_union geometry_union_agg great_circle_distance
        line_interpolate_point line_interpolate_points line_locate_point simplify_geometry
        spatial_partitioning spatial_partitions st_area st_asbinary st_asewkb st_asewkt st_astext
        st_boundary st_buffer st_centroid st_collect st_contains st_convexhull st_coorddim st_crosses
        st_difference st_dimension st_disjoint st_distance st_endpoint st_envelope st_envelopeaspts
        st_equals st_exteriorring st_force2d st_force3d st_geometries st_geometryfromtext st_geometryn
        st_geometrytype st_geomfrombinary st_geomfromewkt st_geomfromkml st_interiorringn
        st_interiorrings st_intersection st_intersects st_isclosed st_isempty st_isring st_issimple
        st_isvalid st_length st_linefromtext st_linemerge st_linestring st_makeline st_makepolygon
        st_minimumboundingcircle st_multi st_multipoint st_normalize st_numgeometries
        st_numinteriorring st_numpoints st_orientedenvelope st_overlaps st_point st_pointn
        st_pointonsurface st_points st_polygon st_polygonize st_reduceprecision st_relate st_setsrid
        st_srid st_startpoint st_symdifference st_touches st_transform st_union st_voronoipolygons
        st_within st_x st_xmax st_xmin st_y st_ymax st_ymin st_z to_encoded_polyline
        to_geojson_geometry to_geometry to_spherical_geography
    """,
    "hyperloglog": "empty_approx_set",
    "ipaddress": "contains",
    "json": """
        is_json_scalar json json_array json_array_contains json_array_get json_array_length json_exists
        json_extract json_extract_scalar json_format json_object json_parse json_query json_scalar
        json_serialize json_size json_value
    """,
    "lambda": "",
    "logical": "",
    "map": """
        map map_concat map_entries map_filter map_from_entries map_keys map_values map_zip_with
        multimap_from_entries transform_keys transform_values
    """,
    "math": """
        abs acos asin atan atan2 beta_cdf cbrt ceil ceiling cos cosh degrees e exp floor from_base
        infinity inverse_beta_cdf inverse_normal_cdf is_finite is_infinite is_nan ln log log10 log2 mod
        nan normal_cdf pi pow power radians rand random round sign sin sinh sqrt tan tanh to_base truncate
        width_bucket wilson_interval_lower wilson_interval_upper
    """,
    "multiset": "collect element fusion intersection set",
    # row pattern recognition (MATCH_RECOGNIZE) and window navigation
    "pattern": "classifier first last match_number next permute prev",
    "ml": """
        classify evaluate_classifier_predictions features learn_classifier learn_libsvm_classifier
        learn_libsvm_regressor learn_regressor regress
    """,
    "qdigest": "value_at_quantile values_at_quantiles",
    "regexp": """
        regexp_count regexp_extract regexp_extract_all regexp_like regexp_position regexp_replace
        regexp_split
    """,
    "session": "current_catalog current_groups current_path current_schema current_user",
    "setdigest": "hash_counts intersection_cardinality jaccard_index",
    "string": """
        chr codepoint concat_ws ends_with hamming_distance levenshtein_distance lower ltrim luhn_check
        normalize position replace rtrim soundex split split_part split_to_map split_to_multimap
        starts_with strpos substring title_case translate trim upper word_stem
    """,
    "system": "version",
    "tdigest": "",
    "teradata": "char2hexint index to_char to_date to_timestamp",
    "url": """
        url_decode url_encode url_extract_fragment url_extract_host url_extract_parameter
        url_extract_path url_extract_port url_extract_protocol url_extract_query
    """,
    "uuid": "uuid",
    "window": """
        cume_dist dense_rank first_value lag last_value lead nth_value ntile percent_rank rank row_number
    """,
    # https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html#functions-env3-invoker-principal
    "athena": "invoker_principal",
}

ATHENA_FUNCTIONS: frozenset[str] = frozenset(name for names in _BY_TOPIC.values() for name in names.split())

# Trino's built-in table functions (`SELECT * FROM TABLE(sequence(...))`): Athena's engine knows
# them, the local one does not run them (NOT_SUPPORTED); any other name is FUNCTION_NOT_FOUND.
# https://trino.io/docs/current/functions/table.html
TRINO_TABLE_FUNCTIONS: frozenset[str] = frozenset({"exclude_columns", "sequence"})


def is_athena_function(name: str) -> bool:
    return name.lower() in ATHENA_FUNCTIONS
