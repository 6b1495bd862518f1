/* Random access (lancec_dataset_take): resolve offsets / row ids / row
 * addresses to (fragment, physical row), read the distinct rows through the
 * scan engine restricted to them (only the pages / chunks holding them are
 * read), then put the rows in the order asked for. */
#include <inttypes.h>
#include <stdlib.h>

#include "arrow/arrow.h"
#include "index/index.h"
#include "scan/scan.h"

typedef struct take_ref {
  uint64_t key;   /* (fragment index << 32) | physical row */
  size_t req;     /* position in the request */
} take_ref;

static int cmp_ref(const void *a, const void *b) {
  const take_ref *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->req < y->req ? -1 : x->req > y->req;
}

typedef struct take_ctx {
  const lancec_dataset *ds;
  size_t nfr;
  uint32_t **del; /* per fragment index: deletion vector (loaded lazily) */
  size_t *ndel;
  bool *del_loaded;
  uint32_t **rows; /* per fragment index: selected rows */
  size_t *nrows;
} take_ctx;

static int load_del(take_ctx *c, size_t fi, lancec_error *err) {
  if (c->del_loaded[fi]) return 0;
  const Lance__Table__DataFragment *f = c->ds->manifest->pb->fragments[fi];
  if (f->deletion_file)
    LC_TRY(lc_session_deletion_read(c->ds->session, c->ds->io, c->ds->root, c->ds->manifest, f, &c->del[fi], &c->ndel[fi], err));
  c->del_loaded[fi] = true;
  return 0;
}

static bool is_deleted(const take_ctx *c, size_t fi, uint64_t off) {
  const uint32_t *d = c->del[fi];
  size_t lo = 0, hi = c->ndel[fi];
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (d[mid] < off) lo = mid + 1;
    else hi = mid;
  }
  return lo < c->ndel[fi] && d[lo] == off;
}

static bool take_covers(void *ud, uint64_t frag_id, size_t fi) {
  (void)ud, (void)frag_id, (void)fi;
  return true;
}

static int take_rows(void *ud, uint64_t frag_id, size_t fi, uint64_t phys, uint32_t **rows, size_t *n,
                     lancec_error *err) {
  (void)frag_id, (void)phys, (void)err;
  take_ctx *c = ud;
  *rows = c->rows[fi];
  *n = c->nrows[fi];
  c->rows[fi] = NULL;
  c->nrows[fi] = 0;
  return 0;
}

