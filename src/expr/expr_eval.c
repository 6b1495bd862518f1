/* Vectorised evaluation of bound expressions over Arrow arrays.
 *
 * Every node evaluates to a `vec`: n values of one physical class (bits,
 * int64, uint64, double, int128, byte views) plus a validity bitmap (NULL =
 * all valid), or a scalar (one value broadcast; literals). Column loads
 * borrow Arrow buffers where the layout already matches (int64/uint64/
 * double) and widen otherwise. Comparisons of a column with a literal read
 * the Arrow buffer directly in its native width (no per-row conversion). */
#include <math.h>
#include <stdio.h>

#include "arrow/arrow.h"
#include "expr/expr_internal.h"

typedef struct sv {
  const uint8_t *p;
  int64_t n;
} sv;

typedef struct vec {
  vclass k;
  bool scalar;
  int64_t n;        /* rows (1 when scalar) */
  uint8_t *valid;   /* NULL = all valid */
  void *data;
  bool own_valid, own_data;
  uint8_t *arena;   /* owned string bytes */
} vec;

typedef struct colb {
  const lc_field *f;
  const struct ArrowArray *a;
  int64_t off; /* row i is at logical index off + i of a */
  const char *name;
} colb;

typedef struct ectx {
  int64_t n;
  colb *cols;
  size_t ncols;
  const vec *ref;
  bool validity_only; /* column loads for IS [NOT] NULL */
  lancec_error *err;
} ectx;

static void vfree(vec *v) {
  if (v->own_valid) lc_free(v->valid);
  if (v->own_data) lc_free(v->data);
  lc_free(v->arena);
  memset(v, 0, sizeof(*v));
}

static int oom(ectx *c) { return lc_err(c->err, LANCEC_ENOMEM, "out of memory"); }

static size_t nbytes(int64_t n) { return lc_bitmap_bytes(n) + 1; }

static uint8_t *bits_alloc(int64_t n, bool ones) {
  uint8_t *b = lc_malloc(nbytes(n));
  if (b) memset(b, ones ? 0xFF : 0, nbytes(n));
  return b;
}

static inline bool vvalid(const vec *v, int64_t i) {
  if (v->k == VC_NULL) return false;
  return !v->valid || lc_bit_get(v->valid, v->scalar ? 0 : i);
}

/* new validity = AND of the inputs' (NULL when all valid) */
static int and_valid(ectx *c, const vec *a, const vec *b, int64_t n, vec *out) {
  out->valid = NULL;
  out->own_valid = false;
  const vec *in[2] = {a, b};
  for (int k = 0; k < 2; k++) {
    const vec *v = in[k];
    if (!v || !v->valid) continue;
    if (!out->valid) {
      out->valid = bits_alloc(n, true);
      if (!out->valid) return oom(c);
      out->own_valid = true;
    }
    if (v->scalar) {
      if (!lc_bit_get(v->valid, 0)) memset(out->valid, 0, nbytes(n));
    } else {
      size_t nb = lc_bitmap_bytes(n);
      for (size_t i = 0; i < nb; i++) out->valid[i] &= v->valid[i];
    }
  }
  return 0;
}

static int bool_out(ectx *c, int64_t n, vec *out) {
  memset(out, 0, sizeof(*out));
  out->k = VC_BOOL;
  out->n = n;
  out->data = bits_alloc(n, false);
  if (!out->data) return oom(c);
  out->own_data = true;
  return 0;
}

static int data_out(ectx *c, vclass k, int64_t n, vec *out) {
  size_t w = k == VC_DEC ? 16 : k == VC_STR ? sizeof(sv) : 8;
  out->k = k;
  out->n = n;
  out->data = lc_malloc((size_t)(n ? n : 1) * w);
  if (!out->data) return oom(c);
  out->own_data = true;
  return 0;
}

/* Make a bool vec a full (non-scalar) bitmap of n rows with explicit data;
 * VC_NULL becomes all-null bool. */
static int materialize_bool(ectx *c, vec *v, int64_t n) {
  if (v->k == VC_NULL) {
    vfree(v);
    LC_TRY(bool_out(c, n, v));
    v->valid = bits_alloc(n, false);
    if (!v->valid) return oom(c);
    v->own_valid = true;
    return 0;
  }
  if (!v->scalar) return 0;
  bool val = lc_bit_get((const uint8_t *)v->data, 0);
  bool ok = vvalid(v, 0);
  vfree(v);
  LC_TRY(bool_out(c, n, v));
  memset(v->data, val ? 0xFF : 0, nbytes(n));
  if (!ok) {
    v->valid = bits_alloc(n, false);
    if (!v->valid) return oom(c);
    v->own_valid = true;
  }
  return 0;
}

/* ---- literals ------------------------------------------------------------- */

static int scalar_of(ectx *c, const lc_expr_value *val, vec *out) {
  memset(out, 0, sizeof(*out));
  out->scalar = true;
  out->n = 1;
  vclass k = lc_expr__class(val->type.id);
  out->k = k;
  switch (k) {
    case VC_NULL: return 0;
    case VC_BOOL:
      out->data = bits_alloc(1, val->b);
      break;
    case VC_I64: case VC_U64: case VC_F64: case VC_DEC: case VC_STR:
      LC_TRY(data_out(c, k, 1, out));
      out->scalar = true;
      if (k == VC_I64) ((int64_t *)out->data)[0] = val->i;
      else if (k == VC_U64) ((uint64_t *)out->data)[0] = val->u;
      else if (k == VC_F64) ((double *)out->data)[0] = val->f;
      else if (k == VC_DEC) ((lc_i128 *)out->data)[0] = val->dec;
      else ((sv *)out->data)[0] = (sv){(const uint8_t *)(val->str ? val->str : ""), (int64_t)val->len};
      return 0;
    default:
      return lc_err(c->err, LANCEC_EINTERNAL, "filter: literal of unsupported type");
  }
  if (!out->data) return oom(c);
  out->own_data = true;
  return 0;
}

/* ---- column loads ---------------------------------------------------------- */

static int bad_batch(ectx *c, const char *name, const char *what) {
  return lc_err(c->err, LANCEC_EINVAL, "filter: column '%s' in the batch: %s", name, what);
}

static int need_bufs(ectx *c, const struct ArrowArray *a, int64_t nb, const char *name) {
  if (a->n_buffers < nb || !a->buffers) return bad_batch(c, name, "too few buffers");
  for (int64_t i = 1; i < nb; i++)
    if (!a->buffers[i]) return bad_batch(c, name, "missing data buffer");
  return 0;
}

static int copy_validity(ectx *c, const struct ArrowArray *a, int64_t st, int64_t n, vec *out) {
  out->valid = NULL;
  out->own_valid = false;
  if (a->n_buffers < 1 || !a->buffers || !a->buffers[0] || a->null_count == 0) return 0;
  out->valid = bits_alloc(n, false);
  if (!out->valid) return oom(c);
  out->own_valid = true;
  lc_bits_copy(out->valid, 0, (const uint8_t *)a->buffers[0], st, n);
  return 0;
}

static int key_width(lc_type_id t) {
  switch (t) {
    case LC_T_INT8: case LC_T_UINT8: return 1;
    case LC_T_INT16: case LC_T_UINT16: return 2;
    case LC_T_INT32: case LC_T_UINT32: return 4;
    case LC_T_INT64: case LC_T_UINT64: return 8;
    default: return 0;
  }
}

static inline int64_t read_key(const void *p, lc_type_id t, int64_t i) {
  switch (t) {
    case LC_T_INT8: return ((const int8_t *)p)[i];
    case LC_T_UINT8: return ((const uint8_t *)p)[i];
    case LC_T_INT16: return ((const int16_t *)p)[i];
    case LC_T_UINT16: return ((const uint16_t *)p)[i];
    case LC_T_INT32: return ((const int32_t *)p)[i];
    case LC_T_UINT32: return ((const uint32_t *)p)[i];
    default: {
      int64_t v;
      memcpy(&v, (const uint8_t *)p + 8 * i, 8);
      return v;
    }
  }
}

/* out[i] = dict[key[i]] (null keys → null) */
static int gather(ectx *c, const vec *d, const struct ArrowArray *a, lc_type_id kt, int64_t st, int64_t n,
                  const char *name, vec *out) {
  memset(out, 0, sizeof(*out));
  LC_TRY(copy_validity(c, a, st, n, out));
  if (d->k == VC_NULL) {
    out->k = VC_NULL;
    out->n = n;
    if (out->own_valid) lc_free(out->valid);
    out->valid = NULL;
    out->own_valid = false;
    return 0;
  }
  if (!out->valid) {
    out->valid = bits_alloc(n, true);
    if (!out->valid) return oom(c);
    out->own_valid = true;
  }
  if (d->k == VC_VALID) {
    out->k = VC_VALID;
    out->n = n;
  } else if (d->k == VC_BOOL) {
    uint8_t *v = out->valid;
    out->valid = NULL;
    int rc = bool_out(c, n, out);
    out->valid = v;
    out->own_valid = true;
    if (rc) return rc;
  } else {
    LC_TRY(data_out(c, d->k, n, out));
    memset(out->data, 0, (size_t)n * (d->k == VC_DEC ? 16 : d->k == VC_STR ? sizeof(sv) : 8));
  }
  const void *kp = a->buffers[1];
  for (int64_t i = 0; i < n; i++) {
    if (!lc_bit_get(out->valid, i)) continue;
    int64_t k = read_key(kp, kt, st + i);
    if (k < 0 || k >= d->n) return bad_batch(c, name, "dictionary index out of range");
    int64_t kk = d->scalar ? 0 : k;
    if (!vvalid(d, k)) {
      lc_bit_clear(out->valid, i);
      continue;
    }
    switch (d->k) {
      case VC_BOOL: lc_bit_put((uint8_t *)out->data, i, lc_bit_get((const uint8_t *)d->data, kk)); break;
      case VC_I64: case VC_U64: case VC_F64: memcpy((uint8_t *)out->data + 8 * i, (const uint8_t *)d->data + 8 * kk, 8); break;
      case VC_DEC: ((lc_i128 *)out->data)[i] = ((const lc_i128 *)d->data)[kk]; break;
      case VC_STR: ((sv *)out->data)[i] = ((const sv *)d->data)[kk]; break;
      default: break;
    }
  }
  return 0;
}

static int load_leaf(ectx *c, const lc_field *f, const struct ArrowArray *a, int64_t off, int64_t n,
                     const char *name, vec *out);

static int load_dict(ectx *c, const lc_field *f, const struct ArrowArray *a, int64_t st, int64_t n,
                     const char *name, vec *out) {
  if (!a->dictionary || !f->dict_value || !key_width(f->dict_key)) return bad_batch(c, name, "bad dictionary");
  LC_TRY(need_bufs(c, a, 2, name));
  vec d;
  memset(&d, 0, sizeof d);
  LC_TRY(load_leaf(c, f->dict_value, a->dictionary, 0, a->dictionary->length, name, &d));
  int rc = gather(c, &d, a, f->dict_key, st, n, name, out);
  vfree(&d);
  return rc;
}

#define WIDEN(T, DST, CAST)                                   \
  do {                                                        \
    const T *p_ = (const T *)a->buffers[1] + st;              \
    for (int64_t i = 0; i < n; i++) (DST)[i] = CAST(p_[i]);   \
  } while (0)
#define ID(x) (x)

