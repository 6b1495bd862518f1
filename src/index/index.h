/* Scalar indices real Lance builds (BTree, Bitmap), used to answer filter
 * conjuncts: see docs/indices.md.
 *
 * lc_index_plan() looks at the top-level AND conjuncts of a bound filter,
 * picks for each conjunct on a single indexed column the index that can
 * answer it, loads the index files from <dataset>/_indices/<uuid>/ and
 * returns, per fragment the indices cover, the row offsets that MAY match
 * the conjunction of those conjuncts. The answer is a superset (rows deleted
 * after the index was built are still listed; the caller applies deletion
 * vectors and re-evaluates the whole filter); it never misses a row of a
 * covered fragment on which the indexed conjuncts are TRUE. Fragments not
 * covered must be scanned in full.
 *
 * Row identity: indices store row addresses (fragment_id << 32 | offset) on
 * datasets without stable row ids, stable row ids on the others; those are
 * mapped to the addresses of live (not deleted) rows through the fragments'
 * row id sequences (the map is cached per dataset version). Results are
 * always offsets within fragments.
 *
 * Thread-safety: an lc_index_cache may be shared by threads (internally
 * locked); a result is immutable and may be read by any number of threads.
 */
#ifndef LC_INDEX_H
#define LC_INDEX_H

#include <roaring/roaring.h>

#include "common/common.h"
#include "expr/expr.h"
#include "table/table.h"

/* ---- cache ------------------------------------------------------------------- */

/* Loaded index parts (BTree page lookups and pages, Bitmap key lists, the
 * stable row id map) kept across plans, keyed by index uuid + part (row id
 * map: dataset root + version), least recently used evicted
 * beyond `budget_bytes` (approximate in-memory size). budget 0 = keep
 * nothing across plans. */
typedef struct lc_index_cache lc_index_cache;

LC_INTERNAL int lc_index_cache_new(lc_index_cache **out, uint64_t budget_bytes, lancec_error *err);
LC_INTERNAL void lc_index_cache_free(lc_index_cache *c); /* NULL ok; parts in use stay valid */
/* bytes / entries held now; hits, misses, evictions since creation. */
LC_INTERNAL void lc_index_cache_get_stats(lc_index_cache *c, lancec_cache_stats *out);

/* The same three with the signatures lc_session_index_cache() takes
 * (src/table/table.h): create returns NULL on ENOMEM. */
LC_INTERNAL void *lc_index_cache_create_hook(uint64_t budget_bytes);
LC_INTERNAL void lc_index_cache_free_hook(void *c);
LC_INTERNAL void lc_index_cache_stats_hook(void *c, lancec_cache_stats *out);

/* ---- plan --------------------------------------------------------------------- */

/* How one conjunct was answered (for --explain). */
typedef struct lc_index_use {
  char *index_name;       /* manifest name, e.g. "i32_idx" */
  const char *index_type; /* "BTREE" / "BITMAP" (static) */
  char *column;           /* indexed column */
  char *conjunct;         /* the conjunct as SQL */
  uint32_t n_segments;    /* index entries (delta segments) of that name used */
  uint64_t n_fragments;   /* fragments of this version the index covers */
  uint64_t matched_rows;  /* rows the index returned (its covered fragments) */
  uint64_t parts_read;    /* BTree pages / Bitmap bitmaps searched */
  uint64_t parts_total;   /* BTree pages / Bitmap distinct keys in the index */
} lc_index_use;

/* Candidate rows of one covered fragment: physical offsets (< physical rows). */
typedef struct lc_index_frag {
  uint64_t id;
  uint64_t physical_rows;
  roaring_bitmap_t *rows; /* never NULL */
} lc_index_frag;

typedef struct lc_index_result {
  lc_index_frag *frags; /* covered fragments, ascending id */
  size_t n_frags;
  uint64_t covered_rows; /* physical rows of the covered fragments */
  uint64_t n_rows;       /* candidate rows (sum of the bitmaps' cardinalities) */
  lc_index_use *uses;    /* one per conjunct answered by an index, filter order */
  size_t n_uses;
} lc_index_result;

/* Plan the scalar-index part of `filter` (a bound tree, lc_expr_parse /
 * lc_expr_bind against the dataset's schema or a projection of it) on the
 * opened version of `ds`.
 *   *out = NULL (return 0) when no index answers any conjunct: no indices,
 *   no conjunct of a supported shape on an indexed column, a fragment-reuse
 *   index in the version, or indices whose version/format lancec does not
 *   search (BTree/Bitmap index_version > 0, range-partitioned BTree, index
 *   files in the legacy 0.1 format, entries without index_details).
 *   cache: optional (NULL = a private cache for this call only).
 * Errors: index files missing / truncated / inconsistent -> LANCEC_ECORRUPT
 * (or ENOTFOUND / EIO from the IO layer) with the file path in the
 * message; ENOMEM. */
LC_INTERNAL int lc_index_plan(lc_index_result **out, lancec_dataset *ds, const lc_expr *filter,
                              lc_index_cache *cache, lancec_error *err);
LC_INTERNAL void lc_index_result_free(lc_index_result *r);

/* The covered fragment with this id, or NULL (fragment must be scanned). */
LC_INTERNAL const lc_index_frag *lc_index_result_fragment(const lc_index_result *r, uint64_t frag_id);
/* Candidate offsets of covered fragment `frag_id` as a sorted, distinct
 * lc_malloc'd array (*rows = NULL, *n = 0 when none or not covered). */
LC_INTERNAL int lc_index_result_rows(const lc_index_result *r, uint64_t frag_id, uint32_t **rows, size_t *n,
                                     lancec_error *err);
/* Multi-line text for --explain, no trailing newline: a summary line, then
 * one line per answered conjunct ("  i32_idx (BTREE) on i32: i32 > 5 -> 123
 * row(s) in 3 fragment(s), 2/4 pages searched, 1 segment(s)"). Caller frees
 * (lc_free). NULL on ENOMEM. */
LC_INTERNAL char *lc_index_result_describe(const lc_index_result *r);

/* ---- stable row ids ----------------------------------------------------------- */

/* Where the live rows with stable row ids ids[0..n) are: found[i], and then
 * frag_ids[i] / offs[i]. The id -> address map is built once per version
 * and kept in the session's index cache. */
LC_INTERNAL int lc_rowids_resolve(lancec_dataset *ds, const uint64_t *ids, size_t n, uint64_t *frag_ids,
                                  uint32_t *offs, bool *found, lancec_error *err);

#endif