/* Map each request to a key, or UINT64_MAX when it names no visible row. */
static int resolve(take_ctx *c, const uint64_t *req, size_t n, lancec_take_kind kind, uint64_t *keys,
                   lancec_error *err) {
  const Lance__Table__Manifest *pb = c->ds->manifest->pb;
  if (kind == LANCEC_TAKE_OFFSETS) {
    /* cumulative visible rows per fragment */
    uint64_t *cum = lc_malloc((c->nfr + 1) * sizeof(uint64_t));
    if (!cum) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    cum[0] = 0;
    int rc = 0;
    for (size_t i = 0; i < c->nfr && rc == 0; i++) {
      const Lance__Table__DataFragment *f = pb->fragments[i];
      uint64_t vis = f->physical_rows;
      if (f->deletion_file) {
        rc = load_del(c, i, err);
        vis -= c->ndel[i] <= vis ? c->ndel[i] : vis;
      }
      cum[i + 1] = cum[i] + vis;
    }
    for (size_t k = 0; k < n && rc == 0; k++) {
      uint64_t o = req[k];
      if (o >= cum[c->nfr]) {
        rc = lc_err(err, LANCEC_EINVAL, "take: offset %" PRIu64 " is past the last row (the dataset has %" PRIu64 " rows)",
                    o, cum[c->nfr]);
        break;
      }
      size_t lo = 0, hi = c->nfr; /* last fragment with cum[i] <= o */
      while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (cum[mid] <= o) lo = mid;
        else hi = mid;
      }
      while (cum[lo + 1] <= o) lo++; /* skip empty fragments */
      uint64_t want = o - cum[lo], p = want;
      if (c->ndel[lo]) { /* the want-th visible row */
        const uint32_t *d = c->del[lo];
        size_t nd = c->ndel[lo];
        size_t j = 0; /* every deleted row at or before the candidate pushes it one further */
        while (j < nd && d[j] <= p) {
          p++;
          j++;
        }
      }
      keys[k] = (uint64_t)lo << 32 | p;
    }
    lc_free(cum);
    return rc;
  }
  /* row ids: stable ids go through the id -> address map (src/index) */
  bool stable = false;
  for (size_t i = 0; i < c->nfr; i++)
    if (pb->fragments[i]->row_id_sequence_case != LANCE__TABLE__DATA_FRAGMENT__ROW_ID_SEQUENCE__NOT_SET)
      stable = true;
  uint64_t *fids = NULL;
  uint32_t *roffs = NULL;
  bool *found = NULL;
  int rc = 0;
  bool by_id = kind == LANCEC_TAKE_ROW_IDS && stable;
  if (by_id) {
    fids = lc_malloc((n ? n : 1) * sizeof(*fids));
    roffs = lc_malloc((n ? n : 1) * sizeof(*roffs));
    found = lc_malloc((n ? n : 1) * sizeof(*found));
    rc = fids && roffs && found ? lc_rowids_resolve((lancec_dataset *)c->ds, req, n, fids, roffs, found, err)
                                : lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t k = 0; k < n && rc == 0; k++) {
    keys[k] = UINT64_MAX;
    size_t fi = SIZE_MAX;
    uint64_t fid = by_id ? fids[k] : req[k] >> 32;
    uint64_t off = by_id ? roffs[k] : req[k] & 0xffffffffu;
    if (by_id && !found[k]) continue;
    for (size_t i = 0; i < c->nfr; i++)
      if (pb->fragments[i]->id == fid) {
        fi = i;
        break;
      }
    if (fi == SIZE_MAX || off >= pb->fragments[fi]->physical_rows) continue;
    rc = load_del(c, fi, err);
    if (rc == 0 && !is_deleted(c, fi, off)) keys[k] = (uint64_t)fi << 32 | off;
  }
  lc_free(fids);
  lc_free(roffs);
  lc_free(found);
  return rc;
}

