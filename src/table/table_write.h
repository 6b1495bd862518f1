/* The table-level write path (table-format.md §9, §14): building
 * transactions and manifests, the commit protocol with conflict detection
 * and retry, deletion files, and the Lance schema protobufs.
 *
 * Layering:
 *   write.c / delete.c   lancec_write / lancec_delete: payload files, then
 *                        an lc_commit_op handed to lc_commit
 *   commit.c             lc_commit: .txn, conflict check, manifest L+1,
 *                        put_if_absent, retry, version hint
 *   manifest_write.c     manifest L+1 from manifest L + operation, bytes
 *   deletion_write.c     .arrow / .bin deletion files
 *   schema_pb.c          lc_schema <-> lance.file.Field, Arrow -> lc_schema
 *
 * Protobuf messages built here are plain protobuf-c structs whose memory
 * comes from an lc_arena (freed in one go); messages borrowed from a
 * decoded manifest are referenced, never copied, so fields lancec does not
 * know (protobuf-c keeps them as unknown fields) are re-emitted unchanged. */
#ifndef LC_TABLE_WRITE_H
#define LC_TABLE_WRITE_H

#include "common/common.h"
#include "io/io.h"
#include "schema/schema.h"
#include "table/table.h"

/* ---- arena ------------------------------------------------------------------ */

typedef struct lc_arena {
  void **ptrs;
  size_t n, cap;
  bool oom; /* an allocation failed (the pointer returned was NULL) */
} lc_arena;

LC_INTERNAL void *lc_arena_alloc(lc_arena *a, size_t n); /* zeroed */
LC_INTERNAL char *lc_arena_strdup(lc_arena *a, const char *s);
LC_INTERNAL void *lc_arena_memdup(lc_arena *a, const void *p, size_t n);
LC_INTERNAL void lc_arena_free(lc_arena *a);

/* ---- schema protobufs (schema_pb.c) ----------------------------------------- */

/* Lance logical type string of a field (table-format.md §5.2) into buf. */
LC_INTERNAL const char *lc_field_logical_type(const lc_field *f, char *buf, size_t cap);

/* Assign field ids in pre-order starting at *next (synthesised children
 * — FSL items without a Lance entry, dictionary values — keep -1). */
LC_INTERNAL void lc_schema_assign_ids(lc_schema *s, int32_t *next);

/* The flattened lance.file.Field list of `s` (pre-order; ids must be
 * assigned). Allocated in `a`. */
LC_INTERNAL int lc_schema_to_pb(const lc_schema *s, lc_arena *a, Lance__File__Field ***out, size_t *n,
                                lancec_error *err);
/* Schema metadata as manifest map entries (allocated in `a`). */
LC_INTERNAL int lc_schema_metadata_to_pb(const lc_schema *s, lc_arena *a,
                                         Lance__Table__Manifest__SchemaMetadataEntry ***out, size_t *n,
                                         lancec_error *err);

/* An Arrow struct schema ("+s") as an lc_schema (ids -1, free with
 * lc_schema_free). Types Lance cannot store are LANCEC_EUNSUPPORTED. */
LC_INTERNAL int lc_schema_from_arrow(lc_schema **out, const struct ArrowSchema *s, lancec_error *err);

/* Largest field id in the schema and in any DataFile.fields of `m`
 * (table-format.md §5.1 "max_used"); -1 when none. */
LC_INTERNAL int32_t lc_manifest_max_field_id(const lc_manifest *m);

/* ---- deletion files (deletion_write.c) --------------------------------------- */

#define LC_DELETION_ARROW_MAX 5000 /* <= this many deleted rows: .arrow, else .bin */

/* Arrow IPC file with one non-nullable uint32 column `row_id` (the
 * template of file-format-2.0-legacy-and-aux.md §C.7). n >= 1. */
LC_INTERNAL int lc_deletion_encode_arrow(const uint32_t *rows, size_t n, uint8_t **out, size_t *len,
                                         lancec_error *err);
/* Portable 32-bit roaring bitmap (cookie 12346, array/bitmap containers). */
LC_INTERNAL int lc_deletion_encode_bitmap(const uint32_t *rows, size_t n, uint8_t **out, size_t *len,
                                          lancec_error *err);
/* Write the deletion file of fragment `frag_id` holding the sorted,
 * distinct offsets rows[0..n) to {root}/_deletions/ and fill `df` (fields
 * set the way Lance sets them). n >= 1. */
LC_INTERNAL int lc_deletion_write(lc_io *io, const char *root, uint64_t frag_id, uint64_t read_version,
                                  const uint32_t *rows, size_t n, Lance__Table__DeletionFile *df,
                                  lancec_error *err);

/* ---- operations and commits (commit.c, manifest_write.c) --------------------- */

typedef enum lc_op_kind { LC_TXN_APPEND = 1, LC_TXN_DELETE, LC_TXN_OVERWRITE } lc_op_kind;

