/* lancec_delete (table-format.md §7, §9.3 Delete, §14.2):
 *
 *   1. open the latest version R, parse + bind the SQL filter against its
 *      schema (LANCEC_EINVAL for a bad filter);
 *   2. for every fragment, read only the columns the filter uses, in
 *      physical row order (deleted rows included: offsets must stay
 *      physical), evaluate, and collect the offsets where the predicate is
 *      TRUE and the row is not deleted yet;
 *   3. lc_delete_offsets: merge with the existing deletion vectors, write
 *      deletion files, drop fully deleted fragments, commit a Delete.
 * A retryable conflict (someone else changed one of our fragments between
 * R and the commit) re-runs the whole operation on the new version, like
 * Lance's delete builder. Nothing matched → nothing is committed. */
#include <inttypes.h>

#include "arrow/arrow.h"
#include "expr/expr.h"
#include "file/file.h"
#include "table/table_write.h"

#define LC_DELETE_CHUNK 65536
#define LC_DELETE_ATTEMPTS 10

static bool file_has_field(const Lance__Table__DataFile *df, const lc_field *f) {
  if (f->id >= 0)
    for (size_t j = 0; j < df->n_fields; j++)
      if (df->fields[j] == f->id) return true;
  for (size_t i = 0; i < f->n_children; i++)
    if (file_has_field(df, f->children[i])) return true;
  return false;
}

/* The data file holding field `f` (the last one wins, §5.4), or -1. */
static int file_for_field(const Lance__Table__DataFragment *frag, const lc_field *f) {
  int best = -1;
  for (size_t i = 0; i < frag->n_files; i++)
    if (file_has_field(frag->files[i], f)) best = (int)i;
  return best;
}

/* Offsets of fragment `frag` matching `e` that are not deleted yet. */
static int scan_fragment(lancec_dataset *ds, const lc_schema *proj, const lc_expr *e,
                         const Lance__Table__DataFragment *frag, uint32_t **out, size_t *n_out,
                         lancec_error *err) {
  *out = NULL;
  *n_out = 0;
  uint64_t phys = frag->physical_rows;
  if (phys == 0) return 0;
  if (phys > UINT32_MAX)
    return lc_err(err, LANCEC_EUNSUPPORTED, "fragment %" PRIu64 " is too large", frag->id);
  uint32_t *del = NULL;
  size_t ndel = 0;
  if (frag->deletion_file) LC_TRY(lc_deletion_read(ds->io, ds->root, ds->manifest, frag, &del, &ndel, err));
  size_t nf = proj->n_fields;
  lc_file **files = lc_calloc(frag->n_files + 1, sizeof(*files));
  lc_field_reader **readers = lc_calloc(nf + 1, sizeof(*readers));
  int *fidx = lc_calloc(nf + 1, sizeof(int));
  uint8_t *keep = lc_malloc(lc_bitmap_bytes(LC_DELETE_CHUNK) + 8);
  uint32_t *hits = NULL;
  size_t nhits = 0, cap = 0;
  int rc = files && readers && fidx && keep ? 0 : lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t k = 0; k < nf && rc == 0; k++) {
    fidx[k] = file_for_field(frag, proj->fields[k]);
    if (fidx[k] < 0) continue;
    const Lance__Table__DataFile *df = frag->files[fidx[k]];
    if (!files[fidx[k]]) {
      char *path = lc_dataset_data_file_path(ds, df);
      if (!path) {
        rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
        break;
      }
      rc = lc_file_open(&files[fidx[k]], ds->io, path, df->file_size_bytes, err);
      if (rc == 0 && lc_file_num_rows(files[fidx[k]]) != phys)
        rc = lc_err(err, LANCEC_ECORRUPT,
                    "%s: data file has %" PRIu64 " rows but fragment %" PRIu64 " has %" PRIu64, path,
                    lc_file_num_rows(files[fidx[k]]), frag->id, phys);
      lc_free(path);
      if (rc) break;
    }
    lc_file_colmap map = {df->fields, df->column_indices, df->n_fields};
    if (df->n_column_indices != df->n_fields) map.column_indices = NULL;
    rc = lc_field_reader_new(&readers[k], files[fidx[k]], proj->fields[k], &map, err);
  }
  size_t di = 0;
  for (uint64_t start = 0; start < phys && rc == 0; start += LC_DELETE_CHUNK) {
    uint64_t count = phys - start < LC_DELETE_CHUNK ? phys - start : LC_DELETE_CHUNK;
    struct ArrowArray *cols = lc_calloc(nf + 1, sizeof(*cols));
    if (!cols) {
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      break;
    }
    for (size_t k = 0; k < nf && rc == 0; k++) {
      if (fidx[k] < 0)
        rc = lc_array_make_nulls(proj->fields[k], (int64_t)count, &cols[k], err);
      else
        rc = lc_field_reader_read(readers[k], start, count, &cols[k], err);
    }
    struct ArrowArray batch;
    memset(&batch, 0, sizeof(batch));
    if (rc == 0)
      rc = lc_array_make_batch(cols, nf, (int64_t)count, &batch, err);
    else
      for (size_t k = 0; k < nf; k++) lc_array_release(&cols[k]);
    lc_free(cols);
    if (rc) break;
    memset(keep, 0, lc_bitmap_bytes((int64_t)count));
    rc = lc_expr_eval(e, (const lc_field *const *)proj->fields, nf, &batch, keep, err);
    lc_array_release(&batch);
    if (rc) break;
    for (uint64_t i = 0; i < count; i++) {
      if (!lc_bit_get(keep, (int64_t)i)) continue;
      uint32_t off = (uint32_t)(start + i);
      while (di < ndel && del[di] < off) di++;
      if (di < ndel && del[di] == off) continue;
      if (nhits == cap) {
        cap = cap ? cap * 2 : 1024;
        uint32_t *nh = lc_realloc(hits, cap * sizeof(*nh));
        if (!nh) {
          rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
          break;
        }
        hits = nh;
      }
      hits[nhits++] = off;
    }
  }
  for (size_t k = 0; k < nf && readers; k++) lc_field_reader_free(readers[k]);
  for (size_t i = 0; i < frag->n_files && files; i++) lc_file_free(files[i]);
  lc_free(readers);
  lc_free(files);
  lc_free(fidx);
  lc_free(keep);
  lc_free(del);
  if (rc) {
    lc_free(hits);
    return rc;
  }
  *out = hits;
  *n_out = nhits;
  return 0;
}

