/* Scan engine internals (the public entry points are lancec_dataset_scan,
 * _count, _take and _explain). */
#ifndef LC_SCAN_H
#define LC_SCAN_H

#include "common/common.h"
#include "schema/schema.h"
#include "expr/expr.h"
#include "table/table.h"

typedef struct lc_scan lc_scan;

/* A restriction of the rows to read: for the fragments it covers, only the
 * rows it lists (take, scalar-index results). `rows` hands over a sorted,
 * distinct lc_malloc'd list of physical offsets (< phys); n = 0 prunes the
 * fragment. */
typedef struct lc_scan_restrict {
  void *ud;
  bool (*covers)(void *ud, uint64_t frag_id, size_t frag_index);
  int (*rows)(void *ud, uint64_t frag_id, size_t frag_index, uint64_t phys, uint32_t **rows, size_t *n,
              lancec_error *err);
  bool is_index; /* for explain: pruned fragments count as pruned by an index */
} lc_scan_restrict;

/* Scalar-index planning as the scan engine sees it (src/scan/scan_index.c
 * adapts src/index). */
typedef struct lc_scan_ix lc_scan_ix;
typedef struct lc_scan_icache lc_scan_icache;
/* *out = NULL when no index answers any part of the filter. */
LC_INTERNAL int lc_scan_ix_plan(lc_scan_ix **out, lancec_dataset *ds, const lc_expr *filter,
                                lc_scan_icache *cache, lancec_error *err);
LC_INTERNAL bool lc_scan_ix_covers(const lc_scan_ix *ix, uint64_t frag_id);
LC_INTERNAL int lc_scan_ix_rows(const lc_scan_ix *ix, uint64_t frag_id, uint64_t phys, uint32_t **rows, size_t *n,
                                lancec_error *err);
LC_INTERNAL char *lc_scan_ix_describe(const lc_scan_ix *ix); /* caller frees; NULL on ENOMEM */
LC_INTERNAL void lc_scan_ix_free(lc_scan_ix *ix);

LC_INTERNAL int lc_scan_open(lc_scan **out, const lancec_dataset *ds, const lancec_scan_options *opts,
                             const lc_scan_restrict *rx, lc_scan_icache *icache, lancec_error *err);
/* Next non-empty batch; at the end returns 0 with out->release == NULL. */
LC_INTERNAL int lc_scan_next(lc_scan *st, struct ArrowArray *out, lancec_error *err);
LC_INTERNAL void lc_scan_free(lc_scan *st);
/* Fields of the result batches (borrowed). */
LC_INTERNAL size_t lc_scan_fields(const lc_scan *st, lc_field *const **fields);
LC_INTERNAL int lc_scan_explain(lc_scan *st, char **out, lancec_error *err);

/* The lancec status code behind the last get_next failure of a stream made
 * by lancec_dataset_scan (0 if none). */
LC_INTERNAL int lc_scan_lancec_error_code(const struct ArrowArrayStream *s);

#endif