int lancec_dataset_take(const lancec_dataset *ds, const uint64_t *rows, size_t n, lancec_take_kind kind,
                        const lancec_scan_options *opts, struct ArrowArray *out, struct ArrowSchema *out_schema,
                        lancec_error *err) {
  if (!ds || !out || (!rows && n)) return lc_err(err, LANCEC_EINVAL, "lancec_dataset_take: NULL argument");
  if (kind != LANCEC_TAKE_OFFSETS && kind != LANCEC_TAKE_ROW_IDS && kind != LANCEC_TAKE_ROW_ADDRS)
    return lc_err(err, LANCEC_EINVAL, "lancec_dataset_take: unknown kind %d", (int)kind);
  memset(out, 0, sizeof(*out));
  if (out_schema) memset(out_schema, 0, sizeof(*out_schema));
  lancec_scan_options o = LANCEC_SCAN_OPTIONS_INIT;
  if (opts) {
    if (opts->version_ < 1 || opts->version_ > LANCEC_SCAN_OPTIONS_VERSION)
      return lc_err(err, LANCEC_EINVAL, "scan options: unknown struct version %d", opts->version_);
    o.columns = opts->columns;
    o.num_columns = opts->num_columns;
    o.num_threads = opts->num_threads;
    if (opts->version_ >= 2) {
      o.with_row_id = opts->with_row_id;
      o.with_row_addr = opts->with_row_addr;
      o.columns_none = opts->columns_none;
    }
  }
  if (o.num_threads <= 0) o.num_threads = 1;
  o.batch_size = 1 << 20;
  size_t nfr = ds->manifest->pb->n_fragments;
  take_ctx c = {ds, nfr, lc_calloc(nfr + 1, sizeof(uint32_t *)), lc_calloc(nfr + 1, sizeof(size_t)),
                lc_calloc(nfr + 1, sizeof(bool)), lc_calloc(nfr + 1, sizeof(uint32_t *)),
                lc_calloc(nfr + 1, sizeof(size_t))};
  uint64_t *keys = lc_malloc((n ? n : 1) * sizeof(uint64_t));
  take_ref *refs = lc_malloc((n ? n : 1) * sizeof(take_ref));
  int64_t *idx = lc_malloc((n ? n : 1) * sizeof(int64_t));
  lc_scan *st = NULL;
  struct ArrowArray *batches = NULL;
  size_t nb = 0, capb = 0;
  struct ArrowArray *cols = NULL;
  int rc = c.del && c.ndel && c.del_loaded && c.rows && c.nrows && keys && refs && idx
               ? 0 : lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (rc == 0) rc = resolve(&c, rows, n, kind, keys, err);
  /* distinct keys, in (fragment, row) order = the scan's output order */
  size_t nref = 0;
  for (size_t k = 0; rc == 0 && k < n; k++)
    if (keys[k] != UINT64_MAX) refs[nref++] = (take_ref){keys[k], k};
  if (rc == 0) qsort(refs, nref, sizeof(*refs), cmp_ref);
  size_t ndistinct = 0, nout = 0;
  for (size_t i = 0; rc == 0 && i < nref; i++) {
    if (i == 0 || refs[i].key != refs[i - 1].key) {
      size_t fi = (size_t)(refs[i].key >> 32);
      if (!c.rows[fi]) {
        size_t cnt = 0;
        for (size_t j = i; j < nref && (size_t)(refs[j].key >> 32) == fi; j++) cnt++;
        c.rows[fi] = lc_malloc(cnt * sizeof(uint32_t));
        if (!c.rows[fi]) {
          rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
          break;
        }
      }
      c.rows[fi][c.nrows[fi]++] = (uint32_t)(refs[i].key & 0xffffffffu);
      ndistinct++;
    }
    keys[refs[i].req] = ndistinct - 1; /* rank of the row in the scan output */
  }
  /* the output order: requests that named a row (keys[] now hold ranks), in request order */
  for (size_t k = 0; rc == 0 && k < n; k++)
    if (keys[k] != UINT64_MAX) idx[nout++] = (int64_t)keys[k];
  lc_scan_restrict rx = {&c, take_covers, take_rows, false};
  if (rc == 0) rc = lc_scan_open(&st, ds, &o, &rx, NULL, err);
  while (rc == 0) {
    if (nb == capb) {
      capb = capb ? capb * 2 : 8;
      struct ArrowArray *nbp = lc_realloc(batches, capb * sizeof(*nbp));
      if (!nbp) {
        rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
        break;
      }
      batches = nbp;
    }
    rc = lc_scan_next(st, &batches[nb], err);
    if (rc || !batches[nb].release) break;
    nb++;
  }
  lc_field *const *fields = NULL;
  size_t nf = st ? lc_scan_fields(st, &fields) : 0;
  if (rc == 0) {
    cols = lc_calloc(nf + 1, sizeof(*cols));
    if (!cols) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t k = 0; rc == 0 && k < nf; k++) {
    const struct ArrowArray **parts = lc_calloc(nb + 1, sizeof(*parts));
    struct ArrowArray all;
    memset(&all, 0, sizeof(all));
    if (!parts) {
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      break;
    }
    for (size_t b = 0; b < nb; b++) parts[b] = batches[b].children[k];
    if (nb == 0) rc = lc_array_make_nulls(fields[k], 0, &all, err);
    else rc = lc_array_concat(fields[k], parts, nb, &all, err);
    lc_free(parts);
    if (rc == 0) rc = lc_array_take(fields[k], &all, idx, (int64_t)nout, &cols[k], err);
    lc_array_release(&all);
  }
  if (rc == 0) {
    rc = lc_array_make_batch(cols, nf, (int64_t)nout, out, err);
    if (rc == 0 && out_schema) {
      lc_schema tmp;
      memset(&tmp, 0, sizeof(tmp));
      tmp.fields = (lc_field **)fields;
      tmp.n_fields = nf;
      rc = lc_schema_to_arrow(&tmp, out_schema, err);
      if (rc) lc_array_release(out);
    }
  } else {
    for (size_t k = 0; cols && k < nf; k++) lc_array_release(&cols[k]);
  }
  lc_free(cols);
  for (size_t b = 0; b < nb; b++) lc_array_release(&batches[b]);
  lc_free(batches);
  lc_scan_free(st);
  for (size_t i = 0; i < nfr; i++) {
    if (c.del) lc_free(c.del[i]);
    if (c.rows) lc_free(c.rows[i]);
  }
  lc_free(c.del);
  lc_free(c.ndel);
  lc_free(c.del_loaded);
  lc_free(c.rows);
  lc_free(c.nrows);
  lc_free(keys);
  lc_free(refs);
  lc_free(idx);
  return rc;
}