static int load_leaf(ectx *c, const lc_field *f, const struct ArrowArray *a, int64_t off, int64_t n,
                     const char *name, vec *out) {
  memset(out, 0, sizeof(*out));
  out->n = n;
  int64_t st = a->offset + off;
  vclass k = lc_expr__class(f->type == LC_T_DICT ? LC_T_NULL : f->type);
  if (f->type == LC_T_DICT) return load_dict(c, f, a, st, n, name, out);
  if (k == VC_NULL) {
    out->k = VC_NULL;
    return 0;
  }
  LC_TRY(copy_validity(c, a, st, n, out));
  if (k == VC_VALID || c->validity_only) {
    out->k = VC_VALID;
    return 0;
  }
  if (n == 0) {
    out->k = k;
    return k == VC_BOOL ? 0 : 0;
  }
  switch (f->type) {
    case LC_T_BOOL: {
      LC_TRY(need_bufs(c, a, 2, name));
      uint8_t *v = out->valid;
      bool ov = out->own_valid;
      out->valid = NULL;
      LC_TRY(bool_out(c, n, out));
      out->valid = v;
      out->own_valid = ov;
      lc_bits_copy((uint8_t *)out->data, 0, (const uint8_t *)a->buffers[1], st, n);
      return 0;
    }
    case LC_T_INT64: case LC_T_UINT64: case LC_T_DOUBLE: case LC_T_DATE64: case LC_T_TIME64:
    case LC_T_TIMESTAMP: case LC_T_DURATION: {
      LC_TRY(need_bufs(c, a, 2, name));
      out->k = k;
      const uint8_t *p = (const uint8_t *)a->buffers[1] + 8 * st;
      if (((uintptr_t)p & 7) == 0) {
        out->data = (void *)(uintptr_t)p;
        return 0;
      }
      LC_TRY(data_out(c, k, n, out));
      memcpy(out->data, p, (size_t)n * 8);
      return 0;
    }
    default: break;
  }
  if (k == VC_I64 || k == VC_F64) {
    LC_TRY(need_bufs(c, a, 2, name));
    LC_TRY(data_out(c, k, n, out));
    int64_t *di = (int64_t *)out->data;
    double *dd = (double *)out->data;
    switch (f->type) {
      case LC_T_INT8: WIDEN(int8_t, di, ID); break;
      case LC_T_UINT8: WIDEN(uint8_t, di, ID); break;
      case LC_T_INT16: WIDEN(int16_t, di, ID); break;
      case LC_T_UINT16: WIDEN(uint16_t, di, ID); break;
      case LC_T_INT32: case LC_T_DATE32: case LC_T_TIME32: WIDEN(int32_t, di, ID); break;
      case LC_T_UINT32: WIDEN(uint32_t, di, ID); break;
      case LC_T_FLOAT: WIDEN(float, dd, (double)); break;
      case LC_T_HALF: WIDEN(uint16_t, dd, lc_expr__half_to_double); break;
      default: return bad_batch(c, name, "unexpected type");
    }
    return 0;
  }
  if (k == VC_DEC) {
    LC_TRY(need_bufs(c, a, 2, name));
    LC_TRY(data_out(c, k, n, out));
    lc_i128 *d = (lc_i128 *)out->data;
    if (f->type == LC_T_DECIMAL128) {
      const uint8_t *p = (const uint8_t *)a->buffers[1] + 16 * st;
      for (int64_t i = 0; i < n; i++) memcpy(&d[i], p + 16 * i, 16);
    } else {
      const uint8_t *p = (const uint8_t *)a->buffers[1] + 32 * st;
      for (int64_t i = 0; i < n; i++) {
        lc_i128 lo, hi;
        memcpy(&lo, p + 32 * i, 16);
        memcpy(&hi, p + 32 * i + 16, 16);
        if (hi != (lo < 0 ? -1 : 0) && (!out->valid || lc_bit_get(out->valid, i)))
          return lc_err(c->err, LANCEC_EUNSUPPORTED,
                        "filter: column '%s': decimal256 value beyond 38 digits is not supported in filters", name);
        d[i] = lo;
      }
    }
    return 0;
  }
  if (k == VC_STR) {
    bool fixed = f->type == LC_T_FIXED_BINARY;
    LC_TRY(need_bufs(c, a, fixed ? 2 : 3, name));
    LC_TRY(data_out(c, k, n, out));
    sv *s = (sv *)out->data;
    if (fixed) {
      const uint8_t *p = (const uint8_t *)a->buffers[1];
      int64_t w = f->width;
      for (int64_t i = 0; i < n; i++) s[i] = (sv){p + (st + i) * w, w};
    } else if (f->type == LC_T_STRING || f->type == LC_T_BINARY) {
      const int32_t *o = (const int32_t *)a->buffers[1] + st;
      const uint8_t *p = (const uint8_t *)a->buffers[2];
      for (int64_t i = 0; i < n; i++) s[i] = (sv){p + o[i], (int64_t)o[i + 1] - o[i]};
    } else {
      const int64_t *o = (const int64_t *)a->buffers[1] + st;
      const uint8_t *p = (const uint8_t *)a->buffers[2];
      for (int64_t i = 0; i < n; i++) s[i] = (sv){p + o[i], o[i + 1] - o[i]};
    }
    return 0;
  }
  return bad_batch(c, name, "unsupported type");
}

static const lc_field *child_named(const lc_field *f, const char *name, size_t *idx) {
  for (size_t i = 0; i < f->n_children; i++)
    if (f->children[i]->name && !strcmp(f->children[i]->name, name)) {
      *idx = i;
      return f->children[i];
    }
  return NULL;
}

static bool repr_compatible(const lc_field *f, const lc_expr_type *t) {
  while (f->type == LC_T_DICT && f->dict_value) f = f->dict_value;
  if (lc_expr__class(f->type) != lc_expr__class(t->id)) return false;
  if (lc_expr__class(t->id) == VC_DEC) return f->scale == t->scale;
  if (lc_expr__class(t->id) == VC_I64) {
    if (f->type == t->id) return f->type == LC_T_TIMESTAMP || f->type == LC_T_TIME32 || f->type == LC_T_TIME64 ||
                                         f->type == LC_T_DURATION
                                     ? f->unit == t->unit
                                     : true;
    return lc_expr__is_int(f->type) && lc_expr__is_int(t->id);
  }
  return true;
}

/* Walk a column path to its leaf: array, field and starting logical index;
 * `valid` (owned, may stay NULL) collects ancestor struct validity. */
static int walk_path(ectx *c, const lc_expr *e, const lc_field **pf, const struct ArrowArray **pa, int64_t *poff,
                     uint8_t **valid) {
  const colb *b = &c->cols[e->col_slot];
  const lc_field *f = b->f;
  const struct ArrowArray *a = b->a;
  int64_t off = b->off;
  *valid = NULL;
  for (size_t i = 1; i < e->path_len; i++) {
    size_t k;
    const lc_field *ch = f->type == LC_T_STRUCT ? child_named(f, e->path[i], &k) : NULL;
    if (!ch || (int64_t)k >= a->n_children || !a->children || !a->children[k])
      return lc_err(c->err, LANCEC_EINVAL, "filter: field '%s' of column '%s' is not in the batch", e->path[i], e->path[0]);
    if (a->n_buffers >= 1 && a->buffers && a->buffers[0] && a->null_count != 0) {
      if (!*valid) {
        *valid = bits_alloc(c->n, true);
        if (!*valid) return oom(c);
      }
      const uint8_t *sb = (const uint8_t *)a->buffers[0];
      int64_t st = a->offset + off;
      for (int64_t r = 0; r < c->n; r++)
        if (!lc_bit_get(sb, st + r)) lc_bit_clear(*valid, r);
    }
    off = a->offset + off;
    a = a->children[k];
    f = ch;
  }
  *pf = f;
  *pa = a;
  *poff = off;
  return 0;
}

static int load_column(ectx *c, const lc_expr *e, vec *out) {
  const lc_field *f = NULL;
  const struct ArrowArray *a = NULL;
  int64_t off = 0;
  uint8_t *pv = NULL;
  LC_TRY(walk_path(c, e, &f, &a, &off, &pv));
  if (!repr_compatible(f, &e->type)) {
    lc_free(pv);
    char t1[128], t2[128];
    lc_expr_type bt = e->type;
    bt.field = NULL; /* the bind-time schema may be gone */
    return lc_err(c->err, LANCEC_ETYPE, "filter: column '%s' is %s in the batch but %s when the filter was bound",
                  e->path[e->path_len - 1], lc_field_type_string(f, t1, sizeof t1), lc_expr__type_str(&bt, t2, sizeof t2));
  }
  int rc = load_leaf(c, f, a, off, c->n, e->path[0], out);
  if (rc) {
    lc_free(pv);
    return rc;
  }
  if (pv) {
    if (out->k == VC_NULL) {
      lc_free(pv);
    } else if (!out->valid) {
      out->valid = pv;
      out->own_valid = true;
    } else {
      if (!out->own_valid) {
        lc_free(pv);
        return lc_err(c->err, LANCEC_EINTERNAL, "filter: validity not owned");
      }
      for (size_t i = 0; i < lc_bitmap_bytes(c->n); i++) out->valid[i] &= pv[i];
      lc_free(pv);
    }
  }
  return 0;
}

/* ---- comparisons ------------------------------------------------------------- */

#define FILL(COND)                                                         \
  do {                                                                     \
    for (int64_t i0 = 0; i0 < n; i0 += 8) {                                \
      unsigned byte = 0;                                                   \
      int64_t e_ = n - i0 < 8 ? n - i0 : 8;                                \
      for (int64_t j = 0; j < e_; j++) {                                   \
        int64_t i = i0 + j;                                                \
        (void)i;                                                           \
        byte |= (unsigned)(COND) << j;                                     \
      }                                                                    \
      bits[i0 >> 3] = (uint8_t)byte;                                       \
    }                                                                      \
  } while (0)

#define CMP_OPS(LT, EQ)                           \
  switch (op) {                                   \
    case LC_OP_EQ: FILL((EQ)); break;             \
    case LC_OP_NE: FILL(!(EQ)); break;            \
    case LC_OP_LT: FILL((LT)); break;             \
    case LC_OP_LE: FILL((LT) || (EQ)); break;     \
    case LC_OP_GT: FILL(!(LT) && !(EQ)); break;   \
    default: FILL(!(LT)); break;                  \
  }

/* Floats compare in IEEE 754 total order (as Arrow's kernels do): -NaN <
 * -inf < ... < -0.0 < +0.0 < ... < +inf < +NaN, NaNs equal only to the same
 * bit pattern. Against a literal zero (fzero_) both zeros are +0.0. */
static inline int64_t fkey(double x) {
  int64_t b;
  memcpy(&b, &x, sizeof b);
  return b ^ (int64_t)((uint64_t)(b >> 63) >> 1);
}
static inline int64_t fkeyz(double x) { return x == 0 ? 0 : fkey(x); }
static inline bool flt(double x, double y) { return fkey(x) < fkey(y); }
static inline bool feq(double x, double y) { return fkey(x) == fkey(y); }
static inline bool fltz(double x, double y) { return fkeyz(x) < fkeyz(y); }
static inline bool feqz(double x, double y) { return fkeyz(x) == fkeyz(y); }
static inline int svcmp(sv a, sv b) {
  int64_t m = a.n < b.n ? a.n : b.n;
  int r = m > 0 ? memcmp(a.p, b.p, (size_t)m & 0x7fffffffffffffffULL) : 0;
  if (r) return r;
  return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}
static inline bool sveq(sv a, sv b) {
  return a.n == b.n && (a.n <= 0 || !memcmp(a.p, b.p, (size_t)a.n & 0x7fffffffffffffffULL));
}
static inline bool blt(bool a, bool b) { return !a && b; }