typedef struct lc_commit_op {
  lc_op_kind kind;
  uint64_t read_version; /* R: the version the operation was built from (0: none) */
  /* APPEND / OVERWRITE: new fragments (ids unassigned = 0) */
  Lance__Table__DataFragment **fragments;
  size_t n_fragments;
  /* OVERWRITE: the schema (protobuf entries) and its metadata */
  Lance__File__Field **fields;
  size_t n_fields;
  Lance__Table__Manifest__SchemaMetadataEntry **schema_metadata;
  size_t n_schema_metadata;
  const char *data_format; /* OVERWRITE: "2.1"/"2.2"; NULL = keep L's (or 2.2) */
  bool create_only;        /* fail with EEXISTS when any version exists */
  /* config upserts: OVERWRITE → Transaction.config_upsert_values; all ops:
   * merged into Manifest.config */
  const char *const *config_keys;
  const char *const *config_values;
  size_t n_config;
  /* DELETE */
  Lance__Table__DataFragment **updated_fragments; /* complete fragments, real ids */
  size_t n_updated;
  uint64_t *deleted_fragment_ids;
  size_t n_deleted_ids;
  const char *predicate;
} lc_commit_op;

/* Lance gives up after 20 attempts; lancec tries longer (its appends never
 * conflict, so losing the put race is the only reason to retry them). */
#define LC_COMMIT_ATTEMPTS 100

typedef struct lc_commit_options {
  int max_attempts; /* <= 0: LC_COMMIT_ATTEMPTS */
  bool v1_names;    /* new datasets: V1 manifest names (N.manifest) */
  bool no_hint;     /* do not write latest_version_hint.json */
} lc_commit_options;

typedef struct lc_commit_result {
  uint64_t version;
  int attempts;   /* put_if_absent attempts made */
  bool retryable; /* on ECONFLICT: redoing the operation may succeed */
} lc_commit_result;

/* Commit `op` (table-format.md §9.2): write the .txn file, then until it
 * succeeds or attempts run out: find the latest version L, check the
 * transactions of versions R+1..L against op (§9.5), build manifest L+1
 * and create it with put_if_absent. Returns LANCEC_ECONFLICT for a
 * conflict or exhausted retries (res->retryable tells which),
 * LANCEC_EEXISTS for create_only on an existing dataset. Payload files
 * must already be written. `res` may be NULL. */
LC_INTERNAL int lc_commit(lc_io *io, const char *root, const lc_commit_op *op, const lc_commit_options *opts,
                          lc_commit_result *res, lancec_error *err);

/* The manifest-building step on its own (manifest_write.c): the complete
 * file bytes of version `prev ? prev->version + 1 : 1` for `op` and the
 * packed transaction `txn` (named txn_file). */
LC_INTERNAL int lc_manifest_build(const lc_manifest *prev, const lc_commit_op *op, const uint8_t *txn,
                                  size_t txn_len, const char *txn_file, uint8_t **out, size_t *out_len,
                                  lancec_error *err);

/* Conflict rule of table-format.md §9.5 for our `op` against a committed
 * transaction: 0 compatible, LANCEC_ECONFLICT otherwise (*retryable set). */
LC_INTERNAL int lc_conflict_check(const lc_commit_op *op, const Lance__Transaction *theirs,
                                  uint64_t their_version, bool *retryable, lancec_error *err);

/* Manifest file name for `version` in `_versions/` (V2 or V1). */
LC_INTERNAL char *lc_manifest_file_name(uint64_t version, bool v2);

/* Random bytes (getrandom, falling back to a time-seeded generator). */
LC_INTERNAL void lc_random_bytes(void *p, size_t n);
/* Lowercase hyphenated UUID v4 into buf[37]. */
LC_INTERNAL void lc_uuid_v4(char buf[37]);

/* ---- entry points that take an lc_io (tests inject faults with these) -------- */

LC_INTERNAL int lc_write_io(lc_io *io, const char *root, struct ArrowArrayStream *data,
                            const lancec_write_options *opts, lancec_write_result *result, lancec_error *err);
LC_INTERNAL int lc_delete_io(lc_io *io, const char *root, const char *filter, lancec_write_result *result,
                             lancec_error *err);

/* Delete given physical offsets (any order, duplicates and already deleted
 * offsets allowed) from fragments of the latest version R, which must be
 * `read_version` (else LANCEC_ECONFLICT, retryable): merges with existing
 * deletion vectors, writes deletion files, removes fully deleted fragments
 * and commits a Delete. frag_ids[i] / offsets[i][0..n_offsets[i]).
 * *deleted = rows newly deleted (0 → nothing committed). */
LC_INTERNAL int lc_delete_offsets(lc_io *io, const char *root, const lc_manifest *m, const uint64_t *frag_ids,
                                  uint32_t *const *offsets, const size_t *n_offsets, size_t n_frags,
                                  const char *predicate, lancec_write_result *result, bool *retryable,
                                  lancec_error *err);

/* Fill `result` (version, fragment / deletion / small-file counts) from the
 * manifest of `version`; num_rows is left alone. */
LC_INTERNAL int lc_write_result_fill(lc_io *io, const char *root, uint64_t version, uint64_t small_limit,
                                     lancec_write_result *result, lancec_error *err);

#endif
