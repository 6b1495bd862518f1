/* The table schema as lancec sees it: a tree of lc_field built from Lance's
 * flattened protobuf field list (table-format.md §5), with the Lance logical
 * type parsed into a type id plus parameters.
 *
 * Normalisations (so every consumer walks one shape):
 *  - fixed_size_list always has exactly one child (the item). Lance stores no
 *    child entry for FSL of primitives: a child named "item" (id -1,
 *    nullable) is synthesised from the logical type string; FSL of struct
 *    keeps its real child entry.
 *  - dictionary fields keep the key type in `dict_key` and describe the value
 *    type with `dict_value` (a field with id -1, name "value").
 *  - list / large_list have one child (the item), map has one child
 *    ("entries", a struct of key and value), struct has its members.
 */
#ifndef LC_SCHEMA_H
#define LC_SCHEMA_H

#include "common/common.h"

typedef enum lc_type_id {
  LC_T_NULL = 0,
  LC_T_BOOL,
  LC_T_INT8,
  LC_T_UINT8,
  LC_T_INT16,
  LC_T_UINT16,
  LC_T_INT32,
  LC_T_UINT32,
  LC_T_INT64,
  LC_T_UINT64,
  LC_T_HALF,
  LC_T_FLOAT,
  LC_T_DOUBLE,
  LC_T_STRING,
  LC_T_LARGE_STRING,
  LC_T_BINARY,
  LC_T_LARGE_BINARY,
  LC_T_FIXED_BINARY, /* width = bytes */
  LC_T_DATE32,
  LC_T_DATE64,
  LC_T_TIME32,       /* unit s|ms */
  LC_T_TIME64,       /* unit us|ns */
  LC_T_TIMESTAMP,    /* unit + tz (NULL = none) */
  LC_T_DURATION,     /* unit */
  LC_T_DECIMAL128,   /* precision, scale */
  LC_T_DECIMAL256,
  LC_T_DICT,         /* dict_key + dict_value */
  LC_T_STRUCT,
  LC_T_LIST,
  LC_T_LARGE_LIST,
  LC_T_FIXED_LIST,   /* width = list size */
  LC_T_MAP,
  LC_T__COUNT
} lc_type_id;

typedef enum lc_time_unit { LC_UNIT_S = 0, LC_UNIT_MS, LC_UNIT_US, LC_UNIT_NS } lc_time_unit;

typedef struct lc_kv {
  char *key;
  uint8_t *value; /* bytes, NUL-terminated for convenience */
  size_t value_len;
} lc_kv;

typedef struct lc_field lc_field;
struct lc_field {
  char *name;
  int32_t id;        /* Lance field id; -1 for synthesised children */
  int32_t parent_id; /* -1 for top-level */
  lc_type_id type;
  bool nullable;
  int32_t width;     /* FIXED_BINARY bytes, FIXED_LIST size */
  int32_t precision; /* DECIMAL */
  int32_t scale;     /* DECIMAL (may be negative) */
  lc_time_unit unit; /* TIME32/TIME64/TIMESTAMP/DURATION */
  char *tz;          /* TIMESTAMP zone or NULL */
  lc_type_id dict_key;   /* DICT: integer key type */
  lc_field *dict_value;  /* DICT: value type */
  char *logical_type;    /* Lance logical type string as stored */
  char *extension_name;  /* or NULL */
  lc_kv *metadata;
  size_t n_metadata;
  lc_field **children;
  size_t n_children;
  lc_field *parent;      /* NULL for top-level (not owned) */
};

typedef struct lc_schema {
  lc_field **fields; /* top-level fields, in order */
  size_t n_fields;
  lc_kv *metadata;   /* schema metadata */
  size_t n_metadata;
} lc_schema;

/* Parse a Lance logical type string into f->type and its parameters
 * (table-format.md §5.2). For FSL/dict it also creates the synthesised
 * child / dict_value. `struct`, `list`, `large_list`, `map` only set the type;
 * children come from the field list. */
LC_INTERNAL int lc_logical_type_parse(lc_field *f, const char *lt, lancec_error *err);

/* Build a schema from Lance protobuf fields (lance.file.Field, pre-order,
 * linked by parent_id). `pb_fields` is an array of Lance__File__Field*.
 * `pb_metadata` is an array of Lance__File__Schema__MetadataEntry*-shaped
 * key/value entries (or manifest schema_metadata entries), may be NULL.
 * All generated map<string, bytes> entry structs (Lance__File__Field__-,
 * Lance__File__Schema__- and Lance__Table__Manifest__SchemaMetadataEntry)
 * share the layout {base, key, has_value, value}; schema.c checks this with
 * _Static_assert, so any of them may be passed. A Field without parent_id
 * counts as parent 0; without nullable as non-nullable (proto3 defaults). */
LC_INTERNAL int lc_schema_from_pb(lc_schema **out, void *const *pb_fields, size_t n_fields,
                                  void *const *pb_metadata, size_t n_metadata, lancec_error *err);

LC_INTERNAL void lc_schema_free(lc_schema *s);
LC_INTERNAL void lc_field_free(lc_field *f);
LC_INTERNAL lc_field *lc_field_clone(const lc_field *f); /* deep copy, parent links fixed */

/* Field lookup by id anywhere in the tree (NULL if absent). */
LC_INTERNAL const lc_field *lc_schema_find_id(const lc_schema *s, int32_t id);
/* Field lookup by top-level name (exact). */
LC_INTERNAL const lc_field *lc_schema_find_name(const lc_schema *s, const char *name);

/* A new schema with only the given dotted paths ("a", "s.b", "s.inner.x").
 * Paths through structs keep the parent with only the named children, in
 * the order first named; top-level order follows `paths`. Lists/maps cannot
 * be entered (their whole subtree is kept when named). Unknown path:
 * LANCEC_ENOTFOUND naming the path. */
LC_INTERNAL int lc_schema_project(lc_schema **out, const lc_schema *s, const char *const *paths,
                                  size_t n_paths, lancec_error *err);

/* Arrow C Data Interface export. lc_field_to_arrow fills one child schema
 * (name, format, flags, metadata incl. extension name, children,
 * dictionary). lc_schema_to_arrow fills a struct schema ("+s") whose
 * children are the top-level fields. */
LC_INTERNAL int lc_field_to_arrow(const lc_field *f, struct ArrowSchema *out, lancec_error *err);
LC_INTERNAL int lc_schema_to_arrow(const lc_schema *s, struct ArrowSchema *out, lancec_error *err);

/* Arrow format string of a field's type ("l", "tsu:UTC", "+l", ...). The
 * result is written into buf (NUL-terminated); returns buf. */
LC_INTERNAL const char *lc_field_format(const lc_field *f, char *buf, size_t cap);

/* Value width in bits of a fixed-width type (1 for bool, 0 for non-fixed). */
LC_INTERNAL int lc_type_bit_width(const lc_field *f);
LC_INTERNAL bool lc_type_is_fixed_width(const lc_field *f); /* includes FSL of fixed */
LC_INTERNAL bool lc_type_is_binary_like(lc_type_id t);      /* string/binary (large too) */
LC_INTERNAL const char *lc_type_name(lc_type_id t);         /* "int32", ... */

/* Human readable type ("list<struct<a: int32>>") into buf; returns buf. */
LC_INTERNAL const char *lc_field_type_string(const lc_field *f, char *buf, size_t cap);

#endif