static lc_expr_op flip(lc_expr_op op) {
  switch (op) {
    case LC_OP_LT: return LC_OP_GT;
    case LC_OP_LE: return LC_OP_GE;
    case LC_OP_GT: return LC_OP_LT;
    case LC_OP_GE: return LC_OP_LE;
    default: return op;
  }
}

static int cmp_vecs(ectx *c, lc_expr_op op, bool fzero, const vec *a, const vec *b, vec *out) {
  int64_t n = a->scalar && b->scalar ? 1 : c->n;
  if (a->k == VC_NULL || b->k == VC_NULL) {
    memset(out, 0, sizeof(*out));
    out->k = VC_NULL;
    out->n = n;
    out->scalar = n == 1 && a->scalar && b->scalar;
    return 0;
  }
  LC_TRY(bool_out(c, n, out));
  out->scalar = a->scalar && b->scalar;
  LC_TRY(and_valid(c, a, b, n, out));
  uint8_t *bits = (uint8_t *)out->data;
  int64_t sa = a->scalar ? 0 : 1, sb = b->scalar ? 0 : 1;
  /* vector op scalar / scalar op vector / vector op vector, with the
   * pointers and scalar values in locals so the loops do not reload them */
#define CMP_GEN(T, LT, EQ)                                                  \
  do {                                                                      \
    const T *pa_ = (const T *)a->data, *pb_ = (const T *)b->data;           \
    if (sb == 0 && sa == 1) {                                               \
      const T y_ = pb_[0];                                                  \
      CMP_OPS(LT(pa_[i], y_), EQ(pa_[i], y_));                              \
    } else if (sa == 0 && sb == 1) {                                        \
      const T x_ = pa_[0];                                                  \
      CMP_OPS(LT(x_, pb_[i]), EQ(x_, pb_[i]));                              \
    } else {                                                                \
      CMP_OPS(LT(pa_[i * sa], pb_[i * sb]), EQ(pa_[i * sa], pb_[i * sb]));  \
    }                                                                       \
  } while (0)
#define LT_(x, y) ((x) < (y))
#define EQ_(x, y) ((x) == (y))
#define LT_IU(x, y) ((x) < 0 || (uint64_t)(x) < (y))
#define EQ_IU(x, y) ((x) >= 0 && (uint64_t)(x) == (y))
#define LT_UI(x, y) ((y) >= 0 && (x) < (uint64_t)(y))
#define EQ_UI(x, y) ((y) >= 0 && (x) == (uint64_t)(y))
#define LT_SV(x, y) (svcmp((x), (y)) < 0)
#define EQ_SV(x, y) (sveq((x), (y)))
  if (a->k == VC_I64 && b->k == VC_I64) {
    CMP_GEN(int64_t, LT_, EQ_);
  } else if (a->k == VC_U64 && b->k == VC_U64) {
    CMP_GEN(uint64_t, LT_, EQ_);
  } else if (a->k == VC_I64 && b->k == VC_U64) {
    const int64_t *pa = (const int64_t *)a->data;
    const uint64_t *pb = (const uint64_t *)b->data;
    CMP_OPS(LT_IU(pa[i * sa], pb[i * sb]), EQ_IU(pa[i * sa], pb[i * sb]));
  } else if (a->k == VC_U64 && b->k == VC_I64) {
    const uint64_t *pa = (const uint64_t *)a->data;
    const int64_t *pb = (const int64_t *)b->data;
    CMP_OPS(LT_UI(pa[i * sa], pb[i * sb]), EQ_UI(pa[i * sa], pb[i * sb]));
  } else if (a->k == VC_F64 && b->k == VC_F64) {
    if (fzero) {
      CMP_GEN(double, fltz, feqz);
    } else {
      CMP_GEN(double, flt, feq);
    }
  } else if (a->k == VC_DEC && b->k == VC_DEC) {
    CMP_GEN(lc_i128, LT_, EQ_);
  } else if (a->k == VC_STR && b->k == VC_STR) {
    CMP_GEN(sv, LT_SV, EQ_SV);
  } else if (a->k == VC_BOOL && b->k == VC_BOOL) {
    const uint8_t *pa = (const uint8_t *)a->data, *pb = (const uint8_t *)b->data;
    CMP_OPS(blt(lc_bit_get(pa, i * sa), lc_bit_get(pb, i * sb)),
            lc_bit_get(pa, i * sa) == lc_bit_get(pb, i * sb));
  } else {
    return lc_err(c->err, LANCEC_EINTERNAL, "filter: comparison of incompatible values (%d, %d)", a->k, b->k);
  }
#undef A_
#undef B_
  return 0;
}

/* Fast path: top-level primitive column <op> literal, on the Arrow buffer. */
#define FAST_INT(T, TMIN, TMAX)                                                        \
  do {                                                                                 \
    const T *p = (const T *)a->buffers[1] + st;                                        \
    if (lit < (lc_i128)(TMIN) || lit > (lc_i128)(TMAX)) {                              \
      bool below = lit < (lc_i128)(TMIN); /* every value > lit */                      \
      bool r;                                                                          \
      switch (op) {                                                                    \
        case LC_OP_EQ: r = false; break;                                               \
        case LC_OP_NE: r = true; break;                                                \
        case LC_OP_LT: case LC_OP_LE: r = !below; break;                               \
        default: r = below; break;                                                     \
      }                                                                                \
      memset(bits, r ? 0xFF : 0, nbytes(n));                                           \
    } else {                                                                           \
      const T lv = (T)lit;                                                             \
      CMP_OPS(p[i] < lv, p[i] == lv);                                                  \
    }                                                                                  \
  } while (0)

static int try_fast_cmp(ectx *c, const lc_expr *e, vec *out, bool *done) {
  *done = false;
  const lc_expr *col = e->children[0], *lt = e->children[1];
  lc_expr_op op = e->op;
  if (col->kind != LC_EXPR_COLUMN) {
    const lc_expr *t = col;
    col = lt, lt = t;
    op = flip(op);
  }
  if (col->kind != LC_EXPR_COLUMN || lt->kind != LC_EXPR_LITERAL || col->path_len != 1) return 0;
  const colb *b = &c->cols[col->col_slot];
  const lc_field *f = b->f;
  const struct ArrowArray *a = b->a;
  vclass k = lc_expr__class(f->type);
  if ((f->type == LC_T_STRING || f->type == LC_T_LARGE_STRING || f->type == LC_T_BINARY ||
       f->type == LC_T_LARGE_BINARY) && lt->kind == LC_EXPR_LITERAL && lc_expr__class(lt->value.type.id) == VC_STR) {
    if (a->n_buffers < 3 || !a->buffers || (c->n && (!a->buffers[1] || !a->buffers[2]))) return 0;
    int64_t n = c->n, st = a->offset + b->off;
    LC_TRY(bool_out(c, n, out));
    LC_TRY(copy_validity(c, a, st, n, out));
    *done = true;
    if (n == 0) return 0;
    uint8_t *bits = (uint8_t *)out->data;
    const sv y = {(const uint8_t *)(lt->value.str ? lt->value.str : ""), (int64_t)lt->value.len};
    const uint8_t *data = (const uint8_t *)a->buffers[2];
    if (f->type == LC_T_STRING || f->type == LC_T_BINARY) {
      const int32_t *o = (const int32_t *)a->buffers[1] + st;
#define SV_(i) ((sv){data + o[i], (int64_t)o[(i) + 1] - o[i]})
      CMP_OPS(LT_SV(SV_(i), y), EQ_SV(SV_(i), y));
#undef SV_
    } else {
      const int64_t *o = (const int64_t *)a->buffers[1] + st;
#define SV_(i) ((sv){data + o[i], o[(i) + 1] - o[i]})
      CMP_OPS(LT_SV(SV_(i), y), EQ_SV(SV_(i), y));
#undef SV_
    }
    return 0;
  }
  if (f->type == LC_T_DICT || (k != VC_I64 && k != VC_U64 && k != VC_F64) || f->type == LC_T_HALF) return 0;
  if (!repr_compatible(f, &col->type)) return 0;
  vclass lk = lc_expr__class(lt->value.type.id);
  if (lk != VC_I64 && lk != VC_U64 && lk != VC_F64) return 0;
  if ((k == VC_F64) != (lk == VC_F64)) return 0;
  if (a->n_buffers < 2 || !a->buffers || (!a->buffers[1] && c->n)) return 0;
  int64_t n = c->n;
  int64_t st = a->offset + b->off;
  LC_TRY(bool_out(c, n, out));
  LC_TRY(copy_validity(c, a, st, n, out));
  uint8_t *bits = (uint8_t *)out->data;
  *done = true;
  if (n == 0) return 0;
  if (k == VC_F64) {
    const int64_t ly = e->fzero_ ? fkeyz(lt->value.f) : fkey(lt->value.f);
    if (f->type == LC_T_DOUBLE) {
      const double *p = (const double *)a->buffers[1] + st;
      if (e->fzero_) {
        CMP_OPS(fkeyz(p[i]) < ly, fkeyz(p[i]) == ly);
      } else {
        CMP_OPS(fkey(p[i]) < ly, fkey(p[i]) == ly);
      }
    } else {
      const float *p = (const float *)a->buffers[1] + st;
      if (e->fzero_) {
        CMP_OPS(fkeyz((double)p[i]) < ly, fkeyz((double)p[i]) == ly);
      } else {
        CMP_OPS(fkey((double)p[i]) < ly, fkey((double)p[i]) == ly);
      }
    }
    return 0;
  }
  lc_i128 lit = lk == VC_U64 ? (lc_i128)lt->value.u : (lc_i128)lt->value.i;
  switch (f->type) {
    case LC_T_INT8: FAST_INT(int8_t, INT8_MIN, INT8_MAX); break;
    case LC_T_UINT8: FAST_INT(uint8_t, 0, UINT8_MAX); break;
    case LC_T_INT16: FAST_INT(int16_t, INT16_MIN, INT16_MAX); break;
    case LC_T_UINT16: FAST_INT(uint16_t, 0, UINT16_MAX); break;
    case LC_T_INT32: case LC_T_DATE32: case LC_T_TIME32: FAST_INT(int32_t, INT32_MIN, INT32_MAX); break;
    case LC_T_UINT32: FAST_INT(uint32_t, 0, UINT32_MAX); break;
    case LC_T_UINT64: FAST_INT(uint64_t, 0, UINT64_MAX); break;
    default: FAST_INT(int64_t, INT64_MIN, INT64_MAX); break;
  }
  return 0;
}

/* Is the bool vec `val` on every one of n rows (no NULLs)? */
static bool all_is(const vec *a, int64_t n, bool val) {
  if (a->k != VC_BOOL) return false;
  const uint8_t *d = (const uint8_t *)a->data;
  if (a->scalar) return (!a->valid || lc_bit_get(a->valid, 0)) && lc_bit_get(d, 0) == val;
  if (a->valid)
    for (int64_t i = 0; i < n; i++)
      if (!lc_bit_get(a->valid, i)) return false;
  int64_t full = n / 8;
  for (int64_t i = 0; i < full; i++)
    if (d[i] != (val ? 0xFF : 0)) return false;
  for (int64_t i = full * 8; i < n; i++)
    if (lc_bit_get(d, i) != val) return false;
  return true;
}

/* ---- logic ------------------------------------------------------------------- */

