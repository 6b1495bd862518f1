/*
 * lancec — read and write Lance datasets from C.
 *
 * Conventions (see docs/api.md):
 *  - Every public symbol starts with lancec_ / LANCEC_.
 *  - A fallible call returns int: 0 (LANCEC_OK) on success, a negative
 *    LANCEC_E* code on failure, and fills the lancec_error passed last (which
 *    may be NULL) with the code and a one-line message naming the file / field
 *    and what was wrong.
 *  - Out parameters come first. What a call hands back through **out or an
 *    Arrow struct is owned by the caller and is released with the matching
 *    lancec_*_free() (which accepts NULL) or the Arrow release callback.
 *    Pointers returned as plain return values are borrowed from their handle
 *    and live as long as it does.
 *  - Option structs are transparent, start with an int `version` and have an
 *    LANCEC_*_INIT initialiser; fields may be added at the end.
 *  - Handles are safe to use from one thread at a time; a lancec_dataset may
 *    be shared by several threads for read-only calls (scans).
 *
 * Data exchange uses the Arrow C Data Interface and C Stream Interface
 * (https://arrow.apache.org/docs/format/CDataInterface.html). Ownership rules:
 *  - An ArrowSchema / ArrowArray / ArrowArrayStream filled by lancec is owned
 *    by the caller, who must call its release callback exactly once (after
 *    moving it, if it was moved). Children and dictionaries are released by
 *    their parent's release callback.
 *  - Arrays produced by a scan stream stay valid after the stream and the
 *    dataset are released; they own their buffers.
 */
#ifndef LANCEC_H
#define LANCEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define LANCEC_API __declspec(dllexport)
#else
#define LANCEC_API __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------
 * Arrow C Data Interface (verbatim ABI from the Arrow specification).
 * ------------------------------------------------------------------------- */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);
  void (*release)(struct ArrowArrayStream*);
  void* private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/* ---------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------- */

typedef enum lancec_status {
  LANCEC_OK = 0,
  LANCEC_EINVAL = -1,      /* bad argument or option */
  LANCEC_ENOTFOUND = -2,   /* dataset, version, tag, column or file missing */
  LANCEC_ECORRUPT = -3,    /* bytes on disk do not follow the format */
  LANCEC_EUNSUPPORTED = -4,/* valid Lance data lancec cannot handle */
  LANCEC_EIO = -5,         /* the storage layer failed */
  LANCEC_ENOMEM = -6,      /* allocation failed */
  LANCEC_EEXISTS = -7,     /* target already exists */
  LANCEC_ECONFLICT = -8,   /* concurrent commit conflict */
  LANCEC_ETYPE = -9,       /* type mismatch */
  LANCEC_EINTERNAL = -10   /* bug in lancec */
} lancec_status;

#define LANCEC_ERROR_MESSAGE_SIZE 1024

/* Small, stack-allocatable error. Every fallible call accepts NULL. */
typedef struct lancec_error {
  int code;
  char message[LANCEC_ERROR_MESSAGE_SIZE];
} lancec_error;

/* Name of a status code, e.g. "ECORRUPT". Never NULL. */
LANCEC_API const char* lancec_status_name(int code);

/* Library version string, e.g. "0.1.0". */
LANCEC_API const char* lancec_version(void);

/* ---------------------------------------------------------------------------
 * Datasets
 * ------------------------------------------------------------------------- */

typedef struct lancec_dataset lancec_dataset;

/* A session: caches shared by every dataset opened with it (and their
 * scans): a metadata cache (manifests, data-file footers and column
 * metadata, deletion vectors) and an index cache (loaded scalar indices).
 * Reopening a dataset at a known version performs no manifest I/O when the
 * manifest is cached. Thread-safe; free it after the datasets opened with it
 * (they keep a reference, so any order is safe). */
typedef struct lancec_session lancec_session;

#define LANCEC_SESSION_OPTIONS_VERSION 1
typedef struct lancec_session_options {
  int version_;                        /* LANCEC_SESSION_OPTIONS_VERSION */
  int64_t metadata_cache_size_bytes;   /* < 0: default (256 MiB); 0: no metadata cache */
  int64_t index_cache_size_bytes;      /* < 0: default (1 GiB); 0: no index cache */
} lancec_session_options;
#define LANCEC_SESSION_OPTIONS_INIT {LANCEC_SESSION_OPTIONS_VERSION, -1, -1}

