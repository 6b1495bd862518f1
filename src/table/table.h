/* The Lance table format above the data files (table-format.md): manifest
 * files, version discovery (both naming schemes), tags, time travel,
 * deletion files, and the dataset handle behind the public API. */
#ifndef LC_TABLE_H
#define LC_TABLE_H

#include <pthread.h>

#include "common/common.h"
#include "io/io.h"
#include "lance_table.pb-c.h"
#include "lance_transaction.pb-c.h"
#include "schema/schema.h"

/* ---- manifests ------------------------------------------------------------ */

typedef struct lc_manifest {
  Lance__Table__Manifest *pb;  /* owned, decoded protobuf */
  lc_schema *schema;           /* built from pb->fields + schema_metadata */
  uint64_t version;
  int64_t timestamp_ns;
  char *path;                  /* where it was read from (for messages) */
  uint64_t file_size;
  uint8_t *raw;                /* whole manifest file (sections are sliced from it) */
  size_t raw_len;
  Lance__Table__IndexSection *indices; /* NULL if the version has none */
  char *data_format;           /* "2.1", "2.2", "2.0", "0.1" (inferred if absent) */
  int extra_refs;              /* lc_manifest_ref count (0 = one owner) */
} lc_manifest;

/* Reader feature flags lancec honours (table-format.md §6). */
#define LC_FLAG_DELETION_FILES 1u
#define LC_FLAG_STABLE_ROW_IDS 2u
#define LC_FLAG_USE_V2_FORMAT_DEPRECATED 4u
#define LC_FLAG_TABLE_CONFIG 8u
#define LC_FLAG_BASE_PATHS 16u
#define LC_FLAG_DISABLE_TRANSACTION_FILE 32u

/* Decode a manifest from its bytes (footer, length checks, protobuf,
 * schema, index section, feature flags). `name` is used in messages.
 * Takes ownership of `raw` on success and on failure. */
LC_INTERNAL int lc_manifest_decode(lc_manifest **out, uint8_t *raw, size_t len, const char *name,
                                   lancec_error *err);
LC_INTERNAL int lc_manifest_read(lc_manifest **out, lc_io *io, const char *path, lancec_error *err);
/* Drop one reference (the last one frees). */
LC_INTERNAL void lc_manifest_free(lc_manifest *m);
/* Take one more reference (shared read-only, e.g. by a session cache). */
LC_INTERNAL void lc_manifest_ref(lc_manifest *m);

/* The transaction of a manifest (inline section, else the .txn file), or
 * NULL in *out when the manifest records none. Caller frees with
 * lance__transaction__free_unpacked(*out, NULL). */
LC_INTERNAL int lc_manifest_transaction(const lc_manifest *m, lc_io *io, const char *root,
                                        Lance__Transaction **out, lancec_error *err);
/* "Append", "Overwrite", "Delete", ... ("" when unknown). */
LC_INTERNAL const char *lc_transaction_operation_name(const Lance__Transaction *t);

/* Visible rows (physical - deleted) summed over the fragments. */
LC_INTERNAL uint64_t lc_manifest_count_rows(const lc_manifest *m);

/* ---- versions -------------------------------------------------------------- */

typedef struct lc_version_entry {
  uint64_t version;
  char *path;  /* full manifest path */
  uint64_t size;
  bool v2_name;
} lc_version_entry;

/* All committed (non-detached) versions under root/_versions, ascending.
 * LANCEC_ENOTFOUND with "not a Lance dataset" when there are none.
 * LANCEC_ECORRUPT when both naming schemes are present. */
LC_INTERNAL int lc_versions_list(lc_io *io, const char *root, lc_version_entry **out, size_t *n,
                                 lancec_error *err);
LC_INTERNAL void lc_versions_entries_free(lc_version_entry *v, size_t n);

/* Manifest path of `version` (V2 name first, then V1); 0 = latest. */
LC_INTERNAL int lc_version_manifest_path(lc_io *io, const char *root, uint64_t version, char **path,
                                         uint64_t *version_out, lancec_error *err);

/* _refs/tags/<tag>.json → version. ENOTFOUND naming the tag. */
LC_INTERNAL int lc_tag_resolve(lc_io *io, const char *root, const char *tag, uint64_t *version,
                               lancec_error *err);

/* Latest version committed at or before asof_ns. ENOTFOUND if none. */
LC_INTERNAL int lc_version_asof(lc_io *io, const char *root, int64_t asof_ns, uint64_t *version,
                                lancec_error *err);

/* ---- deletion files -------------------------------------------------------- */

/* Parse deletion file bytes into a sorted, de-duplicated array of deleted
 * row offsets (lc_free). Arrow IPC file (`.arrow`, uint32 row_id, maybe
 * zstd-compressed) or portable 32-bit roaring (`.bin`). */
LC_INTERNAL int lc_deletion_parse_arrow(const uint8_t *data, size_t len, const char *name,
                                        uint32_t **rows, size_t *n, lancec_error *err);
LC_INTERNAL int lc_deletion_parse_bitmap(const uint8_t *data, size_t len, const char *name,
                                         uint32_t **rows, size_t *n, lancec_error *err);
/* Read the deletion file of a fragment (path per table-format.md §1.6 /
 * §1.9) and check its count against num_deleted_rows and physical_rows. */
LC_INTERNAL int lc_deletion_read(lc_io *io, const char *root, const lc_manifest *m,
                                 const Lance__Table__DataFragment *frag, uint32_t **rows, size_t *n,
                                 lancec_error *err);