static int logic(ectx *c, lc_expr_op op, vec *a, vec *b, vec *out) {
  int64_t n = c->n;
  if (a->scalar && b->scalar) n = 1;
  if (a->scalar && b->scalar) {
    /* tiny: compute on one row */
    bool av = vvalid(a, 0), bv = vvalid(b, 0);
    bool x = a->k == VC_BOOL && lc_bit_get((const uint8_t *)a->data, 0);
    bool y = b->k == VC_BOOL && lc_bit_get((const uint8_t *)b->data, 0);
    bool ok, r;
    if (op == LC_OP_AND) {
      ok = (av && bv) || (av && !x) || (bv && !y);
      r = x && y && av && bv;
    } else {
      ok = (av && bv) || (av && x) || (bv && y);
      r = (x && av) || (y && bv);
    }
    LC_TRY(bool_out(c, 1, out));
    out->scalar = true;
    lc_bit_put((uint8_t *)out->data, 0, r);
    if (!ok) {
      out->valid = bits_alloc(1, false);
      if (!out->valid) return oom(c);
      out->own_valid = true;
    }
    return 0;
  }
  LC_TRY(materialize_bool(c, a, n));
  LC_TRY(materialize_bool(c, b, n));
  LC_TRY(bool_out(c, n, out));
  size_t nb = lc_bitmap_bytes(n);
  const uint8_t *x = (const uint8_t *)a->data, *y = (const uint8_t *)b->data;
  uint8_t *r = (uint8_t *)out->data;
  if (!a->valid && !b->valid) {
    for (size_t i = 0; i < nb; i++) r[i] = op == LC_OP_AND ? (x[i] & y[i]) : (x[i] | y[i]);
    return 0;
  }
  out->valid = bits_alloc(n, true);
  if (!out->valid) return oom(c);
  out->own_valid = true;
  for (size_t i = 0; i < nb; i++) {
    uint8_t av = a->valid ? a->valid[i] : 0xFF, bv = b->valid ? b->valid[i] : 0xFF;
    if (op == LC_OP_AND) {
      out->valid[i] = (uint8_t)((av & bv) | (av & ~x[i]) | (bv & ~y[i]));
      r[i] = (uint8_t)(x[i] & y[i] & av & bv);
    } else {
      out->valid[i] = (uint8_t)((av & bv) | (av & x[i]) | (bv & y[i]));
      r[i] = (uint8_t)((x[i] & av) | (y[i] & bv));
    }
  }
  return 0;
}

/* ---- arithmetic ----------------------------------------------------------------- */

static int arith_error(ectx *c, const lc_expr *e, const char *what) {
  return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "%s", what);
}


/* Wrap a 64-bit two's complement result to the integer type t (DataFusion's
 * integer +, -, * wrap in the operands' common type). */
static inline int64_t wrap_to(lc_type_id t, uint64_t r) {
  switch (t) {
    case LC_T_INT8: return (int8_t)(uint8_t)r;
    case LC_T_UINT8: return (uint8_t)r;
    case LC_T_INT16: return (int16_t)(uint16_t)r;
    case LC_T_UINT16: return (uint16_t)r;
    case LC_T_INT32: return (int32_t)(uint32_t)r;
    case LC_T_UINT32: return (uint32_t)r;
    default: return (int64_t)r;
  }
}

static int64_t int_min_of(lc_type_id t) {
  switch (t) {
    case LC_T_INT8: return INT8_MIN;
    case LC_T_INT16: return INT16_MIN;
    case LC_T_INT32: return INT32_MIN;
    case LC_T_INT64: return INT64_MIN;
    default: return 0;
  }
}

/* Arithmetic in the node's type: integers wrap (+ - *), division and modulo
 * by zero are errors, so is MIN / -1 (MIN % -1 is 0); float32 results are
 * rounded to float32; decimals are exact in 128 bits (an error when that
 * overflows), the quotient truncated at its scale. Rows that are NULL never
 * raise. */
static int arith(ectx *c, const lc_expr *e, const vec *a, const vec *b, vec *out) {
  int64_t n = a->scalar && b->scalar ? 1 : c->n;
  if (a->k == VC_NULL || b->k == VC_NULL || e->type.id == LC_T_NULL) {
    memset(out, 0, sizeof(*out));
    out->k = VC_NULL;
    out->n = n;
    out->scalar = a->scalar && b->scalar;
    return 0;
  }
  vclass k = lc_expr__class(e->type.id);
  if (a->k != k || b->k != k) return lc_err(c->err, LANCEC_EINTERNAL, "filter: arithmetic on mixed classes");
  memset(out, 0, sizeof(*out));
  LC_TRY(data_out(c, k, n, out));
  out->scalar = a->scalar && b->scalar;
  LC_TRY(and_valid(c, a, b, n, out));
  int64_t sa = a->scalar ? 0 : 1, sb = b->scalar ? 0 : 1;
  const uint8_t *v = out->valid;
  bool bad = false, div0 = false;
  lc_expr_op op = e->op;
  lc_type_id t = e->type.id;
#define VAL(i) (!v || lc_bit_get(v, (i)))
  if (k == VC_I64) {
    const int64_t *x = (const int64_t *)a->data, *y = (const int64_t *)b->data;
    int64_t *r = (int64_t *)out->data;
    switch (op) {
      case LC_OP_ADD: for (int64_t i = 0; i < n; i++) r[i] = wrap_to(t, (uint64_t)x[i * sa] + (uint64_t)y[i * sb]); break;
      case LC_OP_SUB: for (int64_t i = 0; i < n; i++) r[i] = wrap_to(t, (uint64_t)x[i * sa] - (uint64_t)y[i * sb]); break;
      case LC_OP_MUL: for (int64_t i = 0; i < n; i++) r[i] = wrap_to(t, (uint64_t)x[i * sa] * (uint64_t)y[i * sb]); break;
      default: {
        const int64_t mn = int_min_of(t);
        for (int64_t i = 0; i < n; i++) {
          int64_t p = x[i * sa], q = y[i * sb];
          if (q == 0) {
            r[i] = 0;
            if (VAL(i)) div0 = true;
          } else if (q == -1 && mn && p == mn) {
            r[i] = op == LC_OP_DIV ? p : 0;
            if (op == LC_OP_DIV && VAL(i)) bad = true;
          } else {
            r[i] = op == LC_OP_DIV ? p / q : p % q;
          }
        }
        break;
      }
    }
  } else if (k == VC_U64) {
    const uint64_t *x = (const uint64_t *)a->data, *y = (const uint64_t *)b->data;
    uint64_t *r = (uint64_t *)out->data;
    switch (op) {
      case LC_OP_ADD: for (int64_t i = 0; i < n; i++) r[i] = x[i * sa] + y[i * sb]; break;
      case LC_OP_SUB: for (int64_t i = 0; i < n; i++) r[i] = x[i * sa] - y[i * sb]; break;
      case LC_OP_MUL: for (int64_t i = 0; i < n; i++) r[i] = x[i * sa] * y[i * sb]; break;
      default:
        for (int64_t i = 0; i < n; i++) {
          uint64_t p = x[i * sa], q = y[i * sb];
          if (q == 0 && VAL(i)) div0 = true;
          r[i] = q == 0 ? 0 : op == LC_OP_DIV ? p / q : p % q;
        }
        break;
    }
  } else if (k == VC_F64) {
    const double *x = (const double *)a->data, *y = (const double *)b->data;
    double *r = (double *)out->data;
    switch (op) {
      case LC_OP_ADD: for (int64_t i = 0; i < n; i++) r[i] = x[i * sa] + y[i * sb]; break;
      case LC_OP_SUB: for (int64_t i = 0; i < n; i++) r[i] = x[i * sa] - y[i * sb]; break;
      case LC_OP_MUL: for (int64_t i = 0; i < n; i++) r[i] = x[i * sa] * y[i * sb]; break;
      case LC_OP_DIV: for (int64_t i = 0; i < n; i++) r[i] = x[i * sa] / y[i * sb]; break;
      default: for (int64_t i = 0; i < n; i++) r[i] = fmod(x[i * sa], y[i * sb]); break;
    }
    if (t == LC_T_FLOAT)
      for (int64_t i = 0; i < n; i++) r[i] = (double)(float)r[i];
  } else if (k == VC_DEC) {
    const lc_i128 *x = (const lc_i128 *)a->data, *y = (const lc_i128 *)b->data;
    lc_i128 *r = (lc_i128 *)out->data;
    /* quotient: x * 10^(s - sx + sy) / y */
    int sh = e->type.scale - e->children[0]->type.scale + e->children[1]->type.scale;
    lc_i128 mul = op == LC_OP_DIV && sh >= 0 && sh <= 38 ? lc_expr__pow10(sh) : 1;
    for (int64_t i = 0; i < n; i++) {
      lc_i128 p = x[i * sa], q = y[i * sb], t2 = 0;
      bool o = false;
      switch (op) {
        case LC_OP_ADD: o = __builtin_add_overflow(p, q, &t2); break;
        case LC_OP_SUB: o = __builtin_sub_overflow(p, q, &t2); break;
        case LC_OP_MUL: o = __builtin_mul_overflow(p, q, &t2); break;
        case LC_OP_DIV:
          if (q == 0) {
            if (VAL(i)) div0 = true;
            break;
          }
          o = sh < 0 || sh > 38 || __builtin_mul_overflow(p, mul, &t2);
          if (!o) t2 /= q;
          break;
        default:
          if (q == 0) {
            if (VAL(i)) div0 = true;
            break;
          }
          t2 = p % q;
          break;
      }
      if (o && VAL(i)) bad = true;
      r[i] = o ? 0 : t2;
    }
  } else {
    return lc_err(c->err, LANCEC_EINTERNAL, "filter: arithmetic on non-numbers");
  }
#undef VAL
  if (div0) return arith_error(c, e, "division by zero");
  if (bad) {
    char tb[64];
    return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "arithmetic overflow (%s)", lc_expr__type_str(&e->type, tb, sizeof tb));
  }
  return 0;
}

/* Negation in the operand's type: integers wrap (-MIN is MIN). */
static int negate(ectx *c, const lc_expr *e, vec *a, vec *out) {
  if (a->k == VC_NULL) {
    *out = *a;
    memset(a, 0, sizeof(*a));
    return 0;
  }
  int64_t n = a->scalar ? 1 : c->n;
  memset(out, 0, sizeof(*out));
  LC_TRY(data_out(c, a->k, n, out));
  out->scalar = a->scalar;
  LC_TRY(and_valid(c, a, NULL, n, out));
  if (a->k == VC_I64) {
    const int64_t *x = (const int64_t *)a->data;
    int64_t *r = (int64_t *)out->data;
    lc_type_id t = e->type.id;
    for (int64_t i = 0; i < n; i++) r[i] = wrap_to(t, (uint64_t)0 - (uint64_t)x[i]);
  } else if (a->k == VC_F64) {
    const double *x = (const double *)a->data;
    double *r = (double *)out->data;
    for (int64_t i = 0; i < n; i++) r[i] = -x[i];
  } else if (a->k == VC_DEC) {
    const lc_i128 *x = (const lc_i128 *)a->data;
    lc_i128 *r = (lc_i128 *)out->data;
    for (int64_t i = 0; i < n; i++) r[i] = x[i] == LC_I128_MIN ? 0 : -x[i];
  } else {
    return lc_err(c->err, LANCEC_EINTERNAL, "filter: negation of non-number");
  }
  return 0;
}

/* ---- casts ---------------------------------------------------------------------- */

static int trepr_of(const lc_expr_type *t) {
  if (t->id == LC_T_DATE32) return 0;
  if (t->id == LC_T_DATE64) return 2;
  return 1 + (int)t->unit;
}
/* scale a temporal value between representations (0 days, 1 s, 2 ms, 3 us, 4 ns) */
static bool tconv(int64_t v, int from, int to, int64_t *out, bool trunc) {
  if (from == to) {
    *out = v;
    return true;
  }
  lc_i128 x = v;
  /* to ns-ish via i128 */
  static const int64_t per_day[5] = {1, 86400LL, 86400000LL, 86400000000LL, 86400000000000LL};
  /* convert `from` units → `to` units: x * per_day[to] / per_day[from], floored */
  lc_i128 num = (lc_i128)x * per_day[to];
  lc_i128 q = num / per_day[from];
  if (num % per_day[from] != 0 && num < 0 && !trunc) q -= 1;
  if (q > INT64_MAX || q < INT64_MIN) return false;
  *out = (int64_t)q;
  return true;
}

