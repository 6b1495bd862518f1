/* BTree scalar index (docs/indices.md, table-format.md §12.3).
 *
 * _indices/<uuid>/page_lookup.lance: one row per page: min, max (value type,
 *   nullable), null_count (uint32), page_idx (uint32); schema metadata
 *   batch_size (rows per page, default 4096), range_partitioned ("false").
 * _indices/<uuid>/page_data.lance: values (value type, nulls first, then
 *   ascending; float NaN last) and ids (uint64 row addresses), page k =
 *   rows [k * batch_size, (k + 1) * batch_size).
 *
 * A page is searched when the derived predicates of the query hold on its
 * min / max (or the bound is unknown: null, NaN); inside a page the query
 * itself is evaluated on every value, so the answer is exact for the rows
 * the index holds. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "index/index_internal.h"

#define DEFAULT_BATCH_SIZE 4096

typedef struct bt_lookup {
  char *data_path;
  lc_file *data; /* page_data.lance */
  lc_schema *data_schema;
  lc_file_colmap_storage cms;
  lc_file_colmap cm;
  const lc_field *values_f, *ids_f;
  lc_schema *lookup_schema;
  const lc_field *min_f; /* value type of the index */
  struct ArrowArray mins, maxs;
  uint32_t *null_counts, *page_idx;
  size_t n_pages;
  uint64_t batch_size, n_rows;
} bt_lookup;

typedef struct bt_page {
  struct ArrowArray values;
  struct ArrowArray ids;
} bt_page;

static void lookup_drop(void *p) {
  bt_lookup *l = p;
  if (!l) return;
  lc_array_release(&l->mins);
  lc_array_release(&l->maxs);
  lc_free(l->null_counts);
  lc_free(l->page_idx);
  lc_schema_free(l->lookup_schema);
  lc_file_colmap_free(&l->cms);
  lc_schema_free(l->data_schema);
  lc_file_free(l->data);
  lc_free(l->data_path);
  lc_free(l);
}

static void page_drop(void *p) {
  bt_page *pg = p;
  if (!pg) return;
  lc_array_release(&pg->values);
  lc_array_release(&pg->ids);
  lc_free(pg);
}

static const lc_field *field_named(const lc_schema *s, const char *name) {
  return lc_schema_find_name(s, name);
}

/* Read a whole top-level field of a standalone index file. */
static int read_all(lc_file *f, const lc_field *fld, const lc_file_colmap *cm, struct ArrowArray *out,
                    lancec_error *err) {
  lc_field_reader *r = NULL;
  LC_TRY(lc_field_reader_new(&r, f, fld, cm, err));
  int rc = lc_field_reader_read(r, 0, lc_file_num_rows(f), out, err);
  lc_field_reader_free(r);
  return rc;
}

static bool same_type(const lc_field *a, const lc_field *b) {
  if (a->type != b->type || a->width != b->width || a->precision != b->precision || a->scale != b->scale)
    return false;
  switch (a->type) {
    case LC_T_TIME32:
    case LC_T_TIME64:
    case LC_T_TIMESTAMP:
    case LC_T_DURATION:
      return a->unit == b->unit;
    default:
      return true;
  }
}

/* The value types lancec searches (flat; evaluable by src/expr). */
static bool value_type_ok(const lc_field *f) {
  switch (f->type) {
    case LC_T_BOOL:
    case LC_T_INT8:
    case LC_T_UINT8:
    case LC_T_INT16:
    case LC_T_UINT16:
    case LC_T_INT32:
    case LC_T_UINT32:
    case LC_T_INT64:
    case LC_T_UINT64:
    case LC_T_HALF:
    case LC_T_FLOAT:
    case LC_T_DOUBLE:
    case LC_T_STRING:
    case LC_T_LARGE_STRING:
    case LC_T_BINARY:
    case LC_T_LARGE_BINARY:
    case LC_T_FIXED_BINARY:
    case LC_T_DATE32:
    case LC_T_DATE64:
    case LC_T_TIME32:
    case LC_T_TIME64:
    case LC_T_TIMESTAMP:
    case LC_T_DURATION:
    case LC_T_DECIMAL128:
    case LC_T_DECIMAL256:
      return true;
    default:
      return false;
  }
}

