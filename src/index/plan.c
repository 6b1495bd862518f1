/* Scalar-index planning: which top-level AND conjuncts of a filter an index
 * answers, fragment coverage, combining per-conjunct answers (index.h,
 * docs/indices.md). */
#include <inttypes.h>
#include <stdio.h>

#include "index/index_internal.h"

#define PRIVATE_CACHE_BYTES (64u << 20)
#define MAX_IN_PAIRS 256

/* ---- small helpers shared by btree.c / bitmap.c ---------------------------------- */

int lc_index_open_file(lc_file **out, lc_schema **schema, lc_io *io, const char *dir, const char *name,
                       lancec_error *err) {
  *out = NULL;
  *schema = NULL;
  char *path = lc_path_join(dir, name);
  if (!path) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  int rc = lc_file_open(out, io, path, 0, err);
  if (!rc) rc = lc_file_schema(*out, schema, err);
  if (rc) {
    if (!strstr(err ? err->message : "", path)) lc_err_prefix(err, "scalar index file %s: ", path);
    lc_file_free(*out);
    *out = NULL;
  }
  lc_free(path);
  return rc;
}

int lc_index_eval(const lc_expr *e, const lc_field *field, const struct ArrowArray *values, uint8_t *keep,
                  lancec_error *err) {
  if (values->length == 0) return 0;
  const lc_field *fields[1] = {field};
  struct ArrowArray *children[1] = {(struct ArrowArray *)values};
  const void *bufs[1] = {NULL};
  struct ArrowArray batch;
  memset(&batch, 0, sizeof batch);
  batch.length = values->length;
  batch.n_buffers = 1;
  batch.buffers = bufs;
  batch.n_children = 1;
  batch.children = children;
  return lc_expr_eval(e, fields, 1, &batch, keep, err);
}

ptrdiff_t lc_index_acc_slot(const lc_index_acc *acc, uint64_t frag) {
  size_t lo = 0, hi = acc->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (acc->frag_ids[mid] < frag)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < acc->n && acc->frag_ids[lo] == frag ? (ptrdiff_t)lo : -1;
}

int lc_index_acc_add(lc_index_acc *acc, uint64_t frag, uint64_t off, const char *path, lancec_error *err) {
  ptrdiff_t s = lc_index_acc_slot(acc, frag);
  if (s < 0 || !acc->covers[s]) return 0;
  if (off >= acc->frag_rows[s])
    return lc_err(err, LANCEC_ECORRUPT,
                  "%s: row address %" PRIu64 ":%" PRIu64 " beyond the %" PRIu64 " rows of fragment %" PRIu64,
                  path, frag, off, acc->frag_rows[s], frag);
  if (!acc->rows[s] && !(acc->rows[s] = roaring_bitmap_create()))
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  roaring_bitmap_add(acc->rows[s], (uint32_t)off);
  return 0;
}

static const lc_rowid_run *rid_find(const lc_rowid_map *m, uint64_t id) {
  size_t lo = 0, hi = m->n; /* first run with start > id */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->runs[mid].start <= id)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return NULL;
  const lc_rowid_run *r = &m->runs[lo - 1];
  return id - r->start < r->len ? r : NULL;
}

int lc_index_acc_add_id(lc_index_acc *acc, uint64_t id, const char *path, lancec_error *err) {
  if (!acc->rid) return lc_index_acc_add(acc, id >> 32, id & 0xFFFFFFFFu, path, err);
  if (acc->rid->overlap) { /* an id on several live rows (not expected): add them all */
    for (size_t i = 0; i < acc->rid->n; i++) {
      const lc_rowid_run *r = &acc->rid->runs[i];
      if (r->start > id) break;
      if (id - r->start >= r->len || !acc->covers[r->slot]) continue;
      if (!acc->rows[r->slot] && !(acc->rows[r->slot] = roaring_bitmap_create()))
        return lc_err(err, LANCEC_ENOMEM, "out of memory");
      roaring_bitmap_add(acc->rows[r->slot], (uint32_t)(r->off + (id - r->start)));
    }
    return 0;
  }
  const lc_rowid_run *r = rid_find(acc->rid, id);
  if (!r || !acc->covers[r->slot]) return 0;
  size_t s = r->slot;
  if (!acc->rows[s] && !(acc->rows[s] = roaring_bitmap_create()))
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  roaring_bitmap_add(acc->rows[s], (uint32_t)(r->off + (id - r->start)));
  return 0;
}

/* LSD radix sort by bytes, skipping bytes that are equal in every key
 * (usually most: one fragment id, offsets below 2^24). tmp: n slots. */
static void radix_sort_u64(uint64_t *v, uint64_t *tmp, size_t n) {
  uint64_t *src = v, *dst = tmp;
  for (int shift = 0; shift < 64; shift += 8) {
    size_t cnt[256] = {0};
    for (size_t i = 0; i < n; i++) cnt[(src[i] >> shift) & 0xFF]++;
    if (cnt[(src[0] >> shift) & 0xFF] == n) continue;
    size_t sum = 0;
    for (int b = 0; b < 256; b++) {
      size_t c = cnt[b];
      cnt[b] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++) dst[cnt[(src[i] >> shift) & 0xFF]++] = src[i];
    uint64_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != v) memcpy(v, src, n * sizeof *v);
}