static int cast_fail(ectx *c, const lc_expr *e, const char *what, const char *detail) {
  char tn[64];
  return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "cannot cast %s%s%s to %s", what, detail ? " " : "", detail ? detail : "",
                      lc_expr_type_name(&e->cast_to, tn, sizeof tn));
}

static int cast_fail_sv(ectx *c, const lc_expr *e, sv s) {
  char tmp[80];
  snprintf(tmp, sizeof tmp, "'%.*s'", (int)(s.n > 60 ? 60 : s.n), (const char *)s.p);
  return cast_fail(c, e, "string", tmp);
}

static bool int_range(lc_type_id t, lc_i128 *lo, lc_i128 *hi) {
  switch (t) {
    case LC_T_INT8: *lo = INT8_MIN, *hi = INT8_MAX; return true;
    case LC_T_UINT8: *lo = 0, *hi = UINT8_MAX; return true;
    case LC_T_INT16: *lo = INT16_MIN, *hi = INT16_MAX; return true;
    case LC_T_UINT16: *lo = 0, *hi = UINT16_MAX; return true;
    case LC_T_INT32: *lo = INT32_MIN, *hi = INT32_MAX; return true;
    case LC_T_UINT32: *lo = 0, *hi = UINT32_MAX; return true;
    case LC_T_INT64: *lo = INT64_MIN, *hi = INT64_MAX; return true;
    case LC_T_UINT64: *lo = 0, *hi = UINT64_MAX; return true;
    default: return false;
  }
}

static lc_i128 dec_rescale_round(lc_i128 v, int32_t from, int32_t to, bool *ovf) {
  if (to >= from) {
    lc_i128 m = lc_expr__pow10(to - from > 38 ? 38 : to - from), r;
    if (to - from > 38 || __builtin_mul_overflow(v, m, &r)) {
      *ovf = *ovf || v != 0;
      return 0;
    }
    return r;
  }
  int d = from - to;
  if (d > 38) return 0;
  lc_i128 m = lc_expr__pow10(d);
  lc_i128 q = v / m, rem = v % m;
  if (rem < 0) rem = -rem;
  if (rem * 2 >= m) q += v < 0 ? -1 : 1;
  return q;
}

static int format_row(const vec *a, const lc_expr_type *ft, int64_t i, char *buf, size_t cap) {
  switch (a->k) {
    case VC_BOOL: return snprintf(buf, cap, "%s", lc_bit_get((const uint8_t *)a->data, i) ? "true" : "false");
    case VC_U64: return snprintf(buf, cap, "%llu", (unsigned long long)((const uint64_t *)a->data)[i]);
    case VC_F64: return lc_expr__fmt_float_arrow(((const double *)a->data)[i], ft->id != LC_T_DOUBLE, buf, cap);
    case VC_DEC: return lc_expr__fmt_decimal(((const lc_i128 *)a->data)[i], ft->scale, buf, cap);
    case VC_I64: {
      int64_t v = ((const int64_t *)a->data)[i];
      switch (ft->id) {
        case LC_T_DATE32: return lc_expr__fmt_date(v, buf, cap);
        case LC_T_DATE64: return lc_expr__fmt_date(v >= 0 ? v / 86400000 : -((-v + 86399999) / 86400000), buf, cap);
        case LC_T_TIMESTAMP:
          return lc_expr__fmt_timestamp_arrow(v, ft->unit, ft->field && ft->field->tz ? ft->field->tz : NULL, buf, cap);
        case LC_T_TIME32: case LC_T_TIME64: return lc_expr__fmt_time(v, ft->unit, buf, cap);
        default: return snprintf(buf, cap, "%lld", (long long)v);
      }
    }
    default: return snprintf(buf, cap, "?");
  }
}

/* TRY_CAST: row i becomes NULL instead of failing the cast. */
static int null_row(ectx *c, vec *out, int64_t n, int64_t i) {
  if (!out->valid) {
    out->valid = bits_alloc(n, true);
    if (!out->valid) return oom(c);
    out->own_valid = true;
  }
  lc_bit_clear(out->valid, i);
  return 0;
}

static int cast_vec(ectx *c, const lc_expr *e, const lc_expr_type *ft, vec *a, vec *out) {
  const lc_expr_type *tt = &e->type;
  int64_t n = a->scalar ? 1 : c->n;
  memset(out, 0, sizeof(*out));
  if (a->k == VC_NULL || tt->id == LC_T_NULL) {
    out->k = VC_NULL;
    out->n = n;
    out->scalar = a->scalar;
    return 0;
  }
  vclass tk = lc_expr__class(tt->id);
  if (tk == VC_STR && a->k == VC_STR) { /* string ↔ binary: same bytes */
    *out = *a;
    memset(a, 0, sizeof(*a));
    return 0;
  }
  /* widening without a range check: hand the values through */
  {
    lc_i128 flo = 0, fhi = 0, tlo = 0, thi = 0;
    bool pass = false;
    if (a->k == VC_I64 && lc_expr__is_int(ft->id) && lc_expr__is_int(tt->id) && tt->id != LC_T_UINT64) {
      int_range(ft->id, &flo, &fhi);
      int_range(tt->id, &tlo, &thi);
      pass = flo >= tlo && fhi <= thi;
    }
    if (a->k == VC_F64 && tt->id == LC_T_DOUBLE) pass = true;
    if (a->k == VC_U64 && tt->id == LC_T_UINT64) pass = true;
    if (pass) {
      *out = *a;
      memset(a, 0, sizeof(*a));
      return 0;
    }
  }
  if (tk == VC_BOOL) LC_TRY(bool_out(c, n, out));
  else LC_TRY(data_out(c, tk, n, out));
  out->scalar = a->scalar;
  LC_TRY(and_valid(c, a, NULL, n, out));
  const uint8_t *vb = out->valid;
#define ROWOK(i) (!vb || lc_bit_get(vb, (i)))
  /* a failed row: NULL for TRY_CAST (continue with the next row), else the error */
#define CFAIL(i, call, label)           \
  do {                                  \
    if (e->try_cast) {                  \
      LC_TRY(null_row(c, out, n, (i))); \
      goto label;                       \
    }                                   \
    return (call);                      \
  } while (0)
  if (tk == VC_STR) {
    /* format into an arena; two passes (sizes, then views) */
    lc_buf arena = {0};
    int64_t *offs = lc_malloc((size_t)(n + 1) * sizeof(int64_t));
    if (!offs) return oom(c);
    char tmp[128];
    for (int64_t i = 0; i < n; i++) {
      offs[i] = (int64_t)arena.len;
      if (!ROWOK(i)) continue;
      int l = format_row(a, ft, i, tmp, sizeof tmp);
      if (l < 0) l = 0;
      if ((size_t)l >= sizeof tmp) l = (int)sizeof tmp - 1;
      if (lc_buf_append(&arena, tmp, (size_t)l)) {
        lc_free(offs);
        lc_buf_free(&arena);
        return oom(c);
      }
    }
    offs[n] = (int64_t)arena.len;
    out->arena = arena.data ? arena.data : NULL;
    sv *s = (sv *)out->data;
    for (int64_t i = 0; i < n; i++)
      s[i] = (sv){out->arena ? out->arena + offs[i] : (const uint8_t *)"", offs[i + 1] - offs[i]};
    lc_free(offs);
    return 0;
  }
  if (tk == VC_BOOL) {
    uint8_t *r = (uint8_t *)out->data;
    for (int64_t i = 0; i < n; i++) {
      if (!ROWOK(i)) continue;
      bool v = false;
      switch (a->k) {
        case VC_BOOL: v = lc_bit_get((const uint8_t *)a->data, i); break;
        case VC_I64: v = ((const int64_t *)a->data)[i] != 0; break;
        case VC_U64: v = ((const uint64_t *)a->data)[i] != 0; break;
        case VC_F64: v = ((const double *)a->data)[i] != 0; break;
        case VC_DEC: v = ((const lc_i128 *)a->data)[i] != 0; break;
        case VC_STR: {
          sv s = ((const sv *)a->data)[i];
          if (!lc_expr__parse_bool((const char *)s.p, (size_t)s.n, &v)) CFAIL(i, cast_fail_sv(c, e, s), next_row_1);
          break;
        }
        default: return cast_fail(c, e, "value", NULL);
      }
      lc_bit_put(r, i, v);
    next_row_1:;
    }
    return 0;
  }
  if (lc_expr__is_int(tt->id) && a->k == VC_I64 && tk == VC_I64) {
    lc_i128 lo = 0, hi = 0;
    int_range(tt->id, &lo, &hi);
    const int64_t *x = (const int64_t *)a->data;
    int64_t *r = (int64_t *)out->data;
    int64_t l64 = (int64_t)lo, h64 = (int64_t)hi;
    bool bad = false;
    for (int64_t i = 0; i < n; i++) {
      r[i] = x[i];
      bad |= x[i] < l64 || x[i] > h64;
    }
    if (bad)
      for (int64_t i = 0; i < n; i++) {
        if (ROWOK(i) && (x[i] < l64 || x[i] > h64)) {
          char tmp[64];
          snprintf(tmp, sizeof tmp, "%lld", (long long)x[i]);
          CFAIL(i, cast_fail(c, e, "value", tmp), next_row_2);
        }
      next_row_2:;
      }
    return 0;
  }
  if (tk == VC_F64 && (a->k == VC_I64 || a->k == VC_U64)) {
    double *r = (double *)out->data;
    bool f32 = tt->id != LC_T_DOUBLE;
    if (a->k == VC_I64) {
      const int64_t *x = (const int64_t *)a->data;
      for (int64_t i = 0; i < n; i++) r[i] = (double)x[i];
    } else {
      const uint64_t *x = (const uint64_t *)a->data;
      for (int64_t i = 0; i < n; i++) r[i] = (double)x[i];
    }
    if (f32)
      for (int64_t i = 0; i < n; i++) r[i] = (double)(float)r[i];
    return 0;
  }
  if (lc_expr__is_int(tt->id)) {
    lc_i128 lo = 0, hi = 0;
    int_range(tt->id, &lo, &hi);
    for (int64_t i = 0; i < n; i++) {
      if (!ROWOK(i)) {
        ((int64_t *)out->data)[i] = 0;
        continue;
      }
      lc_i128 v = 0;
      switch (a->k) {
        case VC_BOOL: v = lc_bit_get((const uint8_t *)a->data, i); break;
        case VC_I64: v = ((const int64_t *)a->data)[i]; break;
        case VC_U64: v = ((const uint64_t *)a->data)[i]; break;
        case VC_F64: {
          double d = ((const double *)a->data)[i];
          if (!(d > -1.8e19 && d < 1.9e19)) CFAIL(i, cast_fail(c, e, "double", "(out of range)"), next_row_3);
          v = (lc_i128)d;
          break;
        }
        case VC_DEC: {
          lc_i128 d = ((const lc_i128 *)a->data)[i];
          if (ft->scale >= 0) {
            v = d / lc_expr__pow10(ft->scale > 38 ? 38 : ft->scale); /* truncates toward zero */
          } else {
            bool ovf = false;
            v = dec_rescale_round(d, ft->scale, 0, &ovf);
            if (ovf) CFAIL(i, cast_fail(c, e, "value", "(out of range)"), next_row_3);
          }
          break;
        }
        case VC_STR: {
          sv s = ((const sv *)a->data)[i];
          if (!lc_expr__parse_int((const char *)s.p, (size_t)s.n, &v)) CFAIL(i, cast_fail_sv(c, e, s), next_row_3);
          break;
        }
        default: return cast_fail(c, e, "value", NULL);
      }
      if (v < lo || v > hi) {
        char tmp[64];
        lc_expr__fmt_i128(v, tmp, sizeof tmp);
        CFAIL(i, cast_fail(c, e, "value", tmp), next_row_3);
      }
      if (tk == VC_U64) ((uint64_t *)out->data)[i] = (uint64_t)v;
      else ((int64_t *)out->data)[i] = (int64_t)v;
    next_row_3:;
    }
    return 0;
  }
  if (tk == VC_F64) {
    double *r = (double *)out->data;
    bool f32 = tt->id != LC_T_DOUBLE;
    for (int64_t i = 0; i < n; i++) {
      double d = 0;
      if (!ROWOK(i)) {
        r[i] = 0;
        continue;
      }
      switch (a->k) {
        case VC_BOOL: d = lc_bit_get((const uint8_t *)a->data, i); break;
        case VC_I64: d = (double)((const int64_t *)a->data)[i]; break;
        case VC_U64: d = (double)((const uint64_t *)a->data)[i]; break;
        case VC_F64: d = ((const double *)a->data)[i]; break;
        case VC_DEC: {
          lc_i128 v = ((const lc_i128 *)a->data)[i];
          d = ft->scale >= 0 ? (double)v / (double)lc_expr__pow10(ft->scale > 38 ? 38 : ft->scale)
                             : (double)v * (double)lc_expr__pow10(-ft->scale > 38 ? 38 : -ft->scale);
          break;
        }
        case VC_STR: {
          sv s = ((const sv *)a->data)[i];
          if (!lc_expr__parse_double((const char *)s.p, (size_t)s.n, &d)) CFAIL(i, cast_fail_sv(c, e, s), next_row_4);
          break;
        }
        default: return cast_fail(c, e, "value", NULL);
      }
      r[i] = f32 ? (double)(float)d : d;
    next_row_4:;
    }
    return 0;
  }
  if (tk == VC_DEC) {
    lc_i128 *r = (lc_i128 *)out->data;
    int32_t s = tt->scale, p = tt->precision > 38 || tt->precision < 1 ? 38 : tt->precision;
    lc_i128 lim = lc_expr__pow10(p);
    for (int64_t i = 0; i < n; i++) {
      r[i] = 0;
      if (!ROWOK(i)) continue;
      lc_i128 v = 0;
      bool ovf = false;
      switch (a->k) {
        case VC_BOOL: v = dec_rescale_round(lc_bit_get((const uint8_t *)a->data, i), 0, s, &ovf); break;
        case VC_I64: v = dec_rescale_round(((const int64_t *)a->data)[i], 0, s, &ovf); break;
        case VC_U64: v = dec_rescale_round((lc_i128)((const uint64_t *)a->data)[i], 0, s, &ovf); break;
        case VC_DEC: v = dec_rescale_round(((const lc_i128 *)a->data)[i], ft->scale, s, &ovf); break;
        case VC_F64: {
          /* as Arrow: round(v * 10^s) in double precision */
          double d = ((const double *)a->data)[i];
          double x = round(s >= 0 ? d * pow(10.0, s) : d / pow(10.0, -s));
          if (!(x > -1e38 && x < 1e38)) ovf = true;
          else v = (lc_i128)x;
          break;
        }
        case VC_STR: {
          sv t = ((const sv *)a->data)[i];
          if (!lc_expr__parse_decimal((const char *)t.p, (size_t)t.n, p, s, &v)) CFAIL(i, cast_fail_sv(c, e, t), next_row_5);
          break;
        }
        default: return cast_fail(c, e, "value", NULL);
      }
      if (ovf || v >= lim || v <= -lim) CFAIL(i, cast_fail(c, e, "value", "(out of range)"), next_row_5);
      r[i] = v;
    next_row_5:;
    }
    return 0;
  }
  if (tk == VC_I64) { /* temporal targets */
    int64_t *r = (int64_t *)out->data;
    int to = trepr_of(tt);
    for (int64_t i = 0; i < n; i++) {
      r[i] = 0;
      if (!ROWOK(i)) continue;
      int64_t v = 0;
      bool ok = true;
      if (a->k == VC_STR) {
        sv s = ((const sv *)a->data)[i];
        const char *p = (const char *)s.p;
        size_t m = (size_t)s.n;
        switch (tt->id) {
          case LC_T_DATE32:
            ok = lc_expr__parse_date(p, m, &v);
            break;
          case LC_T_DATE64:
            ok = lc_expr__parse_timestamp(p, m, LC_UNIT_MS, &v);
            break;
          case LC_T_TIMESTAMP: ok = lc_expr__parse_timestamp(p, m, tt->unit, &v); break;
          case LC_T_TIME32: case LC_T_TIME64: ok = lc_expr__parse_time(p, m, tt->unit, &v); break;
          default: ok = false; break;
        }
        if (!ok) CFAIL(i, cast_fail_sv(c, e, s), next_row_6);
      } else if (a->k == VC_I64 && lc_expr__is_temporal(ft->id)) {
        v = ((const int64_t *)a->data)[i];
        bool ft_time = ft->id == LC_T_TIME32 || ft->id == LC_T_TIME64;
        bool tt_time = tt->id == LC_T_TIME32 || tt->id == LC_T_TIME64;
        if (tt_time && !ft_time) { /* time of day of a timestamp */
          int64_t per = 86400 * lc_expr__unit_per_sec(ft->unit);
          v %= per;
          if (v < 0) v += per;
        }
        /* between timestamp / time / duration units: truncated toward zero
         * (Arrow); to dates: floored */
        bool trunc = ft->id != LC_T_DATE32 && ft->id != LC_T_DATE64 && tt->id != LC_T_DATE32 && tt->id != LC_T_DATE64;
        ok = tconv(v, trepr_of(ft), to, &v, trunc);
        if (ok && tt->id == LC_T_DATE64) { /* whole days */
          int64_t d;
          ok = tconv(v, 2, 0, &d, false) && tconv(d, 0, 2, &v, false);
        }
      } else if (a->k == VC_I64) {
        v = ((const int64_t *)a->data)[i];
      } else if (a->k == VC_U64) {
        uint64_t u = ((const uint64_t *)a->data)[i];
        ok = u <= INT64_MAX;
        v = (int64_t)u;
      } else {
        ok = false;
      }
      if (!ok) CFAIL(i, cast_fail(c, e, "value", "(out of range)"), next_row_6);
      if (tt->id == LC_T_DATE32 && (v < INT32_MIN || v > INT32_MAX)) CFAIL(i, cast_fail(c, e, "value", "(out of range)"), next_row_6);
      r[i] = v;
    next_row_6:;
    }
    return 0;
  }
#undef ROWOK
#undef CFAIL
  return cast_fail(c, e, "value", NULL);
}