static int delete_once(lc_io *io, const char *root, const char *filter, lancec_write_result *result,
                       bool *retryable, lancec_error *err) {
  lancec_dataset *ds = NULL;
  LC_TRY(lc_dataset_open_io(&ds, io, root, NULL, err));
  lc_expr *e = NULL;
  lc_schema *proj = NULL;
  uint64_t *ids = NULL;
  uint32_t **offs = NULL;
  size_t *noffs = NULL;
  const lc_manifest *m = ds->manifest;
  size_t nfr = m->pb->n_fragments;
  int rc = lc_expr_parse(&e, filter, m->schema, err);
  if (rc) {
    if (rc != LANCEC_ENOMEM) rc = LANCEC_EINVAL;
    if (err) err->code = rc;
    goto done;
  }
  size_t nc = lc_expr_num_columns(e);
  const char **cols = lc_calloc(nc + 1, sizeof(*cols));
  if (!cols) {
    rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < nc; i++) cols[i] = lc_expr_column(e, i);
  if (nc) {
    rc = lc_schema_project(&proj, m->schema, cols, nc, err);
  } else {
    proj = lc_calloc(1, sizeof(*proj));
    if (!proj) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  lc_free(cols);
  if (rc) goto done;
  ids = lc_calloc(nfr + 1, sizeof(*ids));
  offs = lc_calloc(nfr + 1, sizeof(*offs));
  noffs = lc_calloc(nfr + 1, sizeof(*noffs));
  if (!ids || !offs || !noffs) {
    rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < nfr && rc == 0; i++) {
    ids[i] = m->pb->fragments[i]->id;
    rc = scan_fragment(ds, proj, e, m->pb->fragments[i], &offs[i], &noffs[i], err);
  }
  if (rc == 0) rc = lc_delete_offsets(io, root, m, ids, offs, noffs, nfr, filter, result, retryable, err);
done:
  for (size_t i = 0; offs && i < nfr; i++) lc_free(offs[i]);
  lc_free(offs);
  lc_free(noffs);
  lc_free(ids);
  lc_schema_free(proj);
  lc_expr_free(e);
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