int lc_index_acc_add_ids(lc_index_acc *acc, uint64_t *ids, size_t n, const char *path, lancec_error *err) {
  if (acc->rid) {
    for (size_t i = 0; i < n; i++) LC_TRY(lc_index_acc_add_id(acc, ids[i], path, err));
    return 0;
  }
  if (n > 1) {
    uint64_t *tmp = lc_malloc(n * sizeof *tmp);
    if (!tmp) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    radix_sort_u64(ids, tmp, n);
    lc_free(tmp);
  }
  uint32_t buf[512];
  for (size_t i = 0; i < n;) {
    uint64_t frag = ids[i] >> 32;
    size_t e = i + 1;
    while (e < n && ids[e] >> 32 == frag) e++;
    ptrdiff_t s = lc_index_acc_slot(acc, frag);
    if (s >= 0 && acc->covers[s]) {
      uint64_t last = ids[e - 1] & 0xFFFFFFFFu;
      if (last >= acc->frag_rows[s])
        return lc_err(err, LANCEC_ECORRUPT,
                      "%s: row address %" PRIu64 ":%" PRIu64 " beyond the %" PRIu64
                      " rows of fragment %" PRIu64,
                      path, frag, last, acc->frag_rows[s], frag);
      if (!acc->rows[s] && !(acc->rows[s] = roaring_bitmap_create()))
        return lc_err(err, LANCEC_ENOMEM, "out of memory");
      for (size_t j = i; j < e;) {
        size_t k = 0;
        for (; j < e && k < sizeof buf / sizeof buf[0]; j++) buf[k++] = (uint32_t)ids[j];
        roaring_bitmap_add_many(acc->rows[s], k, buf);
      }
    }
    i = e;
  }
  return 0;
}

int lc_index_acc_add_high(lc_index_acc *acc, uint32_t hi, lancec_error *err) {
  if (!acc->rid) {
    ptrdiff_t s = lc_index_acc_slot(acc, hi);
    if (s < 0 || !acc->covers[s]) return 0;
    if (!acc->rows[s] && !(acc->rows[s] = roaring_bitmap_create()))
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    if (acc->frag_rows[s]) roaring_bitmap_add_range(acc->rows[s], 0, acc->frag_rows[s]);
    return 0;
  }
  uint64_t lo_id = (uint64_t)hi << 32, hi_id = lo_id + ((uint64_t)1 << 32); /* [lo_id, hi_id) */
  for (size_t i = 0; i < acc->rid->n; i++) {
    const lc_rowid_run *r = &acc->rid->runs[i];
    if (r->start >= hi_id || r->start + r->len <= lo_id || !acc->covers[r->slot]) continue;
    uint64_t a = r->start > lo_id ? r->start : lo_id,
             b = r->start + r->len < hi_id ? r->start + r->len : hi_id;
    size_t s = r->slot;
    if (!acc->rows[s] && !(acc->rows[s] = roaring_bitmap_create()))
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    roaring_bitmap_add_range(acc->rows[s], r->off + (a - r->start), r->off + (b - r->start));
  }
  return 0;
}

/* ---- conjunct shapes ---------------------------------------------------------------- */

static void flatten_and(const lc_expr *e, const lc_expr ***v, size_t *n, size_t *cap, bool *oom) {
  if (*oom || !e) return;
  if (e->kind == LC_EXPR_BINARY && e->op == LC_OP_AND && e->n_children == 2) {
    flatten_and(e->children[0], v, n, cap, oom);
    flatten_and(e->children[1], v, n, cap, oom);
    return;
  }
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    const lc_expr **nv = lc_realloc((void *)*v, nc * sizeof *nv);
    if (!nv) {
      *oom = true;
      return;
    }
    *v = nv;
    *cap = nc;
  }
  (*v)[(*n)++] = e;
}

/* The one top-level column (not _rowid/_rowaddr, not a struct member) the
 * conjunct reads, or NULL (none, several, anything else). */
static bool column_walk(const lc_expr *e, const char **name, int depth) {
  if (!e || depth > 200) return false;
  if (e->kind == LC_EXPR__REF) return false;
  if (e->kind == LC_EXPR_COLUMN) {
    if (e->path_len != 1 || e->special || !e->path || !e->path[0]) return false;
    if (*name && strcmp(*name, e->path[0])) return false;
    *name = e->path[0];
    return true;
  }
  for (size_t i = 0; i < e->n_children; i++)
    if (!column_walk(e->children[i], name, depth + 1)) return false;
  return true;
}

static const char *single_column(const lc_expr *e) {
  const char *name = NULL;
  return column_walk(e, &name, 0) ? name : NULL;
}

static bool has_column(const lc_expr *e, int depth) {
  if (!e || depth > 200) return true;
  if (e->kind == LC_EXPR_COLUMN || e->kind == LC_EXPR__REF) return true;
  for (size_t i = 0; i < e->n_children; i++)
    if (has_column(e->children[i], depth + 1)) return true;
  return false;
}

/* Numeric and temporal types: implicit casts between them (widening to
 * double / decimal / a finer time unit) preserve order. */
static bool monotone_class(lc_type_id t) {
  switch (t) {
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
    case LC_T_DECIMAL128:
    case LC_T_DECIMAL256:
    case LC_T_DATE32:
    case LC_T_DATE64:
    case LC_T_TIME32:
    case LC_T_TIME64:
    case LC_T_TIMESTAMP:
    case LC_T_DURATION:
      return true;
    default:
      return false;
  }
}

/* The column under implicit, order-preserving casts (numeric / temporal
 * widening inserted by binding), or NULL. */
static const lc_expr *plain_column(const lc_expr *e) {
  while (e && e->kind == LC_EXPR_CAST) {
    if (!e->implicit || e->n_children != 1 || !e->children[0]) return NULL;
    if (!monotone_class(e->children[0]->type.id) || !monotone_class(e->cast_to.id)) return NULL;
    e = e->children[0];
  }
  if (!e || e->kind != LC_EXPR_COLUMN || e->path_len != 1 || e->special) return NULL;
  return e;
}

enum { SH_CMP = 1, SH_BETWEEN, SH_IN, SH_IS_NULL, SH_NOT_NULL };

