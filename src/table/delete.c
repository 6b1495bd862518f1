/* lancec_delete (table-format.md §7, §9.3 Delete, §14.2):
 *
 *   1. open the latest version R, parse + bind the SQL filter against its
 *      schema (LANCEC_EINVAL for a bad filter);
 *   2. scan with the filter (src/scan: only the filter's columns are
 *      read, deleted rows skipped) outputting `_rowaddr`, and collect the
 *      physical offsets of the matching rows per fragment;
 *   3. lc_delete_offsets: merge with the existing deletion vectors, write
 *      deletion files, drop fully deleted fragments, commit a Delete.
 * A retryable conflict (someone else changed one of our fragments between
 * R and the commit) re-runs the whole operation on the new version, like
 * Lance's delete builder. Nothing matched → nothing is committed. */
#include <inttypes.h>

#include "arrow/arrow.h"
#include "scan/scan.h"
#include "table/table_write.h"

#define LC_DELETE_ATTEMPTS 10

/* Offsets (per manifest fragment) of the rows matching `filter`: a scan with
 * the filter that outputs only `_rowaddr` (deleted rows are skipped by the
 * scan, so every hit is new). */
static int matching_offsets(lancec_dataset *ds, const char *filter, uint32_t **offs, size_t *noffs,
                            lancec_error *err) {
  const Lance__Table__Manifest *pb = ds->manifest->pb;
  lancec_scan_options o = LANCEC_SCAN_OPTIONS_INIT;
  o.filter = filter;
  o.columns_none = 1;
  o.with_row_addr = 1;
  o.no_index = 1; /* the physical truth: indices may lag behind the data */
  lc_scan *st = NULL;
  int rc = lc_scan_open(&st, ds, &o, NULL, NULL, err);
  if (rc) {
    if (rc != LANCEC_ENOMEM && err) err->code = rc = LANCEC_EINVAL;
    return rc;
  }
  size_t *cap = lc_calloc(pb->n_fragments + 1, sizeof(size_t));
  if (!cap) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  size_t fi = 0; /* rows come in manifest order */
  while (rc == 0) {
    struct ArrowArray b;
    rc = lc_scan_next(st, &b, err);
    if (rc || !b.release) break;
    const uint64_t *addr = (const uint64_t *)b.children[0]->buffers[1] + b.children[0]->offset;
    for (int64_t i = 0; i < b.length && rc == 0; i++) {
      uint64_t fid = addr[i] >> 32;
      while (fi < pb->n_fragments && pb->fragments[fi]->id != fid) fi++;
      if (fi == pb->n_fragments) {
        rc = lc_err(err, LANCEC_EINTERNAL, "delete: row address of unknown fragment %" PRIu64, fid);
        break;
      }
      if (noffs[fi] == cap[fi]) {
        cap[fi] = cap[fi] ? cap[fi] * 2 : 1024;
        uint32_t *n = lc_realloc(offs[fi], cap[fi] * sizeof(uint32_t));
        if (!n) {
          rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
          break;
        }
        offs[fi] = n;
      }
      offs[fi][noffs[fi]++] = (uint32_t)addr[i];
    }
    lc_array_release(&b);
  }
  lc_free(cap);
  lc_scan_free(st);
  return rc;
}

static int delete_once(lc_io *io, const char *root, const char *filter, lancec_write_result *result,
                       bool *retryable, lancec_error *err) {
  lancec_dataset *ds = NULL;
  LC_TRY(lc_dataset_open_io(&ds, io, root, NULL, err));
  const lc_manifest *m = ds->manifest;
  size_t nfr = m->pb->n_fragments;
  uint64_t *ids = lc_calloc(nfr + 1, sizeof(*ids));
  uint32_t **offs = lc_calloc(nfr + 1, sizeof(*offs));
  size_t *noffs = lc_calloc(nfr + 1, sizeof(*noffs));
  int rc = ids && offs && noffs ? 0 : lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t i = 0; i < nfr && rc == 0; i++) ids[i] = m->pb->fragments[i]->id;
  if (rc == 0) rc = matching_offsets(ds, filter, offs, noffs, err);
  if (rc == 0) rc = lc_delete_offsets(io, root, m, ids, offs, noffs, nfr, filter, result, retryable, err);
  for (size_t i = 0; offs && i < nfr; i++) lc_free(offs[i]);
  lc_free(offs);
  lc_free(noffs);
  lc_free(ids);
  lancec_dataset_free(ds);
  return rc;
}

int lc_delete_io(lc_io *io, const char *root, const char *filter, lancec_write_result *result,
                 lancec_error *err) {
  if (!filter || !*filter) return lc_err(err, LANCEC_EINVAL, "lancec_delete: empty filter");
  for (int attempt = 1;; attempt++) {
    bool retryable = false;
    int rc = delete_once(io, root, filter, result, &retryable, err);
    if (rc != LANCEC_ECONFLICT || !retryable || attempt >= LC_DELETE_ATTEMPTS) return rc;
  }
}

int lancec_delete(const char *uri, const char *filter, lancec_write_result *result, lancec_error *err) {
  if (!uri) return lc_err(err, LANCEC_EINVAL, "lancec_delete: NULL uri");
  if (result) memset(result, 0, sizeof(*result));
  lc_io *io = NULL;
  char *root = NULL;
  LC_TRY(lc_io_from_uri(uri, &io, &root, err));
  int rc = lc_delete_io(io, root, filter, result, err);
  lc_io_unref(io);
  lc_free(root);
  return rc;
}