LANCEC_API int lancec_session_new(lancec_session** out, const lancec_session_options* opts,
                                  lancec_error* err);
LANCEC_API void lancec_session_free(lancec_session* s);

typedef struct lancec_cache_stats {
  uint64_t hits, misses, bytes, entries, evictions;
} lancec_cache_stats;
/* Counters of the metadata and index caches. Either out may be NULL. */
LANCEC_API void lancec_session_stats(const lancec_session* s, lancec_cache_stats* metadata,
                                     lancec_cache_stats* index);

#define LANCEC_OPEN_OPTIONS_VERSION 2

/* Which version to open. At most one of version / tag / asof may be set. */
typedef struct lancec_open_options {
  int version_;          /* struct version: LANCEC_OPEN_OPTIONS_VERSION */
  uint64_t version;      /* 0 = latest, else this version number */
  const char* tag;       /* NULL, or a tag name under _refs/tags */
  int has_asof;          /* nonzero: use asof_ns */
  int64_t asof_ns;       /* latest version committed at or before this time
                            (nanoseconds since the Unix epoch, UTC) */
  /* --- version 2 --- */
  lancec_session* session; /* NULL: no caches beyond the handle's own */
} lancec_open_options;

#define LANCEC_OPEN_OPTIONS_INIT {LANCEC_OPEN_OPTIONS_VERSION, 0, NULL, 0, 0, NULL}

/*
 * Open the dataset at `uri` (a local directory path or file:// URI).
 * Reads exactly one manifest (plus a directory listing when the latest or an
 * `asof` version is asked for). Errors: LANCEC_ENOTFOUND (no dataset, no such
 * version/tag), LANCEC_ECORRUPT (unreadable manifest), LANCEC_EUNSUPPORTED
 * (feature flags lancec cannot honour).
 */
LANCEC_API int lancec_dataset_open(lancec_dataset** out, const char* uri,
                                   const lancec_open_options* opts,
                                   lancec_error* err);

/* Release a dataset handle. Accepts NULL. */
LANCEC_API void lancec_dataset_free(lancec_dataset* ds);

/* The version number this handle reads. */
LANCEC_API uint64_t lancec_dataset_version(const lancec_dataset* ds);

/* Commit time of this version, nanoseconds since the epoch (UTC). */
LANCEC_API int64_t lancec_dataset_timestamp_ns(const lancec_dataset* ds);

/* Number of visible rows (physical rows minus deleted rows), from metadata. */
LANCEC_API uint64_t lancec_dataset_count_rows(const lancec_dataset* ds);

/* Data storage version of the dataset, e.g. "2.1" (borrowed). */
LANCEC_API const char* lancec_dataset_data_format(const lancec_dataset* ds);

/* The table schema as an Arrow schema (a struct with one child per column). */
LANCEC_API int lancec_dataset_schema(const lancec_dataset* ds,
                                     struct ArrowSchema* out,
                                     lancec_error* err);

/* Bytes and read calls that went to storage through this handle so far
 * (its scans, takes and counts included; shared by every user of the
 * handle). For benchmarks and --explain-style diagnostics. */
LANCEC_API void lancec_dataset_io_stats(const lancec_dataset* ds, uint64_t* bytes_read,
                                        uint64_t* read_calls);

/* Fragments of the opened version, in manifest order. */
typedef struct lancec_fragment_info {
  uint64_t id;
  uint64_t physical_rows;
  uint64_t deleted_rows;
  uint32_t num_data_files;
  int has_deletion_file;
} lancec_fragment_info;

LANCEC_API size_t lancec_dataset_num_fragments(const lancec_dataset* ds);
LANCEC_API int lancec_dataset_fragment(const lancec_dataset* ds, size_t i,
                                       lancec_fragment_info* out,
                                       lancec_error* err);

/* Indices recorded in the opened version's manifest. */
typedef struct lancec_index_info {
  const char* name;  /* borrowed from the dataset */
  const char* type;  /* "BTREE", "BITMAP", "IVF_PQ"/"VECTOR", ... (borrowed) */
  const char* uuid;  /* lowercase hyphenated (borrowed) */
  const char* column;/* dotted path of the indexed field, or "" (borrowed) */
  uint64_t dataset_version;
} lancec_index_info;