/* Same, with an explicit cap on the number of rows (larger files are
 * ECORRUPT before anything big is allocated); lc_deletion_read passes the
 * fragment's physical_rows, the plain functions 2^30. */
LC_INTERNAL int lc_deletion_parse_arrow_limit(const uint8_t *data, size_t len, const char *name,
                                              uint64_t max_rows, uint32_t **rows, size_t *n,
                                              lancec_error *err);
LC_INTERNAL int lc_deletion_parse_bitmap_limit(const uint8_t *data, size_t len, const char *name,
                                               uint64_t max_rows, uint32_t **rows, size_t *n,
                                               lancec_error *err);
/* Full path of a fragment's deletion file (NULL if none / unknown base id / OOM). */
LC_INTERNAL char *lc_deletion_path(const char *root, const lc_manifest *m,
                                   const Lance__Table__DataFragment *frag);

/* ---- misc helpers ------------------------------------------------------------ */

/* The BasePath with this id, or NULL. */
LC_INTERNAL const Lance__Table__BasePath *lc_manifest_base_path(const lc_manifest *m, uint32_t id);
/* A base path as a local path ("file://" stripped). Borrowed. */
LC_INTERNAL const char *lc_base_path_local(const char *p);
/* Data file (major, minor) → "0.1", "2.0", "2.1", "2.2", "2.3"; NULL if invalid. */
LC_INTERNAL const char *lc_file_version_name(uint32_t major, uint32_t minor);
/* Parse a `_versions/` file name (both schemes); false for staging files,
 * detached versions and anything else that is not part of the history. */
LC_INTERNAL bool lc_manifest_name_parse(const char *name, uint64_t *version, bool *v2);

/* ---- dataset handle --------------------------------------------------------- */

typedef struct lc_dataset_index {
  char *name, *type, *uuid, *column;
  uint64_t dataset_version;
} lc_dataset_index;

struct lancec_session {
  int refcount;
  struct lc_cache *meta;      /* manifests, deletion vectors */
  struct lc_cache *files;     /* opened data files (count-limited: each holds a descriptor) */
  uint64_t index_cache_bytes;
  pthread_mutex_t mu;         /* guards the lazy index cache creation */
  void *index_cache;          /* created by the index module on first use */
  void (*index_cache_free)(void *);
  void (*index_cache_stats)(void *, lancec_cache_stats *);
};

LC_INTERNAL lancec_session *lc_session_ref(lancec_session *s);
/* Cached manifest of (root, version) with a reference for the caller, or NULL. */
LC_INTERNAL lc_manifest *lc_session_manifest_get(lancec_session *s, const char *root, uint64_t version);
LC_INTERNAL void lc_session_manifest_put(lancec_session *s, const char *root, lc_manifest *m);
/* lc_file_open through the session's cache (s may be NULL). */
struct lc_file;
LC_INTERNAL int lc_session_file_open(lancec_session *s, struct lc_file **out, lc_io *io, const char *path,
                                     uint64_t size_hint, lancec_error *err);
/* lc_deletion_read through the session's cache (s may be NULL). */
LC_INTERNAL int lc_session_deletion_read(lancec_session *s, lc_io *io, const char *root, const lc_manifest *m,
                                         const Lance__Table__DataFragment *frag, uint32_t **rows, size_t *n,
                                         lancec_error *err);
/* The session's index cache, created with create(index_cache_bytes) on
 * first use; NULL without a session or with a zero budget. */
LC_INTERNAL void *lc_session_index_cache(lancec_session *s, void *(*create)(uint64_t bytes), void (*destroy)(void *),
                                         void (*stats)(void *, lancec_cache_stats *));

struct lancec_dataset {
  int refcount;    /* lc_dataset_ref / lancec_dataset_free */
  lancec_session *session; /* or NULL */
  lc_io *io;
  char *root;      /* dataset root path inside io */
  char *uri;       /* as given by the user */
  lc_manifest *manifest;
  lc_dataset_index *indices; /* decoded from manifest->indices at open */
  size_t n_indices;
};

/* Open `root` on an existing io (takes a reference to io). */
LC_INTERNAL int lc_dataset_open_io(lancec_dataset **out, lc_io *io, const char *root,
                                   const lancec_open_options *opts, lancec_error *err);
/* Index type name from an IndexMetadata ("BTREE", "VECTOR", "FRAG_REUSE", ...). */
LC_INTERNAL const char *lc_index_type_name(const Lance__Table__IndexMetadata *im);
/* Dotted path of a field ("s.inner.x"); caller frees. */
LC_INTERNAL char *lc_field_path(const lc_field *f);

LC_INTERNAL lancec_dataset *lc_dataset_ref(lancec_dataset *ds);

/* Full path of a data file of `frag` (handles base paths). Caller frees. */
LC_INTERNAL char *lc_dataset_data_file_path(const lancec_dataset *ds,
                                            const Lance__Table__DataFile *df);

/* ---- stable row ids (rowids.c) ------------------------------------------------ */

/* Decode a serialized RowIdSequence holding exactly n_rows ids. */
LC_INTERNAL int lc_rowids_decode(const uint8_t *data, size_t len, uint64_t n_rows, uint64_t **out,
                                 lancec_error *err);
/* The stable row id of every physical row of `frag` (*out = NULL when the
 * fragment has no row id sequence: then _rowid = _rowaddr). Caller frees. */
LC_INTERNAL int lc_fragment_row_ids(const lancec_dataset *ds, const Lance__Table__DataFragment *frag,
                                    uint64_t **out, lancec_error *err);

#endif
