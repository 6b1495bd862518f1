/* Scalar indices as the scan engine sees them: an adapter over src/index
 * (lc_index_plan), using the session's index cache when there is one. */
#include "index/index.h"
#include "scan/scan.h"

struct lc_scan_ix {
  lc_index_result *res;
};

int lc_scan_ix_plan(lc_scan_ix **out, lancec_dataset *ds, const lc_expr *filter, lc_scan_icache *cache,
                    lancec_error *err) {
  *out = NULL;
  lc_index_cache *ic = (lc_index_cache *)cache;
  if (!ic && ds->session)
    ic = lc_session_index_cache(ds->session, lc_index_cache_create_hook, lc_index_cache_free_hook,
                                lc_index_cache_stats_hook);
  lc_index_result *res = NULL;
  LC_TRY(lc_index_plan(&res, ds, filter, ic, err));
  if (!res) return 0;
  lc_scan_ix *ix = lc_calloc(1, sizeof(*ix));
  if (!ix) {
    lc_index_result_free(res);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  ix->res = res;
  *out = ix;
  return 0;
}

bool lc_scan_ix_covers(const lc_scan_ix *ix, uint64_t frag_id) {
  return ix && lc_index_result_fragment(ix->res, frag_id) != NULL;
}

int lc_scan_ix_rows(const lc_scan_ix *ix, uint64_t frag_id, uint64_t phys, uint32_t **rows, size_t *n,
                    lancec_error *err) {
  LC_TRY(lc_index_result_rows(ix->res, frag_id, rows, n, err));
  /* offsets beyond the fragment (an index built on more rows than this
   * version's fragment holds cannot happen for immutable fragments; be safe) */
  while (*n > 0 && (*rows)[*n - 1] >= phys) (*n)--;
  return 0;
}

char *lc_scan_ix_describe(const lc_scan_ix *ix) { return ix ? lc_index_result_describe(ix->res) : NULL; }

void lc_scan_ix_free(lc_scan_ix *ix) {
  if (!ix) return;
  lc_index_result_free(ix->res);
  lc_free(ix);
}