LANCEC_API size_t lancec_dataset_num_indices(const lancec_dataset* ds);
LANCEC_API int lancec_dataset_index(const lancec_dataset* ds, size_t i,
                                    lancec_index_info* out, lancec_error* err);

/* One committed version, as listed by lancec_dataset_versions. */
typedef struct lancec_version_info {
  uint64_t version;
  int64_t timestamp_ns;
  uint64_t num_rows;      /* visible rows of that version */
  char operation[32];     /* "Overwrite", "Append", "Delete", ... or "" */
} lancec_version_info;

/*
 * List every committed version of the dataset at `uri`, ascending.
 * *out is an array of *n entries owned by the caller: free with
 * lancec_versions_free().
 */
LANCEC_API int lancec_dataset_versions(lancec_version_info** out, size_t* n,
                                       const char* uri, lancec_error* err);
LANCEC_API void lancec_versions_free(lancec_version_info* v);

/* ---------------------------------------------------------------------------
 * Scans
 * ------------------------------------------------------------------------- */

/* Filter expressions built in C (the same trees a SQL filter string parses
 * into; see docs/filters.md). A builder takes ownership of the expressions
 * passed to it; on failure (allocation, or a NULL argument) it frees what it
 * was given and returns NULL, so calls can be nested and checked once.
 * Trees are unbound: columns are resolved when a scan uses them. */
typedef struct lancec_expr lancec_expr;

typedef enum lancec_expr_op {
  LANCEC_OP_EQ = 0, LANCEC_OP_NE, LANCEC_OP_LT, LANCEC_OP_LE, LANCEC_OP_GT, LANCEC_OP_GE,
  LANCEC_OP_AND, LANCEC_OP_OR,
  LANCEC_OP_ADD, LANCEC_OP_SUB, LANCEC_OP_MUL, LANCEC_OP_DIV, LANCEC_OP_MOD
} lancec_expr_op;

/* Parse SQL text into a tree (syntax only; LANCEC_EINVAL names the position). */
LANCEC_API int lancec_expr_parse(lancec_expr** out, const char* sql, lancec_error* err);
LANCEC_API void lancec_expr_free(lancec_expr* e);
/* Canonical SQL text of the tree; free with lancec_free(). NULL on ENOMEM. */
LANCEC_API char* lancec_expr_to_sql(const lancec_expr* e);
/* A column: dotted path "a" or "s.b"; "_rowid" / "_rowaddr" are the row id
 * and row address (uint64) unless the table has columns of those names. */
LANCEC_API lancec_expr* lancec_expr_column(const char* path);
LANCEC_API lancec_expr* lancec_expr_null(void);
LANCEC_API lancec_expr* lancec_expr_bool(int v);
LANCEC_API lancec_expr* lancec_expr_int(int64_t v);
LANCEC_API lancec_expr* lancec_expr_uint(uint64_t v);
LANCEC_API lancec_expr* lancec_expr_double(double v);
LANCEC_API lancec_expr* lancec_expr_string(const char* s);      /* NUL-terminated UTF-8 */
LANCEC_API lancec_expr* lancec_expr_binary(const void* p, size_t n);
LANCEC_API lancec_expr* lancec_expr_date(int32_t days);          /* days since 1970-01-01 */
LANCEC_API lancec_expr* lancec_expr_timestamp_us(int64_t us);    /* microseconds since the epoch */
/* l op r: comparison, AND / OR, or arithmetic. */
LANCEC_API lancec_expr* lancec_expr_binop(lancec_expr_op op, lancec_expr* l, lancec_expr* r);
LANCEC_API lancec_expr* lancec_expr_not(lancec_expr* e);
LANCEC_API lancec_expr* lancec_expr_is_null(lancec_expr* e, int negated); /* IS [NOT] NULL */
/* e [NOT] IN (items[0..n)): takes ownership of e and of every item. */
LANCEC_API lancec_expr* lancec_expr_in(lancec_expr* e, lancec_expr* const* items, size_t n,
                                       int negated);
LANCEC_API lancec_expr* lancec_expr_between(lancec_expr* e, lancec_expr* lo, lancec_expr* hi,
                                            int negated);