typedef struct shape {
  int kind;
  lc_expr_op op;          /* SH_CMP: column op other */
  const lc_expr *col;     /* the column node */
  const lc_expr *other;   /* SH_CMP */
  const lc_expr *lo, *hi; /* SH_BETWEEN */
  lc_expr *const *items;  /* SH_IN */
  size_t n_items;
} shape;

static lc_expr_op flip(lc_expr_op op) {
  switch (op) {
    case LC_OP_LT:
      return LC_OP_GT;
    case LC_OP_LE:
      return LC_OP_GE;
    case LC_OP_GT:
      return LC_OP_LT;
    case LC_OP_GE:
      return LC_OP_LE;
    default:
      return op;
  }
}

/* Conjunct shapes a BTree prunes pages for. */
static bool btree_shape(const lc_expr *e, shape *s) {
  memset(s, 0, sizeof *s);
  if (e->kind == LC_EXPR_BINARY && lc_expr_op_is_cmp(e->op) && e->op != LC_OP_NE && e->n_children == 2) {
    const lc_expr *l = e->children[0], *r = e->children[1];
    if ((s->col = plain_column(l)) && !has_column(r, 0)) {
      s->op = e->op;
      s->other = r;
    } else if ((s->col = plain_column(r)) && !has_column(l, 0)) {
      s->op = flip(e->op);
      s->other = l;
    } else {
      return false;
    }
    s->kind = SH_CMP;
    return true;
  }
  if (e->kind == LC_EXPR_BETWEEN && !e->negated && e->n_children == 3) {
    if (!(s->col = plain_column(e->children[0])) || has_column(e->children[1], 0) ||
        has_column(e->children[2], 0))
      return false;
    s->kind = SH_BETWEEN;
    s->lo = e->children[1];
    s->hi = e->children[2];
    return true;
  }
  if (e->kind == LC_EXPR_IN_LIST && !e->negated && e->n_children >= 2) {
    if (!(s->col = plain_column(e->children[0]))) return false;
    for (size_t i = 1; i < e->n_children; i++)
      if (has_column(e->children[i], 0)) return false;
    s->kind = SH_IN;
    s->items = e->children + 1;
    s->n_items = e->n_children - 1;
    return true;
  }
  if (e->kind == LC_EXPR_IS && e->n_children == 1 &&
      (e->is_kind == LC_IS_NULL || e->is_kind == LC_IS_NOT_NULL)) {
    if (!(s->col = plain_column(e->children[0]))) return false;
    s->kind = e->is_kind == LC_IS_NULL ? SH_IS_NULL : SH_NOT_NULL;
    return true;
  }
  return false;
}

/* ---- queries ------------------------------------------------------------------------ */

static void query_clear(lc_index_query *q) {
  lc_expr_free((lc_expr *)q->bound);
  for (size_t i = 0; i < q->n_pairs; i++) {
    if (q->on_min) lc_expr_free(q->on_min[i]);
    if (q->on_max) lc_expr_free(q->on_max[i]);
  }
  lc_free(q->on_min);
  lc_free(q->on_max);
  lc_schema_free(q->schema);
  memset(q, 0, sizeof *q);
}

/* A bound copy of `op(col, x)` (x cloned), or NULL when it does not bind
 * (then the side is left unconstrained). */
static int derived(lc_expr **out, lc_expr_op op, const lc_expr *col, const lc_expr *x, lc_schema *schema,
                   lancec_error *err) {
  *out = NULL;
  lc_expr *e = lc_expr_binary(op, lc_expr_clone(col), lc_expr_clone(x));
  if (!e) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  lancec_error e2 = {0};
  if (lc_expr_bind(e, schema, &e2) != 0) {
    lc_expr_free(e);
    if (e2.code == LANCEC_ENOMEM) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    return 0;
  }
  *out = e;
  return 0;
}

/* Bind the conjunct to {column: value field of the index}; with a BTree,
 * derive the page pruning predicates. 1 = the conjunct does not bind to
 * the index's value type (skip it), 0 = ready, < 0 = error. */