static int u32_column(lc_file *f, const lc_schema *s, const lc_file_colmap *cm, const char *name,
                      const char *path, uint32_t **out, size_t n, lancec_error *err) {
  const lc_field *fld = field_named(s, name);
  if (!fld || fld->type != LC_T_UINT32)
    return lc_err(err, LANCEC_ECORRUPT, "%s: no uint32 column '%s'", path, name);
  struct ArrowArray a;
  LC_TRY(read_all(f, fld, cm, &a, err));
  if (a.length != (int64_t)n || a.null_count != 0 || !a.buffers[1]) {
    lc_array_release(&a);
    return lc_err(err, LANCEC_ECORRUPT, "%s: column '%s' has nulls or a wrong length", path, name);
  }
  *out = lc_malloc(n ? n * 4 : 4);
  if (!*out) {
    lc_array_release(&a);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  memcpy(*out, (const uint32_t *)a.buffers[1] + a.offset, n * 4);
  lc_array_release(&a);
  return 0;
}

static int load_lookup(bt_lookup *l, const lc_index_seg *seg, lancec_error *err) {
  lc_file *lf = NULL;
  char *lpath = lc_path_join(seg->dir, "page_lookup.lance");
  if (!lpath) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  int rc = lc_index_open_file(&lf, &l->lookup_schema, seg->io, seg->dir, "page_lookup.lance", err);
  if (rc) goto done;
  const lc_schema *s = l->lookup_schema;
  /* batch_size / range_partitioned */
  l->batch_size = DEFAULT_BATCH_SIZE;
  for (size_t i = 0; i < s->n_metadata; i++) {
    const lc_kv *kv = &s->metadata[i];
    if (!strcmp(kv->key, "batch_size")) {
      char *end = NULL;
      unsigned long long v = strtoull((const char *)kv->value, &end, 10);
      if (end == (const char *)kv->value || *end || v == 0 || v > (1ull << 31)) {
        rc = lc_err(err, LANCEC_ECORRUPT, "%s: bad batch_size '%s'", lpath, (const char *)kv->value);
        goto done;
      }
      l->batch_size = v;
    } else if (!strcmp(kv->key, "range_partitioned") && strcmp((const char *)kv->value, "false") != 0) {
      rc = lc_err(err, LANCEC_EUNSUPPORTED, "%s: range-partitioned BTree index (range_partitioned = %s)",
                  lpath, (const char *)kv->value);
      goto done;
    }
  }
  const lc_field *minf = field_named(s, "min"), *maxf = field_named(s, "max");
  if (!minf || !maxf || !same_type(minf, maxf)) {
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: expected columns min, max of one type", lpath);
    goto done;
  }
  if (!value_type_ok(minf)) {
    char b[128];
    rc = lc_err(err, LANCEC_EUNSUPPORTED, "%s: BTree over %s values", lpath,
                lc_field_type_string(minf, b, sizeof b));
    goto done;
  }
  l->min_f = minf;
  lc_file_colmap cm;
  lc_file_colmap_storage cms;
  rc = lc_file_colmap_from_schema(s, &cms, &cm, err);
  if (rc) goto done;
  uint64_t n = lc_file_num_rows(lf);
  if (n > (1u << 30)) {
    lc_file_colmap_free(&cms);
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: %" PRIu64 " pages", lpath, n);
    goto done;
  }
  l->n_pages = (size_t)n;
  rc = read_all(lf, minf, &cm, &l->mins, err);
  if (!rc) rc = read_all(lf, maxf, &cm, &l->maxs, err);
  if (!rc) rc = u32_column(lf, s, &cm, "null_count", lpath, &l->null_counts, l->n_pages, err);
  if (!rc) rc = u32_column(lf, s, &cm, "page_idx", lpath, &l->page_idx, l->n_pages, err);
  lc_file_colmap_free(&cms);
  if (rc) goto done;
  if (l->mins.length != (int64_t)n || l->maxs.length != (int64_t)n) {
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: min/max have %" PRId64 "/%" PRId64 " rows, file has %" PRIu64,
                lpath, l->mins.length, l->maxs.length, n);
    goto done;
  }
  /* page_data.lance */
  l->data_path = lc_path_join(seg->dir, "page_data.lance");
  if (!l->data_path) {
    rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    goto done;
  }
  rc = lc_index_open_file(&l->data, &l->data_schema, seg->io, seg->dir, "page_data.lance", err);
  if (rc) goto done;
  l->values_f = field_named(l->data_schema, "values");
  l->ids_f = field_named(l->data_schema, "ids");
  if (!l->values_f || !l->ids_f || l->ids_f->type != LC_T_UINT64 || !same_type(l->values_f, minf)) {
    rc = lc_err(err, LANCEC_ECORRUPT,
                "%s: expected columns values (the type of min in page_lookup.lance), ids (uint64)",
                l->data_path);
    goto done;
  }
  rc = lc_file_colmap_from_schema(l->data_schema, &l->cms, &l->cm, err);
  if (rc) goto done;
  l->n_rows = lc_file_num_rows(l->data);
  for (size_t k = 0; k < l->n_pages; k++) {
    uint64_t start = (uint64_t)l->page_idx[k] * l->batch_size;
    if (start >= l->n_rows) {
      rc = lc_err(err, LANCEC_ECORRUPT,
                  "%s: page %u starts at row %" PRIu64 ", page_data.lance has %" PRIu64 " rows", lpath,
                  l->page_idx[k], start, l->n_rows);
      goto done;
    }
  }
done:
  lc_file_free(lf);
  lc_free(lpath);
  return rc;
}