/* e [NOT] LIKE pattern ('%' any run, '_' one character, '\\' escapes). */
LANCEC_API lancec_expr* lancec_expr_like(lancec_expr* e, const char* pattern, int negated,
                                         int case_insensitive);
/* Release memory lancec handed out as a plain pointer (strings). Accepts NULL. */
LANCEC_API void lancec_free(void* p);

#define LANCEC_SCAN_OPTIONS_VERSION 2

typedef struct lancec_scan_options {
  int version_;                /* LANCEC_SCAN_OPTIONS_VERSION */
  const char* const* columns;  /* NULL = all columns; else dotted paths
                                  ("a", "s.b"); nested paths keep the parent
                                  struct with only the named children */
  size_t num_columns;
  int64_t limit;               /* < 0: no limit */
  int64_t offset;              /* rows to skip first (>= 0); counted after the filter */
  int64_t batch_size;          /* rows per batch; <= 0: default (65536) */
  int num_threads;             /* <= 0: default (all cores) */
  /* --- version 2 --- */
  const char* filter;          /* SQL filter (docs/filters.md), or NULL */
  const lancec_expr* filter_expr; /* or a tree built in C (borrowed); not both */
  int with_row_id;             /* append a `_rowid` uint64 column */
  int with_row_addr;           /* append a `_rowaddr` uint64 column (fragment id << 32 | offset) */
  int fragment_group_size;     /* fragments per scan task; <= 0: tasks split fragments by batch */
  const uint64_t* fragment_ids;/* NULL: every fragment; else only these (in manifest order) */
  size_t num_fragment_ids;
  int no_index;                /* nonzero: do not use scalar indices */
  int columns_none;            /* nonzero: project no column at all (only row ids / counts) */
} lancec_scan_options;

#define LANCEC_SCAN_OPTIONS_INIT \
  {LANCEC_SCAN_OPTIONS_VERSION, NULL, 0, -1, 0, 0, 0, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0}

/*
 * Scan the opened version into an Arrow C stream. Each batch is a struct
 * array (one child per projected column, then _rowid / _rowaddr when asked
 * for); rows come in row order (fragments in manifest order, rows in offset
 * order, deleted rows skipped), whatever the thread count. With a filter,
 * only matching rows are returned (batches may be shorter than batch_size);
 * filter columns are read first and the other columns only where rows match.
 * The stream keeps its own reference to what it needs: the dataset handle
 * may be freed before the stream. Errors found while reading are reported by
 * get_next (returning an errno value) and get_last_error. A bad filter fails
 * here with LANCEC_EINVAL naming the position and the problem.
 */
LANCEC_API int lancec_dataset_scan(const lancec_dataset* ds,
                                   const lancec_scan_options* opts,
                                   struct ArrowArrayStream* out,
                                   lancec_error* err);

/*
 * Count the rows matching `filter` (SQL, or NULL/"" for all rows: answered
 * from the manifest without reading data).
 */
LANCEC_API int lancec_dataset_count(const lancec_dataset* ds, const char* filter,
                                    uint64_t* out, lancec_error* err);

typedef enum lancec_take_kind {
  LANCEC_TAKE_OFFSETS = 0,   /* 0-based positions among the visible rows */
  LANCEC_TAKE_ROW_IDS = 1,   /* _rowid values */
  LANCEC_TAKE_ROW_ADDRS = 2  /* _rowaddr values */
} lancec_take_kind;

/*
 * Random access: the rows named by rows[0..n) in that order (duplicates
 * allowed), reading only the pages / chunks that hold them. `opts` gives the
 * projection (columns, columns_none, with_row_id, with_row_addr; other fields
 * are ignored; NULL = all columns). *out is one struct array (owned by the
 * caller); out_schema (may be NULL) receives its schema.
 * Errors: LANCEC_EINVAL for an offset past the last row; row ids / addresses
 * that name no visible row (deleted, or absent) are skipped, as in Lance.
 */
LANCEC_API int lancec_dataset_take(const lancec_dataset* ds, const uint64_t* rows, size_t n,
                                   lancec_take_kind kind, const lancec_scan_options* opts,
                                   struct ArrowArray* out, struct ArrowSchema* out_schema,
                                   lancec_error* err);