static int query_build(lc_index_query *q, const lc_expr *conj, const char *column, const lc_field *vf,
                       bool btree, lancec_error *err) {
  memset(q, 0, sizeof *q);
  q->schema = lc_calloc(1, sizeof *q->schema);
  lc_field *f = lc_field_clone(vf);
  char *name = lc_strdup(column);
  if (q->schema) q->schema->fields = lc_calloc(1, sizeof(lc_field *));
  if (!q->schema || !q->schema->fields || !f || !name) {
    lc_field_free(f);
    lc_free(name);
    query_clear(q);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  lc_free(f->name);
  f->name = name;
  q->schema->fields[0] = f;
  q->schema->n_fields = 1;
  q->field = f;
  lc_expr *b = lc_expr_clone(conj);
  if (!b) {
    query_clear(q);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  lancec_error e2 = {0};
  if (lc_expr_bind(b, q->schema, &e2) != 0) {
    lc_expr_free(b);
    query_clear(q);
    if (e2.code == LANCEC_ENOMEM) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    return 1;
  }
  q->bound = b;
  if (!btree) return 0;
  shape s;
  if (!btree_shape(conj, &s)) {
    query_clear(q);
    return 1;
  }
  if (s.kind == SH_IS_NULL || s.kind == SH_NOT_NULL) {
    q->is_null = s.kind == SH_IS_NULL;
    q->is_not_null = s.kind == SH_NOT_NULL;
    return 0;
  }
  size_t np = s.kind == SH_IN ? s.n_items : 1;
  if (np > MAX_IN_PAIRS) {
    q->all_pages = true;
    return 0;
  }
  q->on_min = lc_calloc(np, sizeof(lc_expr *));
  q->on_max = lc_calloc(np, sizeof(lc_expr *));
  if (!q->on_min || !q->on_max) {
    query_clear(q);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  q->n_pairs = np;
  int rc = 0;
  switch (s.kind) {
    case SH_CMP:
      if (s.op == LC_OP_EQ) {
        rc = derived(&q->on_min[0], LC_OP_LE, s.col, s.other, q->schema, err);
        if (!rc) rc = derived(&q->on_max[0], LC_OP_GE, s.col, s.other, q->schema, err);
      } else if (s.op == LC_OP_LT || s.op == LC_OP_LE) {
        rc = derived(&q->on_min[0], s.op, s.col, s.other, q->schema, err);
      } else {
        rc = derived(&q->on_max[0], s.op, s.col, s.other, q->schema, err);
      }
      break;
    case SH_BETWEEN:
      rc = derived(&q->on_min[0], LC_OP_LE, s.col, s.hi, q->schema, err);
      if (!rc) rc = derived(&q->on_max[0], LC_OP_GE, s.col, s.lo, q->schema, err);
      break;
    case SH_IN:
      for (size_t i = 0; i < np && !rc; i++) {
        rc = derived(&q->on_min[i], LC_OP_LE, s.col, s.items[i], q->schema, err);
        if (!rc) rc = derived(&q->on_max[i], LC_OP_GE, s.col, s.items[i], q->schema, err);
      }
      break;
    default:
      break;
  }
  if (rc) query_clear(q);
  return rc;
}

/* ---- manifest side ------------------------------------------------------------------- */

typedef struct frag_univ {
  uint64_t *ids;  /* every fragment of the version, ascending */
  uint64_t *rows; /* physical rows */
  size_t n;
} frag_univ;

static int cmp_u64_pair(const void *a, const void *b) {
  uint64_t x = ((const uint64_t *)a)[0], y = ((const uint64_t *)b)[0];
  return x < y ? -1 : x > y;
}

static int univ_build(frag_univ *u, const lc_manifest *m, lancec_error *err) {
  memset(u, 0, sizeof *u);
  size_t n = m->pb->n_fragments;
  uint64_t *pairs = lc_malloc((n ? n : 1) * 16);
  u->ids = lc_malloc((n ? n : 1) * 8);
  u->rows = lc_malloc((n ? n : 1) * 8);
  if (!pairs || !u->ids || !u->rows) {
    lc_free(pairs);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    pairs[2 * i] = m->pb->fragments[i]->id;
    pairs[2 * i + 1] = m->pb->fragments[i]->physical_rows;
    if (pairs[2 * i + 1] > UINT32_MAX) { /* offsets are 32-bit */
      uint64_t id = pairs[2 * i], rows = pairs[2 * i + 1];
      lc_free(pairs);
      return lc_err(err, LANCEC_ECORRUPT, "manifest %s: fragment %" PRIu64 " has %" PRIu64 " physical rows",
                    m->path ? m->path : "", id, rows);
    }
  }
  qsort(pairs, n, 16, cmp_u64_pair);
  for (size_t i = 0; i < n; i++) {
    u->ids[i] = pairs[2 * i];
    u->rows[i] = pairs[2 * i + 1];
  }
  u->n = n;
  lc_free(pairs);
  return 0;
}

static void univ_free(frag_univ *u) {
  lc_free(u->ids);
  lc_free(u->rows);
}

static void rid_drop(void *p) {
  lc_rowid_map *m = p;
  if (!m) return;
  lc_free(m->runs);
  lc_free(m);
}

static int cmp_run(const void *a, const void *b) {
  uint64_t x = ((const lc_rowid_run *)a)->start, y = ((const lc_rowid_run *)b)->start;
  return x < y ? -1 : x > y;
}

static int rid_append(lc_rowid_map *m, size_t *cap, uint64_t start, uint64_t len, size_t slot, uint64_t off,
                      lancec_error *err) {
  if (m->n && m->runs[m->n - 1].slot == slot && m->runs[m->n - 1].start + m->runs[m->n - 1].len == start &&
      m->runs[m->n - 1].off + m->runs[m->n - 1].len == off) {
    m->runs[m->n - 1].len += len;
    return 0;
  }
  if (m->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    lc_rowid_run *nr = lc_realloc(m->runs, nc * sizeof *nr);
    if (!nr) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    m->runs = nr;
    *cap = nc;
  }
  m->runs[m->n++] = (lc_rowid_run){start, len, slot, off};
  return 0;
}

/* The stable row id -> address map of the version (cached per dataset
 * root and version). */
static int rid_load(lc_icache_obj **out, lancec_dataset *ds, const frag_univ *u, lc_index_cache *cache,
                    lancec_error *err) {
  *out = NULL;
  char *key = lc_sprintf("rowids:%s@%" PRIu64, ds->root, ds->manifest->version);
  if (!key) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  lc_icache_obj *o = lc_icache_get(cache, key);
  if (o) {
    lc_free(key);
    *out = o;
    return 0;
  }
  lc_rowid_map *m = lc_calloc(1, sizeof *m);
  size_t cap = 0;
  int rc = m ? 0 : lc_err(err, LANCEC_ENOMEM, "out of memory");
  const lc_manifest *man = ds->manifest;
  lc_index_acc a = {u->ids, u->rows, u->n, NULL, NULL, NULL, 0};
  for (size_t i = 0; i < man->pb->n_fragments && !rc; i++) {
    const Lance__Table__DataFragment *f = man->pb->fragments[i];
    ptrdiff_t slot = lc_index_acc_slot(&a, f->id);
    if (slot < 0) continue;
    /* live rows only: a row moved by an update keeps its id in its new
     * fragment and leaves a deleted copy behind */
    uint32_t *del = NULL;
    size_t ndel = 0, d = 0;
    uint64_t *ids = NULL;
    if (f->deletion_file) rc = lc_deletion_read(ds->io, ds->root, man, f, &del, &ndel, err);
    if (!rc) rc = lc_fragment_row_ids(ds, f, &ids, err);
    for (uint64_t r = 0; r < f->physical_rows && !rc;) {
      while (d < ndel && del[d] < r) d++;
      if (d < ndel && del[d] == r) {
        r++;
        continue;
      }
      uint64_t e = r + 1; /* run of live rows with consecutive ids */
      while (e < f->physical_rows && !(d < ndel && del[d] == e) && (!ids || ids[e] == ids[e - 1] + 1)) e++;
      rc = rid_append(m, &cap, ids ? ids[r] : (f->id << 32 | r), e - r, (size_t)slot, r, err);
      r = e;
    }
    lc_free(ids);
    lc_free(del);
  }
  if (!rc) {
    qsort(m->runs, m->n, sizeof *m->runs, cmp_run);
    for (size_t i = 1; i < m->n; i++)
      if (m->runs[i].start < m->runs[i - 1].start + m->runs[i - 1].len) m->overlap = true;
  }
  if (rc) {
    rid_drop(m);
    lc_free(key);
    return rc;
  }
  o = lc_icache_put(cache, key, m, sizeof *m + m->n * sizeof *m->runs, rid_drop);
  lc_free(key);
  if (!o) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  *out = o;
  return 0;
}

static bool uses_stable_row_ids(const lc_manifest *m) {
  if (m->pb->reader_feature_flags & LC_FLAG_STABLE_ROW_IDS) return true;
  for (size_t i = 0; i < m->pb->n_fragments; i++)
    if (m->pb->fragments[i]->row_id_sequence_case != LANCE__TABLE__DATA_FRAGMENT__ROW_ID_SEQUENCE__NOT_SET)
      return true;
  return false;
}

static char *uuid_text(const Lance__Table__IndexMetadata *im) {
  if (!im->uuid || !im->uuid->has_uuid || im->uuid->uuid.len != 16) return NULL;
  const uint8_t *u = im->uuid->uuid.data;
  return lc_sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
                    u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* <root>/_indices/<uuid>, or under the index's base path (table-format.md §1.9). */
static char *index_dir(const lancec_dataset *ds, const Lance__Table__IndexMetadata *im, const char *uuid) {
  if (im->has_base_id) {
    const Lance__Table__BasePath *bp = lc_manifest_base_path(ds->manifest, im->base_id);
    if (!bp || !bp->path) return NULL;
    const char *base = lc_base_path_local(bp->path);
    if (!bp->is_dataset_root) return lc_path_join(base, uuid);
    char *d = lc_path_join(base, "_indices");
    char *p = d ? lc_path_join(d, uuid) : NULL;
    lc_free(d);
    return p;
  }
  char *d = lc_path_join(ds->root, "_indices");
  char *p = d ? lc_path_join(d, uuid) : NULL;
  lc_free(d);
  return p;
}

/* Fragments of the version the segment covers (its fragment_bitmap). */
static int segment_covers(const lc_manifest *m, const Lance__Table__IndexMetadata *im, const frag_univ *u,
                          bool *covers, bool *any, lancec_error *err) {
  memset(covers, 0, u->n * sizeof *covers);
  *any = false;
  uint32_t *ids = NULL;
  size_t n = 0;
  uint64_t limit = (uint64_t)m->pb->max_fragment_id + 1;
  if (limit < m->pb->n_fragments) limit = m->pb->n_fragments;
  if (limit < (1u << 20)) limit = 1u << 20;
  char name[160];
  snprintf(name, sizeof name, "manifest %s: fragment_bitmap of index '%s'", m->path ? m->path : "",
           im->name ? im->name : "");
  LC_TRY(lc_deletion_parse_bitmap_limit(im->fragment_bitmap.data, im->fragment_bitmap.len, name, limit, &ids,
                                        &n, err));
  lc_index_acc a = {u->ids, u->rows, u->n, NULL, NULL, NULL, 0};
  for (size_t i = 0; i < n; i++) {
    ptrdiff_t s = lc_index_acc_slot(&a, ids[i]);
    if (s >= 0) {
      covers[s] = true;
      *any = true;
    }
  }
  lc_free(ids);
  return 0;
}

/* ---- one conjunct ---------------------------------------------------------------------- */

typedef struct conj_plan {
  const lc_expr *e;
  const char *column;
  const char *index_name;
  bool bitmap;
  size_t *segs; /* IndexMetadata positions */
  size_t n_segs;
  bool *covers; /* per universe slot: some segment covers it */
  roaring_bitmap_t **rows;
  lc_index_use use;
  bool used;
  /* BTree: further conjuncts on the same column searched together with this
   * one (`x >= a AND x < b` reads only the pages of the range) */
  struct conj_plan **group;
  size_t n_group;
  bool grouped; /* searched as part of another conjunct's group */
} conj_plan;

static void conj_free(conj_plan *c, size_t nslots) {
  lc_free(c->group);
  lc_free(c->segs);
  lc_free(c->covers);
  if (c->rows)
    for (size_t i = 0; i < nslots; i++)
      if (c->rows[i]) roaring_bitmap_free(c->rows[i]);
  lc_free(c->rows);
  lc_free(c->use.index_name);
  lc_free(c->use.column);
  lc_free(c->use.conjunct);
}

static bool index_usable(const Lance__Table__IndexMetadata *im, int32_t field_id, bool *is_bitmap) {
  if (im->n_fields != 1 || im->fields[0] != field_id || !im->name) return false;
  const char *t = lc_index_type_name(im);
  if (strcmp(t, "BTREE") && strcmp(t, "BITMAP")) return false;
  if (im->has_index_version && im->index_version != 0) return false; /* a layout newer than lancec knows */
  if (!im->has_fragment_bitmap) return false;
  if (!im->uuid || !im->uuid->has_uuid || im->uuid->uuid.len != 16) return false;
  *is_bitmap = !strcmp(t, "BITMAP");
  return true;
}

/* Choose the index for conjunct c (Bitmap first: exact and cheap; a BTree
 * only for the shapes it prunes). false = none. */
static bool choose_index(conj_plan *c, const lc_manifest *m, const lc_field *f) {
  const Lance__Table__IndexSection *sec = m->indices;
  shape s;
  bool btree_ok = btree_shape(c->e, &s);
  const char *pick = NULL;
  bool pick_bitmap = false;
  for (size_t i = 0; i < sec->n_indices; i++) {
    bool bm = false;
    if (!index_usable(sec->indices[i], f->id, &bm)) continue;
    if (!bm && !btree_ok) continue;
    if (!pick || (bm && !pick_bitmap)) {
      pick = sec->indices[i]->name;
      pick_bitmap = bm;
    }
  }
  if (!pick) return false;
  c->index_name = pick;
  c->bitmap = pick_bitmap;
  return true;
}

static int conj_collect_segments(conj_plan *c, const lc_manifest *m, const lc_field *f, const frag_univ *u,
                                 bool *tmp, lancec_error *err) {
  const Lance__Table__IndexSection *sec = m->indices;
  c->segs = lc_calloc(sec->n_indices, sizeof *c->segs);
  c->covers = lc_calloc(u->n ? u->n : 1, sizeof *c->covers);
  c->rows = lc_calloc(u->n ? u->n : 1, sizeof *c->rows);
  if (!c->segs || !c->covers || !c->rows) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t i = 0; i < sec->n_indices; i++) {
    const Lance__Table__IndexMetadata *im = sec->indices[i];
    bool bm = false;
    if (!index_usable(im, f->id, &bm) || bm != c->bitmap || strcmp(im->name, c->index_name)) continue;
    bool any = false;
    LC_TRY(segment_covers(m, im, u, tmp, &any, err));
    if (!any) continue;
    c->segs[c->n_segs++] = i;
    for (size_t k = 0; k < u->n; k++)
      if (tmp[k]) {
        if (!c->covers[k]) c->use.n_fragments++;
        c->covers[k] = true;
      }
  }
  return 0;
}

/* Search every segment of the conjunct's index. 1 = skipped (unsupported
 * layout / type), 0 = done. */
static int conj_search(conj_plan *c, lancec_dataset *ds, const frag_univ *u, const lc_rowid_map *rid,
                       bool *seg_covers, lc_index_cache *cache, lancec_error *err) {
  const lc_manifest *m = ds->manifest;
  lc_index_query q;
  memset(&q, 0, sizeof q);
  bool have_q = false;
  int rc = 0;
  /* the group's queries (BTree): built with the first segment's value type */
  lc_index_query *gq = c->n_group ? lc_calloc(c->n_group, sizeof *gq) : NULL;
  const lc_index_query **qs = lc_calloc(c->n_group + 1, sizeof *qs);
  size_t nq = 0;
  if ((c->n_group && !gq) || !qs) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t si = 0; si < c->n_segs && !rc; si++) {
    const Lance__Table__IndexMetadata *im = m->indices->indices[c->segs[si]];
    char *uuid = uuid_text(im);
    char *dir = uuid ? index_dir(ds, im, uuid) : NULL;
    if (!uuid || !dir) {
      lc_free(uuid);
      lc_free(dir);
      rc = uuid ? lc_err(err, LANCEC_ECORRUPT, "index '%s': unknown base path id %u", im->name, im->base_id)
                : lc_err(err, LANCEC_ENOMEM, "out of memory");
      break;
    }
    lc_index_seg seg = {ds->io, dir, uuid};
    lc_icache_obj *o = NULL;
    rc = c->bitmap ? lc_index_bitmap_load(&o, &seg, cache, err) : lc_index_btree_load(&o, &seg, cache, err);
    if (rc == LANCEC_EUNSUPPORTED) rc = 1;
    if (!rc) {
      const lc_field *vf = c->bitmap ? lc_index_bitmap_field(o) : lc_index_btree_field(o);
      if (!have_q) {
        rc = query_build(&q, c->e, c->column, vf, !c->bitmap, err);
        have_q = rc == 0;
        if (have_q) qs[nq++] = &q;
        for (size_t g = 0; g < c->n_group && !rc; g++) {
          int r2 = query_build(&gq[g], c->group[g]->e, c->column, vf, true, err);
          if (r2 < 0) rc = r2;
          else if (r2 == 0) qs[nq++] = &gq[g]; /* one that does not bind is left to the scan */
        }
      } else if (vf->type != q.field->type) {
        rc = 1; /* segments disagree on the value type */
      }
    }
    if (!rc) {
      bool any = false;
      rc = segment_covers(m, im, u, seg_covers, &any, err);
      lc_index_acc acc = {u->ids, u->rows, u->n, c->rows, seg_covers, rid, 0};
      /* a stable row id is below next_row_id: bounds what a bitmap may hold */
      acc.max_ids = m->pb->has_next_row_id && m->pb->next_row_id ? m->pb->next_row_id : (uint64_t)1 << 32;
      if (!rc)
        rc = c->bitmap ? lc_index_bitmap_search(o, &seg, cache, &q, &acc, &c->use.parts_read,
                                                &c->use.parts_total, err)
                       : lc_index_btree_search(o, &seg, cache, qs, nq, &acc, &c->use.parts_read,
                                               &c->use.parts_total, err);
    }
    lc_icache_release(o);
    lc_free(uuid);
    lc_free(dir);
    c->use.n_segments++;
  }
  if (have_q) query_clear(&q);
  for (size_t g = 0; gq && g < c->n_group; g++) query_clear(&gq[g]);
  lc_free(gq);
  lc_free(qs);
  return rc;
}

/* ---- the plan ---------------------------------------------------------------------------- */

void lc_index_result_free(lc_index_result *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n_frags; i++) roaring_bitmap_free(r->frags[i].rows);
  lc_free(r->frags);
  for (size_t i = 0; i < r->n_uses; i++) {
    lc_free(r->uses[i].index_name);
    lc_free(r->uses[i].column);
    lc_free(r->uses[i].conjunct);
  }
  lc_free(r->uses);
  lc_free(r);
}

static int combine(lc_index_result **out, conj_plan *cs, size_t nc, const frag_univ *u, lancec_error *err) {
  lc_index_result *r = lc_calloc(1, sizeof *r);
  if (!r) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  size_t nused = 0, ncov = 0;
  for (size_t i = 0; i < nc; i++) nused += cs[i].used;
  for (size_t k = 0; k < u->n; k++) {
    bool cov = false;
    for (size_t i = 0; i < nc && !cov; i++) cov = cs[i].used && cs[i].covers[k];
    ncov += cov;
  }
  r->frags = lc_calloc(ncov ? ncov : 1, sizeof *r->frags);
  r->uses = lc_calloc(nused ? nused : 1, sizeof *r->uses);
  if (!r->frags || !r->uses) {
    lc_index_result_free(r);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t k = 0; k < u->n; k++) {
    roaring_bitmap_t *acc = NULL;
    bool cov = false;
    for (size_t i = 0; i < nc; i++) {
      if (!cs[i].used || !cs[i].covers[k]) continue;
      cov = true;
      const roaring_bitmap_t *b = cs[i].rows[k];
      if (!acc)
        acc = b ? roaring_bitmap_copy(b) : roaring_bitmap_create();
      else if (b)
        roaring_bitmap_and_inplace(acc, b);
      else
        roaring_bitmap_clear(acc);
      if (!acc) break;
    }
    if (!cov) continue;
    if (!acc) {
      lc_index_result_free(r);
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    lc_index_frag *fr = &r->frags[r->n_frags++];
    fr->id = u->ids[k];
    fr->physical_rows = u->rows[k];
    fr->rows = acc;
    r->covered_rows += u->rows[k];
    r->n_rows += roaring_bitmap_get_cardinality(acc);
  }
  for (size_t i = 0; i < nc; i++) {
    if (!cs[i].used) continue;
    lc_index_use *us = &r->uses[r->n_uses++];
    *us = cs[i].use;
    memset(&cs[i].use, 0, sizeof cs[i].use);
  }
  *out = r;
  return 0;
}

int lc_index_plan(lc_index_result **out, lancec_dataset *ds, const lc_expr *filter, lc_index_cache *cache,
                  lancec_error *err) {
  if (!out) return lc_err(err, LANCEC_EINVAL, "lc_index_plan: NULL argument");
  *out = NULL;
  if (!ds || !ds->manifest || !filter) return lc_err(err, LANCEC_EINVAL, "lc_index_plan: NULL argument");
  if (!filter->bound) return lc_err(err, LANCEC_EINVAL, "lc_index_plan: the filter is not bound");
  const lc_manifest *m = ds->manifest;
  const Lance__Table__IndexSection *sec = m->indices;
  if (!sec || sec->n_indices == 0) return 0;
  /* results would need the fragment-reuse remapping */
  for (size_t i = 0; i < sec->n_indices; i++)
    if (!strcmp(lc_index_type_name(sec->indices[i]), "FRAG_REUSE")) return 0;

  const lc_expr **conj = NULL;
  size_t nconj = 0, cap = 0;
  bool oom = false;
  flatten_and(filter, &conj, &nconj, &cap, &oom);
  if (oom) {
    lc_free((void *)conj);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  frag_univ u;
  int rc = univ_build(&u, m, err);
  conj_plan *cs = lc_calloc(nconj ? nconj : 1, sizeof *cs);
  bool *tmp = lc_calloc(u.n ? u.n : 1, sizeof *tmp);
  lc_index_cache *own = NULL;
  if (!rc && (!cs || !tmp)) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (!rc && !cache) {
    rc = lc_index_cache_new(&own, PRIVATE_CACHE_BYTES, err);
    cache = own;
  }
  size_t nused = 0;
  bool stable = uses_stable_row_ids(m);
  lc_icache_obj *rid = NULL; /* loaded when first needed */
  for (size_t i = 0; i < nconj && !rc; i++) {
    cs[i].e = conj[i];
    cs[i].column = single_column(conj[i]);
  }
  for (size_t i = 0; i < nconj && !rc; i++) {
    conj_plan *c = &cs[i];
    if (!c->column || c->grouped) continue;
    const lc_field *f = lc_schema_find_name(m->schema, c->column);
    if (!f || !choose_index(c, m, f)) continue;
    if (!c->bitmap) { /* later BTree-shaped conjuncts on the same column join this search */
      shape s;
      for (size_t j = i + 1; j < nconj; j++) {
        conj_plan *d = &cs[j];
        if (d->grouped || !d->column || strcmp(d->column, c->column) || !btree_shape(d->e, &s)) continue;
        conj_plan **g = lc_realloc(c->group, (c->n_group + 1) * sizeof *g);
        if (!g) {
          rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
          break;
        }
        c->group = g;
        c->group[c->n_group++] = d;
        d->grouped = true;
      }
      if (rc) break;
    }
    rc = conj_collect_segments(c, m, f, &u, tmp, err);
    if (rc || c->n_segs == 0) continue;
    if (stable && !rid) {
      rc = rid_load(&rid, ds, &u, cache, err);
      if (rc) break;
    }
    rc = conj_search(c, ds, &u, rid ? rid->p : NULL, tmp, cache, err);
    if (rc == 1) { /* not searchable after all: scan instead (the group too) */
      rc = 0;
      continue;
    }
    if (rc) break;
    c->used = true;
    nused++;
    c->use.index_name = lc_strdup(c->index_name);
    c->use.index_type = c->bitmap ? "BITMAP" : "BTREE";
    c->use.column = lc_strdup(c->column);
    c->use.conjunct = lc_expr_to_string(c->e);
    for (size_t g = 0; g < c->n_group && c->use.conjunct; g++) {
      char *more = lc_expr_to_string(c->group[g]->e);
      char *joined = more ? lc_sprintf("%s AND %s", c->use.conjunct, more) : NULL;
      lc_free(more);
      lc_free(c->use.conjunct);
      c->use.conjunct = joined;
    }
    for (size_t k = 0; k < u.n; k++)
      if (c->covers[k] && c->rows[k]) c->use.matched_rows += roaring_bitmap_get_cardinality(c->rows[k]);
    if (!c->use.index_name || !c->use.column || !c->use.conjunct)
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  if (!rc && nused) rc = combine(out, cs, nconj, &u, err);
  for (size_t i = 0; cs && i < nconj; i++) conj_free(&cs[i], u.n);
  lc_free(cs);
  lc_free(tmp);
  lc_free((void *)conj);
  univ_free(&u);
  lc_icache_release(rid);
  lc_index_cache_free(own);
  return rc;
}

/* ---- result accessors ----------------------------------------------------------------------- */

const lc_index_frag *lc_index_result_fragment(const lc_index_result *r, uint64_t frag_id) {
  if (!r) return NULL;
  size_t lo = 0, hi = r->n_frags;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->frags[mid].id < frag_id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < r->n_frags && r->frags[lo].id == frag_id ? &r->frags[lo] : NULL;
}

int lc_index_result_rows(const lc_index_result *r, uint64_t frag_id, uint32_t **rows, size_t *n,
                         lancec_error *err) {
  *rows = NULL;
  *n = 0;
  const lc_index_frag *f = lc_index_result_fragment(r, frag_id);
  if (!f) return 0;
  uint64_t card = roaring_bitmap_get_cardinality(f->rows);
  if (!card) return 0;
  *rows = lc_malloc((size_t)card * sizeof **rows);
  if (!*rows) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  roaring_bitmap_to_uint32_array(f->rows, *rows);
  *n = (size_t)card;
  return 0;
}

char *lc_index_result_describe(const lc_index_result *r) {
  if (!r) return lc_strdup("");
  lc_buf b = {0};
  char line[1024];
  int len = snprintf(line, sizeof line,
                     "scalar indices: %zu covered fragment(s), %" PRIu64 " candidate row(s) of %" PRIu64 "\n",
                     r->n_frags, r->n_rows, r->covered_rows);
  if (lc_buf_append(&b, line, (size_t)len)) return NULL;
  for (size_t i = 0; i < r->n_uses; i++) {
    const lc_index_use *us = &r->uses[i];
    len = snprintf(line, sizeof line,
                   "  %s (%s) on %s: %s -> %" PRIu64 " row(s) in %" PRIu64 " fragment(s), %" PRIu64
                   "/%" PRIu64 " %s searched, %u segment(s)\n",
                   us->index_name, us->index_type, us->column, us->conjunct, us->matched_rows,
                   us->n_fragments, us->parts_read, us->parts_total,
                   strcmp(us->index_type, "BTREE") ? "keys" : "pages", us->n_segments);
    if (len < 0) len = 0;
    if ((size_t)len >= sizeof line) len = (int)sizeof line - 1;
    if (lc_buf_append(&b, line, (size_t)len)) {
      lc_buf_free(&b);
      return NULL;
    }
  }
  if (b.len && b.data[b.len - 1] == '\n') b.len--; /* no trailing newline */
  uint8_t z = 0;
  if (lc_buf_append(&b, &z, 1)) {
    lc_buf_free(&b);
    return NULL;
  }
  size_t l;
  return (char *)lc_buf_steal(&b, &l);
}

/* ---- stable row ids for take ------------------------------------------------------------------ */

int lc_rowids_resolve(lancec_dataset *ds, const uint64_t *ids, size_t n, uint64_t *frag_ids, uint32_t *offs,
                      bool *found, lancec_error *err) {
  lc_index_cache *cache = ds->session ? lc_session_index_cache(ds->session, lc_index_cache_create_hook,
                                                               lc_index_cache_free_hook, lc_index_cache_stats_hook)
                                      : NULL;
  lc_index_cache *own = NULL;
  frag_univ u;
  int rc = univ_build(&u, ds->manifest, err);
  if (!rc && !cache) {
    rc = lc_index_cache_new(&own, PRIVATE_CACHE_BYTES, err);
    cache = own;
  }
  lc_icache_obj *rid = NULL;
  if (!rc) rc = rid_load(&rid, ds, &u, cache, err);
  for (size_t i = 0; i < n && !rc; i++) {
    const lc_rowid_run *r = rid_find(rid->p, ids[i]);
    found[i] = r != NULL;
    if (r) {
      frag_ids[i] = u.ids[r->slot];
      offs[i] = (uint32_t)(r->off + (ids[i] - r->start));
    }
  }
  lc_icache_release(rid);
  lc_index_cache_free(own);
  univ_free(&u);
  return rc;
}