/* One UTF-8 code point at s[*i] (advancing *i); a malformed byte is itself. */
static uint32_t utf8_next(const uint8_t *s, size_t n, size_t *i) {
  uint8_t b = s[*i];
  int len = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
  if (len <= 1 || *i + (size_t)len > n) {
    (*i)++;
    return b;
  }
  uint32_t cp = b & (0x7F >> len);
  for (int k = 1; k < len; k++) {
    uint8_t x = s[*i + (size_t)k];
    if ((x & 0xC0) != 0x80) {
      (*i)++;
      return b;
    }
    cp = (cp << 6) | (x & 0x3F);
  }
  *i += (size_t)len;
  return cp;
}

/* ---- LIKE ------------------------------------------------------------------------- */

typedef enum { LK_EXACT, LK_PREFIX, LK_SUFFIX, LK_CONTAINS, LK_GENERAL } like_kind;
typedef struct like_tok {
  uint8_t k;  /* 0 literal, 1 any one char, 2 any sequence */
  uint32_t c; /* a byte; ILIKE: a case-folded code point */
} like_tok;
typedef struct like_pat {
  like_kind kind;
  bool ci;
  uint8_t *lit; /* literal bytes (simple kinds) */
  size_t lit_len;
  like_tok *t;
  size_t nt;
} like_pat;

void lc_expr__like_free(void *p) {
  like_pat *lp = p;
  if (!lp) return;
  lc_free(lp->lit);
  lc_free(lp->t);
  lc_free(lp);
}

int lc_expr__like_compile(lc_expr *e, lancec_error *err) {
  const lc_expr_value *v = &e->children[1]->value;
  like_pat *lp = lc_calloc(1, sizeof(*lp));
  if (!lp) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  lp->t = lc_calloc(v->len + 1, sizeof(like_tok));
  lp->lit = lc_malloc(v->len + 1);
  if (!lp->t || !lp->lit) {
    lc_expr__like_free(lp);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  lp->ci = e->case_insensitive;
  const uint8_t *s = (const uint8_t *)v->str;
  for (size_t i = 0; i < v->len;) {
    /* ILIKE works on (case-folded) code points, LIKE on bytes */
    uint32_t ch = lp->ci ? utf8_next(s, v->len, &i) : s[i++];
    if (e->escape && ch == (uint8_t)e->escape && i < v->len) {
      uint32_t lit = lp->ci ? lc_expr__casefold(utf8_next(s, v->len, &i)) : s[i++];
      lp->t[lp->nt++] = (like_tok){0, lit};
    } else if (ch == '%') {
      if (!lp->nt || lp->t[lp->nt - 1].k != 2) lp->t[lp->nt++] = (like_tok){2, 0};
    } else if (ch == '_') {
      lp->t[lp->nt++] = (like_tok){1, 0};
    } else {
      lp->t[lp->nt++] = (like_tok){0, lp->ci ? lc_expr__casefold(ch) : ch};
    }
  }
  /* classify */
  size_t n_any1 = 0, n_seq = 0;
  for (size_t i = 0; i < lp->nt; i++) n_any1 += lp->t[i].k == 1, n_seq += lp->t[i].k == 2;
  bool lead = lp->nt && lp->t[0].k == 2, trail = lp->nt && lp->t[lp->nt - 1].k == 2;
  lp->kind = LK_GENERAL;
  if (!lp->ci && n_any1 == 0 && n_seq <= 2) {
    if (n_seq == 0) lp->kind = LK_EXACT;
    else if (n_seq == 1 && trail) lp->kind = LK_PREFIX;
    else if (n_seq == 1 && lead) lp->kind = LK_SUFFIX;
    else if (n_seq == 2 && lead && trail) lp->kind = LK_CONTAINS;
    if (n_seq == 1 && lead && trail) lp->kind = LK_CONTAINS; /* "%" */
  }
  if (!lp->ci)
    for (size_t i = 0; i < lp->nt; i++)
      if (lp->t[i].k == 0) lp->lit[lp->lit_len++] = (uint8_t)lp->t[i].c;
  e->like_ = lp;
  return 0;
}

static inline int u8len(uint8_t b) { return b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1; }

static bool like_general(const like_pat *lp, const uint8_t *s, int64_t n) {
  int64_t i = 0, star_i = 0;
  size_t j = 0, star_j = (size_t)-1;
  const like_tok *t = lp->t;
  size_t m = lp->nt;
  while (i < n) {
    size_t i2 = (size_t)i;
    uint32_t ch = lp->ci ? lc_expr__casefold(utf8_next(s, (size_t)n, &i2)) : s[i2++];
    if (j < m && t[j].k == 0 && t[j].c == ch) {
      i = (int64_t)i2, j++;
    } else if (j < m && t[j].k == 1) {
      i += u8len(s[i]);
      if (i > n) i = n;
      j++;
    } else if (j < m && t[j].k == 2) {
      star_j = j++;
      star_i = i;
    } else if (star_j != (size_t)-1) {
      j = star_j + 1;
      star_i += u8len(s[star_i]);
      if (star_i > n) star_i = n;
      i = star_i;
    } else {
      return false;
    }
  }
  while (j < m && t[j].k == 2) j++;
  return j == m;
}

static bool like_match(const like_pat *lp, sv s) {
  const uint8_t *l = lp->lit;
  int64_t ln = (int64_t)lp->lit_len;
  switch (lp->kind) {
    case LK_EXACT: return s.n == ln && (!ln || !memcmp(s.p, l, (size_t)ln));
    case LK_PREFIX: return s.n >= ln && (!ln || !memcmp(s.p, l, (size_t)ln));
    case LK_SUFFIX: return s.n >= ln && (!ln || !memcmp(s.p + s.n - ln, l, (size_t)ln));
    case LK_CONTAINS: return !ln || (s.n >= ln && memmem(s.p, (size_t)s.n, l, (size_t)ln) != NULL);
    default: return like_general(lp, s.p, s.n);
  }
}

static int like_eval(ectx *c, const lc_expr *e, const vec *a, vec *out) {
  int64_t n = a->scalar ? 1 : c->n;
  if (a->k == VC_NULL || !e->like_) {
    memset(out, 0, sizeof(*out));
    out->k = VC_NULL;
    out->n = n;
    out->scalar = a->scalar;
    return 0;
  }
  LC_TRY(bool_out(c, n, out));
  out->scalar = a->scalar;
  LC_TRY(and_valid(c, a, NULL, n, out));
  const like_pat *lp = e->like_;
  const sv *s = (const sv *)a->data;
  uint8_t *bits = (uint8_t *)out->data;
  bool neg = e->negated;
  FILL(like_match(lp, s[i]) != neg);
  return 0;
}

/* ---- IN (literal, ...) as a sorted set ------------------------------------------ */

typedef struct inset {
  vclass k;
  size_t n;
  bool has_null; /* a NULL item: no match → NULL */
  void *v;       /* sorted int64 / uint64 / sv */
} inset;

void lc_expr__inset_free(void *p) {
  inset *s = p;
  if (!s) return;
  lc_free(s->v);
  lc_free(s);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}
static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}
static int cmp_sv(const void *a, const void *b) { return svcmp(*(const sv *)a, *(const sv *)b); }