/*
 * The scan plan as text (what `lancec scan --explain` prints): the filter as
 * bound, the columns read, the indices used, which fragments are pruned and
 * how many rows / bytes are left to read. Free *out with lancec_free().
 */
LANCEC_API int lancec_dataset_explain(const lancec_dataset* ds, const lancec_scan_options* opts,
                                      char** out, lancec_error* err);

/* ---------------------------------------------------------------------------
 * Writes
 * ------------------------------------------------------------------------- */

typedef enum lancec_write_mode {
  LANCEC_WRITE_CREATE = 0,   /* fail with LANCEC_EEXISTS if a dataset exists */
  LANCEC_WRITE_APPEND = 1,   /* add rows; data is cast to the table schema */
  LANCEC_WRITE_OVERWRITE = 2 /* new version replacing all rows (schema may change);
                                creates the dataset when missing */
} lancec_write_mode;

#define LANCEC_WRITE_OPTIONS_VERSION 1

typedef struct lancec_write_options {
  int version_;                       /* LANCEC_WRITE_OPTIONS_VERSION */
  lancec_write_mode mode;
  /* Target schema (a struct schema, one child per column) the input is
   * aligned to before writing: column order, types (cast), nullability,
   * field metadata. NULL: the input's schema (create/overwrite) or the
   * table's schema (append). Borrowed for the duration of the call. */
  const struct ArrowSchema* schema;
  int64_t max_rows_per_file;          /* <= 0: 1048576 */
  int64_t max_rows_per_group;         /* <= 0: 1024 (also the small-file limit) */
  int64_t max_bytes_per_file;         /* <= 0: 90 GiB */
  const char* data_storage_version;   /* "2.0", "2.1" or "2.2". NULL: "2.2" for a new
                                         dataset, the dataset's for an overwrite; an
                                         append always keeps the dataset's version.
                                         2.0 refuses null structs (LANCEC_EUNSUPPORTED) */
  /* free-form key/value config recorded in the manifest's config map */
  const char* const* config_keys;
  const char* const* config_values;
  size_t num_config;
} lancec_write_options;

#define LANCEC_WRITE_OPTIONS_INIT \
  {LANCEC_WRITE_OPTIONS_VERSION, LANCEC_WRITE_CREATE, NULL, 0, 0, 0, NULL, NULL, NULL, 0}

/* What a committed write reports (the connector's write metadata). */
typedef struct lancec_write_result {
  uint64_t version;          /* the committed version */
  uint64_t num_fragments;    /* fragments in the committed version */
  uint64_t num_deleted_rows; /* deleted rows in the committed version */
  uint64_t num_small_files;  /* fragments with fewer than max_rows_per_group rows */
  uint64_t num_rows;         /* rows written (write) or deleted (delete) by this call */
} lancec_write_result;

/*
 * Write the rows of `data` (consumed and released) to the dataset at `uri`.
 * The new version becomes visible atomically or not at all; concurrent
 * writers are detected and the commit is retried per Lance's conflict rules.
 * Errors: LANCEC_EEXISTS (create on an existing dataset), LANCEC_ENOTFOUND
 * (append to a missing dataset), LANCEC_ETYPE (a column cannot be converted;
 * the message names the column and both types, or a null in a non-nullable
 * column), LANCEC_EUNSUPPORTED (a data storage version or column kind that
 * cannot be written, e.g. a null struct in 2.0), LANCEC_ECONFLICT (retries
 * exhausted). `result` may be NULL.
 */
LANCEC_API int lancec_write(const char* uri, struct ArrowArrayStream* data,
                            const lancec_write_options* opts,
                            lancec_write_result* result, lancec_error* err);

/*
 * Delete the rows matching the SQL filter `filter` (e.g. "id > 10 AND
 * name IS NULL") from the latest version, committing a new version with
 * deletion files. Deleting nothing commits nothing (result->version is the
 * current version). Errors: LANCEC_EINVAL for a bad filter (the message
 * names the position and the problem).
 */
LANCEC_API int lancec_delete(const char* uri, const char* filter,
                             lancec_write_result* result, lancec_error* err);

#ifdef __cplusplus
}
#endif

#endif /* LANCEC_H */
