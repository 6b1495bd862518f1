/* Scalar indices as seen by the scan engine. */
#include "scan/scan.h"

int lc_scan_ix_plan(lc_scan_ix **out, lancec_dataset *ds, const lc_expr *filter, lc_scan_icache *cache,
                    lancec_error *err) {
  (void)ds, (void)filter, (void)cache, (void)err;
  *out = NULL;
  return 0;
}
bool lc_scan_ix_covers(const lc_scan_ix *ix, uint64_t frag_id) {
  (void)ix, (void)frag_id;
  return false;
}
int lc_scan_ix_rows(const lc_scan_ix *ix, uint64_t frag_id, uint64_t phys, uint32_t **rows, size_t *n,
                    lancec_error *err) {
  (void)ix, (void)frag_id, (void)phys, (void)err;
  *rows = NULL;
  *n = 0;
  return 0;
}
char *lc_scan_ix_describe(const lc_scan_ix *ix) {
  (void)ix;
  return NULL;
}
void lc_scan_ix_free(lc_scan_ix *ix) { (void)ix; }