int lc_expr__inset_build(lc_expr *e, lancec_error *err) {
  const lc_expr *x = e->children[0];
  vclass k = lc_expr__class(x->type.id);
  if (k != VC_I64 && k != VC_U64 && k != VC_STR) return 0;
  if (lc_expr__is_temporal(x->type.id) || e->n_children < 3) return 0; /* temporal: units; tiny lists: comparisons */
  for (size_t i = 1; i < e->n_children; i++) {
    const lc_expr *it = e->children[i];
    if (it->kind != LC_EXPR_LITERAL) return 0;
    if (it->type.id == LC_T_NULL) continue;
    if (lc_expr__class(it->type.id) != k || lc_expr__is_temporal(it->type.id)) return 0;
  }
  inset *s = lc_calloc(1, sizeof(*s));
  size_t w = k == VC_STR ? sizeof(sv) : 8;
  if (s) s->v = lc_malloc((e->n_children - 1) * w);
  if (!s || !s->v) {
    lc_expr__inset_free(s);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  s->k = k;
  for (size_t i = 1; i < e->n_children; i++) {
    const lc_expr_value *v = &e->children[i]->value;
    if (v->type.id == LC_T_NULL) {
      s->has_null = true;
      continue;
    }
    if (k == VC_I64) ((int64_t *)s->v)[s->n++] = v->i;
    else if (k == VC_U64) ((uint64_t *)s->v)[s->n++] = v->u;
    else ((sv *)s->v)[s->n++] = (sv){(const uint8_t *)(v->str ? v->str : ""), (int64_t)v->len};
  }
  qsort(s->v, s->n, w, k == VC_I64 ? cmp_i64 : k == VC_U64 ? cmp_u64 : cmp_sv);
  e->inset_ = s;
  return 0;
}

#define BSEARCH(T, LT)                                           \
  do {                                                           \
    const T *v_ = (const T *)s->v;                               \
    size_t lo_ = 0, hi_ = s->n;                                  \
    while (lo_ < hi_) {                                          \
      size_t m_ = lo_ + (hi_ - lo_) / 2;                         \
      if (LT(v_[m_], key)) lo_ = m_ + 1;                         \
      else hi_ = m_;                                             \
    }                                                            \
    found = lo_ < s->n && !LT(key, v_[lo_]);                     \
  } while (0)

static int inset_eval(ectx *c, const lc_expr *e, const vec *a, vec *out) {
  const inset *s = e->inset_;
  int64_t n = a->scalar ? 1 : c->n;
  if (a->k == VC_NULL) {
    memset(out, 0, sizeof(*out));
    out->k = VC_NULL;
    out->n = n;
    out->scalar = a->scalar;
    return 0;
  }
  if (a->k != s->k) return lc_err(c->err, LANCEC_EINTERNAL, "filter: IN set of another class");
  LC_TRY(bool_out(c, n, out));
  out->scalar = a->scalar;
  LC_TRY(and_valid(c, a, NULL, n, out));
  if (s->has_null && !out->valid) {
    out->valid = bits_alloc(n, true);
    if (!out->valid) return oom(c);
    out->own_valid = true;
  }
  uint8_t *bits = (uint8_t *)out->data;
  for (int64_t i = 0; i < n; i++) {
    bool found = false;
    if (a->k == VC_I64) {
      int64_t key = ((const int64_t *)a->data)[i];
      BSEARCH(int64_t, LT_);
    } else if (a->k == VC_U64) {
      uint64_t key = ((const uint64_t *)a->data)[i];
      BSEARCH(uint64_t, LT_);
    } else {
      sv key = ((const sv *)a->data)[i];
      BSEARCH(sv, LT_SV);
    }
    if (found != e->negated) lc_bit_set(bits, i);
    if (!found && s->has_null) lc_bit_clear(out->valid, i);
  }
  return 0;
}

static int eval(ectx *c, const lc_expr *e, vec *out);

/* DataFusion's AND "pre-selection": when the left side has no NULL and is
 * TRUE on at most a fifth of the rows, the right side is evaluated on those
 * rows only (so values on the other rows cannot make it fail). */
static int pre_select(ectx *c, const lc_expr *e, const vec *a, vec *out, bool *done) {
  *done = false;
  int64_t n = c->n;
  if (a->k != VC_BOOL || a->scalar || a->valid || n == 0) return 0;
  const uint8_t *d = (const uint8_t *)a->data;
  int64_t t = 0;
  for (int64_t i = 0; i < n; i++) t += lc_bit_get(d, i);
  if (t == 0 || t == n || (double)t / (double)n > 0.2) return 0;
  uint64_t m = e->children[1]->colmask_;
  if (m == ~(uint64_t)0 && c->ncols > 64) return 0;
  int64_t *idx = lc_malloc((size_t)t * sizeof(int64_t));
  colb *cols2 = lc_calloc(c->ncols ? c->ncols : 1, sizeof(colb));
  struct ArrowArray *taken = lc_calloc(c->ncols ? c->ncols : 1, sizeof(struct ArrowArray));
  if (!idx || !cols2 || !taken) {
    lc_free(idx);
    lc_free(cols2);
    lc_free(taken);
    return oom(c);
  }
  int rc = 0;
  for (size_t k = 0; k < c->ncols && !rc; k++) {
    cols2[k] = c->cols[k];
    if (k < 64 && !(m & ((uint64_t)1 << k))) continue; /* not read by the right side */
    int64_t j = 0;
    for (int64_t i = 0; i < n; i++)
      if (lc_bit_get(d, i)) idx[j++] = c->cols[k].off + i;
    rc = lc_array_take(c->cols[k].f, c->cols[k].a, idx, t, &taken[k], c->err);
    if (!rc) cols2[k].a = &taken[k], cols2[k].off = 0;
  }
  vec b;
  memset(&b, 0, sizeof b);
  if (!rc) {
    ectx c2 = *c;
    c2.n = t;
    c2.cols = cols2;
    rc = eval(&c2, e->children[1], &b);
    if (!rc && b.k != VC_NULL && b.k != VC_BOOL) rc = lc_err(c->err, LANCEC_EINTERNAL, "filter: AND of a non-boolean");
  }
  if (!rc) rc = bool_out(c, n, out);
  if (!rc) {
    /* scatter: unselected rows FALSE, selected rows the right side's value */
    uint8_t *r = (uint8_t *)out->data;
    const uint8_t *bd = b.k == VC_BOOL ? (const uint8_t *)b.data : NULL;
    int64_t j = 0;
    for (int64_t i = 0; i < n && !rc; i++) {
      if (!lc_bit_get(d, i)) continue;
      int64_t jb = b.scalar ? 0 : j;
      bool valid = b.k == VC_BOOL && (!b.valid || lc_bit_get(b.valid, jb));
      if (valid && lc_bit_get(bd, jb)) lc_bit_set(r, i);
      if (!valid) {
        if (!out->valid) {
          out->valid = bits_alloc(n, true);
          if (!out->valid) rc = oom(c);
          else out->own_valid = true;
        }
        if (!rc) lc_bit_clear(out->valid, i);
      }
      j++;
    }
    if (rc) vfree(out);
  }
  vfree(&b);
  for (size_t k = 0; k < c->ncols; k++)
    if (taken[k].release) lc_array_release(&taken[k]);
  lc_free(idx);
  lc_free(cols2);
  lc_free(taken);
  *done = rc == 0;
  return rc;
}

/* ---- dispatch --------------------------------------------------------------------- */

static int eval(ectx *c, const lc_expr *e, vec *out);

static int single_col(uint64_t m) { return m && !(m & (m - 1)) ? __builtin_ctzll(m) : -1; }

/* Predicate over one dictionary-encoded column: evaluate on the dictionary
 * values once, then map through the indices. */
static int try_dict(ectx *c, const lc_expr *e, vec *out, bool *done) {
  *done = false;
  if (e->type.id != LC_T_BOOL || e->kind == LC_EXPR_COLUMN || e->kind == LC_EXPR_LITERAL) return 0;
  int s = single_col(e->colmask_);
  if (s < 0 || (size_t)s >= c->ncols) return 0;
  colb *b = &c->cols[s];
  if (b->f->type != LC_T_DICT || !b->a->dictionary || !b->f->dict_value || !key_width(b->f->dict_key)) return 0;
  if (b->a->n_buffers < 2 || !b->a->buffers || (!b->a->buffers[1] && c->n)) return 0;
  colb saved = *b;
  int64_t saved_n = c->n;
  b->f = saved.f->dict_value;
  b->a = saved.a->dictionary;
  b->off = 0;
  c->n = saved.a->dictionary->length;
  vec d;
  memset(&d, 0, sizeof d);
  int rc = eval(c, e, &d);
  *b = saved;
  c->n = saved_n;
  if (rc) {
    vfree(&d);
    return rc;
  }
  if (d.k == VC_BOOL && d.scalar) rc = materialize_bool(c, &d, saved.a->dictionary->length);
  int64_t st = saved.a->offset + saved.off;
  if (!rc) rc = gather(c, &d, saved.a, saved.f->dict_key, st, c->n, saved.name, out);
  vfree(&d);
  if (!rc && out->k == VC_NULL) rc = materialize_bool(c, out, c->n);
  const uint8_t *iv = saved.a->buffers[0];
  if (!rc && iv && saved.a->null_count != 0) {
    /* rows with a null index: the predicate's value on NULL (IS NULL → TRUE) */
    struct ArrowArray na;
    memset(&na, 0, sizeof na);
    rc = lc_array_make_nulls(saved.f->dict_value, 1, &na, c->err);
    vec r0;
    memset(&r0, 0, sizeof r0);
    if (!rc) {
      b->f = saved.f->dict_value;
      b->a = &na;
      b->off = 0;
      c->n = 1;
      rc = eval(c, e, &r0);
      *b = saved;
      c->n = saved_n;
    }
    if (!rc && vvalid(&r0, 0) && r0.k == VC_BOOL) {
      bool v0 = lc_bit_get((const uint8_t *)r0.data, 0);
      for (int64_t i = 0; i < c->n; i++) {
        if (lc_bit_get(iv, st + i)) continue;
        lc_bit_put((uint8_t *)out->data, i, v0);
        if (out->valid) lc_bit_set(out->valid, i);
      }
    }
    vfree(&r0);
    lc_array_release(&na);
  }
  *done = rc == 0;
  return rc;
}

static int eval_is(ectx *c, const lc_expr *e, vec *a, vec *out) {
  int64_t n = a->scalar ? 1 : c->n;
  LC_TRY(bool_out(c, n, out));
  out->scalar = a->scalar;
  uint8_t *r = (uint8_t *)out->data;
  size_t nb = lc_bitmap_bytes(n);
  if (e->is_kind == LC_IS_NULL || e->is_kind == LC_IS_NOT_NULL) {
    bool want_null = e->is_kind == LC_IS_NULL;
    if (a->k == VC_NULL) memset(r, want_null ? 0xFF : 0, nb);
    else if (!a->valid) memset(r, want_null ? 0 : 0xFF, nb);
    else if (a->scalar) lc_bit_put(r, 0, lc_bit_get(a->valid, 0) != want_null);
    else
      for (size_t i = 0; i < nb; i++) r[i] = want_null ? (uint8_t)~a->valid[i] : a->valid[i];
    return 0;
  }
  LC_TRY(materialize_bool(c, a, n));
  const uint8_t *x = (const uint8_t *)a->data;
  for (size_t i = 0; i < nb; i++) {
    uint8_t v = a->valid ? a->valid[i] : 0xFF;
    uint8_t t = x[i] & v, f = (uint8_t)(~x[i] & v);
    switch (e->is_kind) {
      case LC_IS_TRUE: r[i] = t; break;
      case LC_IS_NOT_TRUE: r[i] = (uint8_t)~t; break;
      case LC_IS_FALSE: r[i] = f; break;
      default: r[i] = (uint8_t)~f; break;
    }
  }
  return 0;
}

static int eval(ectx *c, const lc_expr *e, vec *out) {
  memset(out, 0, sizeof(*out));
  bool done;
  if (c->ncols) {
    LC_TRY(try_dict(c, e, out, &done));
    if (done) return 0;
  }
  vec a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  int rc = 0;
  switch (e->kind) {
    case LC_EXPR_LITERAL: return scalar_of(c, &e->value, out);
    case LC_EXPR_COLUMN:
      if (e->col_slot >= c->ncols) return lc_err(c->err, LANCEC_EINTERNAL, "filter: column slot out of range");
      return load_column(c, e, out);
    case LC_EXPR__REF:
      if (!c->ref) return lc_err(c->err, LANCEC_EINTERNAL, "filter: dangling reference");
      *out = *c->ref;
      out->own_data = out->own_valid = false;
      out->arena = NULL;
      return 0;
    case LC_EXPR_BINARY:
      if (lc_expr_op_is_cmp(e->op)) {
        if (c->ncols) {
          LC_TRY(try_fast_cmp(c, e, out, &done));
          if (done) return 0;
        }
        if (!(rc = eval(c, e->children[0], &a)) && !(rc = eval(c, e->children[1], &b))) rc = cmp_vecs(c, e->op, e->fzero_, &a, &b, out);
      } else if (lc_expr_op_is_logic(e->op)) {
        if ((rc = eval(c, e->children[0], &a))) break;
        /* as DataFusion: FALSE AND x / TRUE OR x skip x when the left side
         * is that value for the whole batch (so x cannot fail) */
        if (all_is(&a, a.scalar ? 1 : c->n, e->op == LC_OP_OR)) {
          *out = a;
          memset(&a, 0, sizeof a);
          break;
        }
        if (e->op == LC_OP_AND && !c->ref) {
          bool done2 = false;
          if ((rc = pre_select(c, e, &a, out, &done2))) break;
          if (done2) break;
        }
        if (!(rc = eval(c, e->children[1], &b))) rc = logic(c, e->op, &a, &b, out);
      } else {
        if (!(rc = eval(c, e->children[0], &a)) && !(rc = eval(c, e->children[1], &b))) rc = arith(c, e, &a, &b, out);
      }
      break;
    case LC_EXPR_NOT:
      if ((rc = eval(c, e->children[0], &a))) break;
      if (a.k == VC_NULL) {
        *out = a;
        memset(&a, 0, sizeof a);
        break;
      }
      rc = bool_out(c, a.scalar ? 1 : c->n, out);
      if (rc) break;
      out->scalar = a.scalar;
      if (!(rc = and_valid(c, &a, NULL, out->n, out))) {
        size_t nb = lc_bitmap_bytes(out->n);
        for (size_t i = 0; i < nb; i++) ((uint8_t *)out->data)[i] = (uint8_t)~((const uint8_t *)a.data)[i];
      }
      break;
    case LC_EXPR_NEG:
      if (!(rc = eval(c, e->children[0], &a))) rc = negate(c, e, &a, out);
      break;
    case LC_EXPR_IS:
      c->validity_only = (e->is_kind == LC_IS_NULL || e->is_kind == LC_IS_NOT_NULL) &&
                         e->children[0]->kind == LC_EXPR_COLUMN;
      rc = eval(c, e->children[0], &a);
      c->validity_only = false;
      if (!rc) rc = eval_is(c, e, &a, out);
      break;
    case LC_EXPR_IN_LIST:
    case LC_EXPR_BETWEEN: {
      if (!e->lowered_) return lc_err(c->err, LANCEC_EINTERNAL, "filter: unbound IN/BETWEEN");
      if (e->children[0]->kind == LC_EXPR_CAST && !e->children[0]->implicit) {
        /* an explicit CAST operand is copied into each comparison */
        rc = eval(c, e->lowered_, out);
        break;
      }
      if ((rc = eval(c, e->children[0], &a))) break;
      if (e->inset_) {
        rc = inset_eval(c, e, &a, out);
        break;
      }
      const vec *saved = c->ref;
      c->ref = &a;
      rc = eval(c, e->lowered_, out);
      c->ref = saved;
      if (!rc && out->scalar && !a.scalar && out->k != VC_NULL) rc = materialize_bool(c, out, c->n);
      break;
    }
    case LC_EXPR_LIKE:
      if (!(rc = eval(c, e->children[0], &a))) rc = like_eval(c, e, &a, out);
      break;
    case LC_EXPR_CAST:
      if (!(rc = eval(c, e->children[0], &a))) rc = cast_vec(c, e, &e->children[0]->type, &a, out);
      break;
  }
  vfree(&a);
  vfree(&b);
  if (rc) vfree(out);
  return rc;
}

/* ---- entry points -------------------------------------------------------------------- */

int lc_expr__fold(const lc_expr *e, lc_expr_value *val, lancec_error *err) {
  ectx c;
  memset(&c, 0, sizeof c);
  c.n = 1;
  c.err = err;
  vec v;
  LC_TRY(eval(&c, e, &v));
  memset(val, 0, sizeof(*val));
  val->type = e->type;
  val->type.field = NULL;
  if (v.k == VC_NULL || !vvalid(&v, 0) || e->type.id == LC_T_NULL) {
    val->type = lc_expr_type_of(LC_T_NULL);
    vfree(&v);
    return 0;
  }
  int rc = 0;
  switch (v.k) {
    case VC_BOOL: val->b = lc_bit_get((const uint8_t *)v.data, 0); break;
    case VC_I64: val->i = ((const int64_t *)v.data)[0]; break;
    case VC_U64: val->u = ((const uint64_t *)v.data)[0]; break;
    case VC_F64: val->f = ((const double *)v.data)[0]; break;
    case VC_DEC: val->dec = ((const lc_i128 *)v.data)[0]; break;
    case VC_STR: {
      sv s = ((const sv *)v.data)[0];
      val->str = lc_malloc((size_t)s.n + 1);
      if (!val->str) {
        rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
        break;
      }
      if (s.n) memcpy(val->str, s.p, (size_t)s.n);
      val->str[s.n] = 0;
      val->len = (size_t)s.n;
      break;
    }
    default: rc = lc_err(err, LANCEC_EINTERNAL, "filter: cannot fold");
  }
  vfree(&v);
  return rc;
}

int lc_expr_eval(const lc_expr *e, const lc_field *const *fields, size_t n_fields, const struct ArrowArray *batch,
                 uint8_t *keep, lancec_error *err) {
  if (!e || !batch || (!keep && batch->length > 0)) return lc_err(err, LANCEC_EINVAL, "filter: NULL argument");
  if (!e->bound) return lc_err(err, LANCEC_EINVAL, "filter: expression is not bound to a schema");
  if (batch->length < 0 || batch->offset < 0) return lc_err(err, LANCEC_EINVAL, "filter: bad batch");
  if (batch->n_children < (int64_t)n_fields || (n_fields && !batch->children))
    return lc_err(err, LANCEC_EINVAL, "filter: batch has %lld children, %zu fields given", (long long)batch->n_children, n_fields);
  ectx c;
  memset(&c, 0, sizeof c);
  c.n = batch->length;
  c.err = err;
  c.ncols = e->n_columns;
  colb *cols = NULL;
  if (c.ncols) {
    cols = lc_calloc(c.ncols, sizeof(colb));
    if (!cols) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    for (size_t i = 0; i < c.ncols; i++) {
      size_t j = 0;
      while (j < n_fields && (!fields[j] || !fields[j]->name || strcmp(fields[j]->name, e->columns[i]))) j++;
      if (j == n_fields || !batch->children[j]) {
        lc_free(cols);
        return lc_err(err, LANCEC_EINVAL, "filter: column '%s' is not in the batch", e->columns[i]);
      }
      cols[i] = (colb){fields[j], batch->children[j], batch->offset, e->columns[i]};
    }
  }
  c.cols = cols;
  size_t nb = lc_bitmap_bytes(c.n);
  if (nb) memset(keep, 0, nb);
  vec v;
  int rc = eval(&c, e, &v);
  lc_free(cols);
  if (rc) return rc;
  if (v.k == VC_BOOL && c.n > 0) {
    if (v.scalar) {
      if (vvalid(&v, 0) && lc_bit_get((const uint8_t *)v.data, 0)) {
        memset(keep, 0xFF, nb);
        if (c.n & 7) keep[nb - 1] = (uint8_t)((1u << (c.n & 7)) - 1);
      }
    } else {
      const uint8_t *d = (const uint8_t *)v.data;
      for (size_t i = 0; i < nb; i++) keep[i] = v.valid ? (uint8_t)(d[i] & v.valid[i]) : d[i];
      if (c.n & 7) keep[nb - 1] &= (uint8_t)((1u << (c.n & 7)) - 1);
    }
  }
  vfree(&v);
  return 0;
}
