/* Internals shared by the files of src/index (not used outside the module). */
#ifndef LC_INDEX_INTERNAL_H
#define LC_INDEX_INTERNAL_H

#include "arrow/arrow.h"
#include "file/file.h"
#include "index/index.h"

/* ---- cache parts ------------------------------------------------------------------- */

/* A cached, refcounted, immutable object. `drop` frees `p`. */
typedef struct lc_icache_obj {
  int refs; /* atomic */
  uint64_t bytes;
  void *p;
  void (*drop)(void *p);
} lc_icache_obj;

/* Referenced object for `key`, or NULL (miss). Release with lc_icache_release. */
LC_INTERNAL lc_icache_obj *lc_icache_get(lc_index_cache *c, const char *key);
/* Wrap p (ownership moves in, also on failure) and insert it under `key`
 * (an existing entry of that key is kept and returned instead). Returns a
 * referenced object, or NULL on ENOMEM (p dropped). */
LC_INTERNAL lc_icache_obj *lc_icache_put(lc_index_cache *c, const char *key, void *p, uint64_t bytes,
                                         void (*drop)(void *p));
LC_INTERNAL void lc_icache_release(lc_icache_obj *o);

/* Approximate bytes held by an array of type f (buffers only). */
LC_INTERNAL uint64_t lc_index_array_bytes(const lc_field *f, const struct ArrowArray *a);

/* ---- one index segment (an IndexMetadata entry) -------------------------------------- */

/* Stable row ids -> row addresses: runs of consecutive ids, ascending by
 * start (built from the fragments' row id sequences). */
typedef struct lc_rowid_run {
  uint64_t start, len; /* ids [start, start + len) */
  size_t slot;         /* fragment slot (lc_index_acc numbering) */
  uint64_t off;        /* offset of `start` in the fragment */
} lc_rowid_run;

typedef struct lc_rowid_map {
  lc_rowid_run *runs; /* live (not deleted) rows only */
  size_t n;
  bool overlap; /* some id is on two live rows (then every match is added) */
} lc_rowid_map;

/* Matches of one conjunct, per fragment of the plan: slot i <-> frag_ids[i]. */
typedef struct lc_index_acc {
  const uint64_t *frag_ids;  /* ascending (the planner's) */
  const uint64_t *frag_rows; /* physical rows per slot */
  size_t n;
  roaring_bitmap_t **rows; /* per slot; NULL = no match yet */
  const bool *covers;      /* per slot: the segment being searched covers it */
  const lc_rowid_map *rid; /* NULL: the index holds row addresses */
  uint64_t max_ids;        /* with rid: ids are below this (manifest next_row_id) */
} lc_index_acc;

/* Slot of fragment id, or -1. */
LC_INTERNAL ptrdiff_t lc_index_acc_slot(const lc_index_acc *acc, uint64_t frag);
/* Add offset `off` of fragment `frag`: ignored when the current segment
 * does not cover the fragment (or it is not in this version), ECORRUPT
 * naming `path` when off is beyond the fragment's physical rows. */
LC_INTERNAL int lc_index_acc_add(lc_index_acc *acc, uint64_t frag, uint64_t off, const char *path,
                                 lancec_error *err);
/* Add what the index stores for a row: its address, or with acc->rid its
 * stable row id (ids of no fragment of this version are dropped: deleted). */
LC_INTERNAL int lc_index_acc_add_id(lc_index_acc *acc, uint64_t id, const char *path, lancec_error *err);
/* The same for many (ids is reordered). */
LC_INTERNAL int lc_index_acc_add_ids(lc_index_acc *acc, uint64_t *ids, size_t n, const char *path,
                                     lancec_error *err);
/* Add every row whose id / address has the high 32 bits `hi` (a "whole
 * fragment" entry of a serialized row map). */
LC_INTERNAL int lc_index_acc_add_high(lc_index_acc *acc, uint32_t hi, lancec_error *err);

/* One conjunct, ready to be searched. */
typedef struct lc_index_query {
  const lc_expr *bound;  /* the conjunct re-bound to `schema` */
  const lc_field *field; /* = schema->fields[0]: named like the column, typed like the index values */
  lc_schema *schema;
  /* BTree page pruning: a page is searched when, for some pair p,
   * on_min[p] holds on its min (or min is null / NaN) and on_max[p] holds on
   * its max (or max is null / NaN); NULL = no condition on that side. */
  lc_expr **on_min, **on_max;
  size_t n_pairs;
  bool is_null;     /* IS NULL: pages with null_count > 0 */
  bool is_not_null; /* IS NOT NULL: pages not entirely null */
  bool all_pages;   /* no pruning */
} lc_index_query;

/* One index segment (an IndexMetadata entry). */
typedef struct lc_index_seg {
  lc_io *io;
  const char *dir;  /* resolved _indices/<uuid> directory */
  const char *uuid; /* cache key prefix */
} lc_index_seg;

/* Load (or find in the cache) the part of a segment every search needs:
 * BTree page lookup (+ page_data.lance opened), Bitmap keys. Referenced
 * object; LANCEC_EUNSUPPORTED for layouts lancec does not search. */
LC_INTERNAL int lc_index_btree_load(lc_icache_obj **out, const lc_index_seg *seg, lc_index_cache *cache,
                                    lancec_error *err);
LC_INTERNAL int lc_index_bitmap_load(lc_icache_obj **out, const lc_index_seg *seg, lc_index_cache *cache,
                                     lancec_error *err);
/* The index's value field (type of the values / keys; borrowed). */
LC_INTERNAL const lc_field *lc_index_btree_field(const lc_icache_obj *o);
LC_INTERNAL const lc_field *lc_index_bitmap_field(const lc_icache_obj *o);
/* Search a loaded segment; matches go to acc. parts_read / parts_total are
 * incremented by pages (BTree) or keys (Bitmap). A BTree search takes the
 * conjunction of nq queries on its column (e.g. `x >= a AND x < b`): a page
 * is read only when every query's bounds may hold on it. */
LC_INTERNAL int lc_index_btree_search(lc_icache_obj *lookup, const lc_index_seg *seg, lc_index_cache *cache,
                                      const lc_index_query *const *qs, size_t nq, lc_index_acc *acc,
                                      uint64_t *parts_read, uint64_t *parts_total, lancec_error *err);
LC_INTERNAL int lc_index_bitmap_search(lc_icache_obj *keys, const lc_index_seg *seg, lc_index_cache *cache,
                                       const lc_index_query *q, lc_index_acc *acc, uint64_t *parts_read,
                                       uint64_t *parts_total, lancec_error *err);

/* Open <dir>/<name> (a Lance file) and its own schema. */
LC_INTERNAL int lc_index_open_file(lc_file **out, lc_schema **schema, lc_io *io, const char *dir,
                                   const char *name, lancec_error *err);

/* Evaluate a bound single-column predicate over `values` (typed like
 * `field`); keep = bitmap of values->length bits (TRUE rows). */
LC_INTERNAL int lc_index_eval(const lc_expr *e, const lc_field *field, const struct ArrowArray *values,
                              uint8_t *keep, lancec_error *err);

#endif