int lc_index_btree_load(lc_icache_obj **out, const lc_index_seg *seg, lc_index_cache *cache,
                        lancec_error *err) {
  *out = NULL;
  char *key = lc_sprintf("%s/btree", seg->uuid);
  if (!key) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  lc_icache_obj *o = lc_icache_get(cache, key);
  if (o) {
    lc_free(key);
    *out = o;
    return 0;
  }
  bt_lookup *l = lc_calloc(1, sizeof *l);
  if (!l) {
    lc_free(key);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  int rc = load_lookup(l, seg, err);
  if (rc) {
    lookup_drop(l);
    lc_free(key);
    return rc;
  }
  uint64_t bytes = sizeof *l + lc_index_array_bytes(l->min_f, &l->mins) +
                   lc_index_array_bytes(l->min_f, &l->maxs) + (uint64_t)l->n_pages * 8 + 4096;
  o = lc_icache_put(cache, key, l, bytes, lookup_drop);
  lc_free(key);
  if (!o) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  *out = o;
  return 0;
}

const lc_field *lc_index_btree_field(const lc_icache_obj *o) {
  return ((const bt_lookup *)o->p)->min_f;
}

/* ---- page selection ------------------------------------------------------------ */

static bool is_nan_at(const lc_field *f, const struct ArrowArray *a, int64_t i) {
  int64_t j = a->offset + i;
  switch (f->type) {
    case LC_T_DOUBLE:
      return isnan(((const double *)a->buffers[1])[j]);
    case LC_T_FLOAT:
      return isnan(((const float *)a->buffers[1])[j]);
    case LC_T_HALF: {
      uint16_t h = ((const uint16_t *)a->buffers[1])[j];
      return (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0;
    }
    default:
      return false;
  }
}

static bool valid_at(const struct ArrowArray *a, int64_t i) {
  if (a->null_count == 0 || !a->buffers[0]) return true;
  return lc_bit_get((const uint8_t *)a->buffers[0], a->offset + i);
}

/* unknown[k]: the bound of page k cannot be compared (null, NaN). */
static int eval_bound(const lc_expr *e, const bt_lookup *l, const lc_field *qf, const struct ArrowArray *arr,
                      uint8_t *out, lancec_error *err) {
  LC_TRY(lc_index_eval(e, qf, arr, out, err));
  for (size_t k = 0; k < l->n_pages; k++)
    if (!valid_at(arr, (int64_t)k) || is_nan_at(l->min_f, arr, (int64_t)k)) lc_bit_set(out, (int64_t)k);
  return 0;
}

static int select_pages(const bt_lookup *l, const lc_index_query *q, uint8_t *cand, lancec_error *err) {
  size_t nb = lc_bitmap_bytes((int64_t)l->n_pages);
  memset(cand, 0, nb);
  if (!l->n_pages) return 0;
  if (q->all_pages) {
    memset(cand, 0xFF, nb);
    return 0;
  }
  if (q->is_null || q->is_not_null) {
    for (size_t k = 0; k < l->n_pages; k++) {
      uint64_t start = (uint64_t)l->page_idx[k] * l->batch_size;
      uint64_t rows = l->n_rows - start < l->batch_size ? l->n_rows - start : l->batch_size;
      bool c = q->is_null ? l->null_counts[k] > 0 : l->null_counts[k] < rows;
      if (c) lc_bit_set(cand, (int64_t)k);
    }
    return 0;
  }
  uint8_t *a = lc_malloc(nb), *b = lc_malloc(nb);
  if (!a || !b) {
    lc_free(a);
    lc_free(b);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  int rc = 0;
  for (size_t p = 0; p < q->n_pairs && !rc; p++) {
    memset(a, 0xFF, nb);
    memset(b, 0xFF, nb);
    if (q->on_min[p]) rc = eval_bound(q->on_min[p], l, q->field, &l->mins, a, err);
    if (!rc && q->on_max[p]) rc = eval_bound(q->on_max[p], l, q->field, &l->maxs, b, err);
    for (size_t i = 0; i < nb && !rc; i++) cand[i] |= (uint8_t)(a[i] & b[i]);
  }
  lc_free(a);
  lc_free(b);
  return rc;
}

/* ---- pages ----------------------------------------------------------------------- */

static int load_page(lc_icache_obj **out, const bt_lookup *l, const lc_index_seg *seg, lc_index_cache *cache,
                     lc_field_reader **vr, lc_field_reader **ir, uint32_t page, lancec_error *err) {
  *out = NULL;
  char *key = lc_sprintf("%s/btree/%u", seg->uuid, page);
  if (!key) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  lc_icache_obj *o = lc_icache_get(cache, key);
  if (o) {
    lc_free(key);
    *out = o;
    return 0;
  }
  int rc = 0;
  bt_page *pg = lc_calloc(1, sizeof *pg);
  if (!pg) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (!rc && !*vr) rc = lc_field_reader_new(vr, l->data, l->values_f, &l->cm, err);
  if (!rc && !*ir) rc = lc_field_reader_new(ir, l->data, l->ids_f, &l->cm, err);
  uint64_t start = (uint64_t)page * l->batch_size;
  uint64_t count = l->n_rows - start < l->batch_size ? l->n_rows - start : l->batch_size;
  if (!rc) rc = lc_field_reader_read(*vr, start, count, &pg->values, err);
  if (!rc) rc = lc_field_reader_read(*ir, start, count, &pg->ids, err);
  if (!rc && (pg->values.length != (int64_t)count || pg->ids.length != (int64_t)count ||
              pg->ids.null_count != 0 || !pg->ids.buffers[1]))
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: page %u: values/ids have wrong lengths or null ids", l->data_path,
                page);
  if (rc) {
    page_drop(pg);
    lc_free(key);
    return rc;
  }
  uint64_t bytes = sizeof *pg + lc_index_array_bytes(l->values_f, &pg->values) + count * 8 + 64;
  o = lc_icache_put(cache, key, pg, bytes, page_drop);
  lc_free(key);
  if (!o) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  *out = o;
  return 0;
}

int lc_index_btree_search(lc_icache_obj *lookup, const lc_index_seg *seg, lc_index_cache *cache,
                          const lc_index_query *const *qs, size_t nq, lc_index_acc *acc, uint64_t *parts_read,
                          uint64_t *parts_total, lancec_error *err) {
  const bt_lookup *l = lookup->p;
  *parts_total += l->n_pages;
  size_t nb = lc_bitmap_bytes((int64_t)l->n_pages) + 1, kb = lc_bitmap_bytes((int64_t)l->batch_size) + 1;
  uint8_t *cand = lc_malloc(nb), *cand2 = lc_malloc(nb);
  uint8_t *keep = lc_malloc(kb), *keep2 = lc_malloc(kb);
  uint64_t *hits = lc_malloc((size_t)l->batch_size * sizeof *hits);
  if (!cand || !cand2 || !keep || !keep2 || !hits || nq == 0) {
    lc_free(cand);
    lc_free(cand2);
    lc_free(keep);
    lc_free(keep2);
    lc_free(hits);
    return nq ? lc_err(err, LANCEC_ENOMEM, "out of memory") : lc_err(err, LANCEC_EINTERNAL, "btree search without a query");
  }
  const lc_index_query *q = qs[0];
  int rc = select_pages(l, q, cand, err);
  for (size_t j = 1; j < nq && !rc; j++) { /* every query must allow the page */
    rc = select_pages(l, qs[j], cand2, err);
    for (size_t i = 0; i + 1 < nb && !rc; i++) cand[i] &= cand2[i];
  }
  lc_field_reader *vr = NULL, *ir = NULL;
  for (size_t k = 0; k < l->n_pages && !rc; k++) {
    if (!lc_bit_get(cand, (int64_t)k)) continue;
    (*parts_read)++;
    lc_icache_obj *po = NULL;
    rc = load_page(&po, l, seg, cache, &vr, &ir, l->page_idx[k], err);
    if (rc) break;
    const bt_page *pg = po->p;
    rc = lc_index_eval(q->bound, q->field, &pg->values, keep, err);
    for (size_t j = 1; j < nq && !rc; j++) {
      rc = lc_index_eval(qs[j]->bound, qs[j]->field, &pg->values, keep2, err);
      for (size_t i = 0; i < lc_bitmap_bytes(pg->values.length) && !rc; i++) keep[i] &= keep2[i];
    }
    const uint64_t *ids = (const uint64_t *)pg->ids.buffers[1] + pg->ids.offset;
    size_t nh = 0;
    for (int64_t i = 0; i < pg->values.length && !rc; i++)
      if (lc_bit_get(keep, i)) hits[nh++] = ids[i];
    if (!rc && nh) rc = lc_index_acc_add_ids(acc, hits, nh, l->data_path, err);
    lc_icache_release(po);
  }
  lc_field_reader_free(vr);
  lc_field_reader_free(ir);
  lc_free(cand);
  lc_free(cand2);
  lc_free(keep);
  lc_free(keep2);
  lc_free(hits);
  return rc;
}
