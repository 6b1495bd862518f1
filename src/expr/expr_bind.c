/* Binding: resolve columns against a schema, type-check, insert implicit
 * casts, lower IN/BETWEEN to comparisons, fold constants, compile LIKE. */
#include <math.h>
#include <stdio.h>
#include <strings.h>

#include "expr/expr_internal.h"

typedef struct bctx {
  const lc_schema *schema;
  lancec_error *err;
  lc_expr *root;
  char **cols;
  size_t n_cols;
} bctx;

static lc_expr_type field_type(const lc_field *f) {
  while (f->type == LC_T_DICT && f->dict_value) f = f->dict_value;
  lc_expr_type t;
  memset(&t, 0, sizeof(t));
  t.id = f->type;
  t.precision = f->precision;
  t.scale = f->scale;
  t.unit = f->unit;
  t.width = f->width;
  t.field = f;
  return t;
}

static const char *tstr(const lc_expr_type *t, char *buf, size_t cap) { return lc_expr__type_str(t, buf, cap); }

static int add_column(bctx *c, const char *name, size_t *slot) {
  for (size_t i = 0; i < c->n_cols; i++)
    if (!strcmp(c->cols[i], name)) {
      *slot = i;
      return 0;
    }
  char **n2 = lc_realloc(c->cols, (c->n_cols + 1) * sizeof(char *));
  if (!n2) return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
  c->cols = n2;
  if (!(c->cols[c->n_cols] = lc_strdup(name))) return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
  *slot = c->n_cols++;
  return 0;
}

/* exact match first, then a unique case-insensitive match (unless quoted) */
static int find_named(lc_field *const *fs, size_t n, const char *name, bool exact_only, const lc_field **out) {
  for (size_t i = 0; i < n; i++)
    if (fs[i]->name && !strcmp(fs[i]->name, name)) {
      *out = fs[i];
      return 1;
    }
  if (exact_only) return 0;
  const lc_field *m = NULL;
  int cnt = 0;
  for (size_t i = 0; i < n; i++)
    if (fs[i]->name && !strcasecmp(fs[i]->name, name)) m = fs[i], cnt++;
  if (cnt == 1) *out = m;
  return cnt;
}

static int replace_part(bctx *c, lc_expr *e, size_t i, const char *name) {
  if (!strcmp(e->path[i], name)) return 0;
  char *d = lc_strdup(name);
  if (!d) return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
  lc_free(e->path[i]);
  e->path[i] = d;
  return 0;
}

static int bind_column(bctx *c, lc_expr *e) {
  const lc_field *f = NULL;
  e->special = 0;
  int cnt = c->schema ? find_named(c->schema->fields, c->schema->n_fields, e->path[0], e->quoted0, &f) : 0;
  if (cnt > 1) return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "ambiguous column '%s' (differs only in case; quote it)", e->path[0]);
  if (cnt == 0) {
    int sp = !strcmp(e->path[0], "_rowid") ? 1 : !strcmp(e->path[0], "_rowaddr") ? 2 : 0;
    if (!sp || e->path_len > 1) return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "unknown column '%s'", e->path[0]);
    e->special = sp;
    e->type = lc_expr_type_of(LC_T_UINT64);
    return add_column(c, e->path[0], &e->col_slot);
  }
  LC_TRY(replace_part(c, e, 0, f->name));
  for (size_t i = 1; i < e->path_len; i++) {
    char tb[128];
    if (f->type != LC_T_STRUCT) {
      lc_expr_type t = field_type(f);
      return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "cannot access field '%s' of %s column '%s'", e->path[i],
                          tstr(&t, tb, sizeof tb), e->path[i - 1]);
    }
    const lc_field *ch = NULL;
    int k = find_named(f->children, f->n_children, e->path[i], false, &ch);
    if (k > 1) return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "ambiguous field '%s' in '%s'", e->path[i], e->path[i - 1]);
    if (k == 0) return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "unknown field '%s' in struct '%s'", e->path[i], e->path[i - 1]);
    LC_TRY(replace_part(c, e, i, ch->name));
    f = ch;
  }
  e->type = field_type(f);
  if (lc_expr__class(e->type.id) == VC_BAD) {
    char tb[128];
    return lc_expr__err(c->err, LANCEC_EUNSUPPORTED, e->pos, "column '%s' has unsupported type %s", e->path[0],
                        tstr(&e->type, tb, sizeof tb));
  }
  return add_column(c, e->path[0], &e->col_slot);
}

/* ---- implicit casts --------------------------------------------------------- */

/* days, ms/us/ns/s, or -1 (not temporal); families: 1 date/timestamp, 2 time, 3 duration */
static int tfamily(lc_type_id t) {
  switch (t) {
    case LC_T_DATE32: case LC_T_DATE64: case LC_T_TIMESTAMP: return 1;
    case LC_T_TIME32: case LC_T_TIME64: return 2;
    case LC_T_DURATION: return 3;
    default: return 0;
  }
}
static int trepr(const lc_expr_type *t) { /* representation unit: 0 days, 1 s, 2 ms, 3 us, 4 ns */
  if (t->id == LC_T_DATE32) return 0;
  if (t->id == LC_T_DATE64) return 2;
  return 1 + (int)t->unit;
}

/* would values of a need conversion to be read as type b? */
static bool same_repr(const lc_expr_type *a, const lc_expr_type *b) {
  vclass ca = lc_expr__class(a->id), cb = lc_expr__class(b->id);
  if (ca != cb) return false;
  if (ca == VC_DEC) return a->scale == b->scale;
  if (ca == VC_I64) {
    int fa = tfamily(a->id), fb = tfamily(b->id);
    if (fa != fb) return false;
    if (fa) return trepr(a) == trepr(b);
    return true;
  }
  return true;
}

static int wrap_cast(bctx *c, lc_expr **slot, lc_expr_type to) {
  lc_expr *x = *slot;
  to.field = NULL;
  if (same_repr(&x->type, &to)) return 0;
  /* (a number like 19.99 is a double, converted to a decimal as Arrow does:
   * round(v * 10^scale) in double precision) */
  lc_expr *k = lc_expr__new(LC_EXPR_CAST);
  if (!k) return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
  k->children = lc_calloc(1, sizeof(lc_expr *));
  if (!k->children) {
    lc_free(k);
    return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
  }
  k->children[0] = x;
  k->n_children = 1;
  k->implicit = true;
  k->cast_to = to;
  k->type = to;
  k->pos = x->pos;
  k->bound = true;
  *slot = k;
  if (x->kind == LC_EXPR_LITERAL) {
    lc_expr_value v;
    memset(&v, 0, sizeof v);
    LC_TRY(lc_expr__fold(k, &v, c->err));
    uint32_t pos = x->pos;
    k->children[0] = NULL;
    k->n_children = 0;
    lc_expr_free(x);
    k->kind = LC_EXPR_LITERAL;
    k->implicit = false;
    k->value = v;
    k->type = v.type;
    k->pos = pos;
  }
  return 0;
}

static int tscale(const lc_expr *x) {
  if (x->type.id == LC_T_DECIMAL128 || x->type.id == LC_T_DECIMAL256) return x->type.scale;
  return 0;
}
static bool is_decish(const lc_expr *x) {
  return x->type.id == LC_T_DECIMAL128 || x->type.id == LC_T_DECIMAL256;
}

static int cant(bctx *c, lc_expr *e, const char *what, const lc_expr_type *a, const lc_expr_type *b) {
  char t1[128], t2[128];
  return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "cannot %s %s with %s", what, tstr(a, t1, sizeof t1), tstr(b, t2, sizeof t2));
}

/* is the temporal literal x exactly representable in type t? */
static bool exact_in(const lc_expr *x, const lc_expr_type *t) {
  static const int64_t per_day[5] = {1, 86400LL, 86400000LL, 86400000000LL, 86400000000000LL};
  if (tfamily(x->type.id) != tfamily(t->id)) return false;
  int from = trepr(&x->type), to = trepr(t);
  if (tfamily(t->id) != 1 && (from == 0 || to == 0)) return false;
  lc_i128 num = (lc_i128)x->value.i * per_day[to];
  if (num % per_day[from] != 0) return false;
  lc_i128 q = num / per_day[from];
  if (t->id == LC_T_DATE32) return q >= INT32_MIN && q <= INT32_MAX;
  if (t->id == LC_T_DATE64 && q % 86400000 != 0) return false;
  return q >= INT64_MIN && q <= INT64_MAX;
}

/* ---- DataFusion's numeric coercion ---------------------------------------------- */

static bool int_signed(lc_type_id t) { return ((t - LC_T_INT8) & 1) == 0; }
static int int_bits(lc_type_id t) { return 8 << ((t - LC_T_INT8) / 2); }
static lc_type_id int_of(int bits, bool sgn) {
  int k = bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : 3;
  return (lc_type_id)(LC_T_INT8 + 2 * k + (sgn ? 0 : 1));
}

/* The narrowest integer type holding every value of both (DataFusion's
 * numerical coercion); LC_T_DECIMAL128 means decimal(20,0) (uint64 with a
 * signed type). */
static lc_type_id int_common(lc_type_id a, lc_type_id b) {
  if (a == b) return a;
  bool sa = int_signed(a), sb = int_signed(b);
  int wa = int_bits(a), wb = int_bits(b);
  if (sa == sb) return wa >= wb ? a : b;
  int wu = sa ? wb : wa, ws = sa ? wa : wb;
  if (wu == 64) return LC_T_DECIMAL128;
  int w = 2 * wu > ws ? 2 * wu : ws;
  return int_of(w, true);
}

static lc_expr_type dec20(void) {
  lc_expr_type t = lc_expr_type_of(LC_T_DECIMAL128);
  t.precision = 20;
  t.scale = 0;
  return t;
}

/* A numeric type as DataFusion's decimal: integers (3|5|10|20, 0), float32
 * (14,7), double (30,15); decimals as they are (at most 38 digits). */
static lc_expr_type dec_of(const lc_expr_type *t) {
  lc_expr_type d = lc_expr_type_of(LC_T_DECIMAL128);
  d.scale = 0;
  switch (t->id) {
    case LC_T_INT8: case LC_T_UINT8: d.precision = 3; break;
    case LC_T_INT16: case LC_T_UINT16: d.precision = 5; break;
    case LC_T_INT32: case LC_T_UINT32: d.precision = 10; break;
    case LC_T_INT64: case LC_T_UINT64: d.precision = 20; break;
    case LC_T_FLOAT: case LC_T_HALF: d.precision = 14, d.scale = 7; break;
    case LC_T_DOUBLE: d.precision = 30, d.scale = 15; break;
    case LC_T_DECIMAL128: case LC_T_DECIMAL256:
      d.precision = t->precision > 38 ? 38 : t->precision;
      d.scale = t->scale;
      break;
    default: break;
  }
  return d;
}

/* the decimal holding both (DataFusion's wider decimal type) */
static lc_expr_type dec_common(lc_expr_type a, lc_expr_type b) {
  lc_expr_type d = lc_expr_type_of(LC_T_DECIMAL128);
  int32_t s = a.scale > b.scale ? a.scale : b.scale;
  int32_t ra = a.precision - a.scale, rb = b.precision - b.scale;
  int32_t p = (ra > rb ? ra : rb) + s;
  d.precision = p > 38 ? 38 : p;
  d.scale = s;
  return d;
}

/* ---- Lance's literal coercion --------------------------------------------------------
 * Before DataFusion sees a filter, Lance converts literals next to a column
 * reference to the column's type and rejects the filter when one does not
 * convert (lance-datafusion resolve_expr / safe_coerce_scalar): at the top
 * level and under AND/OR only (not under NOT, IS, ...), for `column op x`
 * and `x op column` (x a literal, or for the left column any arithmetic /
 * comparison tree whose literal leaves all convert), `column [NOT] BETWEEN
 * x AND y` and `column [NOT] IN (x, ...)` (a top-level column only).
 * Conversions: integers to any integer type in range, to float32/double and
 * to decimals within the precision; floats to float32/double; strings to
 * (large) strings (not binary); booleans to booleans; NULL to anything.
 * Nothing converts to float16. */

/* The type of a column reference (false: not a column): a schema column,
 * or _rowid / _rowaddr (uint64; Lance's filter schema has them). */
static bool peek_type(bctx *c, const lc_expr *e, lc_expr_type *out) {
  if (e->kind != LC_EXPR_COLUMN || !e->path_len) return false;
  const lc_field *f = NULL;
  int cnt = c->schema ? find_named(c->schema->fields, c->schema->n_fields, e->path[0], e->quoted0, &f) : 0;
  if (cnt == 0 && e->path_len == 1 && (!strcmp(e->path[0], "_rowid") || !strcmp(e->path[0], "_rowaddr"))) {
    *out = lc_expr_type_of(LC_T_UINT64);
    return true;
  }
  if (cnt != 1) return false;
  for (size_t i = 1; i < e->path_len; i++) {
    const lc_field *ch = NULL;
    if (f->type != LC_T_STRUCT || find_named(f->children, f->n_children, e->path[i], false, &ch) != 1) return false;
    f = ch;
  }
  *out = field_type(f);
  out->field = NULL;
  return true;
}

/* Is x a literal Lance would convert (a number, string, boolean or NULL as
 * written; DATE/TIMESTAMP literals are casts there and pass)? */
static bool lance_lit(const lc_expr *x) {
  if (x->kind != LC_EXPR_LITERAL) return false;
  switch (x->value.type.id) {
    case LC_T_NULL: case LC_T_BOOL: case LC_T_INT64: case LC_T_UINT64: case LC_T_DOUBLE: case LC_T_STRING: return true;
    default: return false;
  }
}

static int lit_mismatch(bctx *c, const lc_expr *x, const lc_expr_type *t, const lc_expr *col) {
  char tb[128], vb[96];
  const lc_expr_value *v = &x->value;
  switch (v->type.id) {
    case LC_T_INT64: snprintf(vb, sizeof vb, "%lld", (long long)v->i); break;
    case LC_T_UINT64: snprintf(vb, sizeof vb, "%llu", (unsigned long long)v->u); break;
    case LC_T_DOUBLE: lc_expr__fmt_double(v->f, vb, sizeof vb); break;
    case LC_T_BOOL: snprintf(vb, sizeof vb, "%s", v->b ? "true" : "false"); break;
    default: snprintf(vb, sizeof vb, "'%.60s'", v->str ? v->str : ""); break;
  }
  return lc_expr__err(c->err, LANCEC_EINVAL, x->pos, "literal %s does not convert to %s (the type of column '%s')", vb,
                      tstr(t, tb, sizeof tb), col->path[col->path_len - 1]);
}

/* Convert literal x to the column type t in place (error when it does not
 * convert). Integer literals next to an integer or decimal column keep their
 * type unless `retype` (inside arithmetic, where the type decides the width). */
static int lance_convert(bctx *c, lc_expr *x, lc_expr_type t, const lc_expr *col, bool retype) {
  lc_expr_value *v = &x->value;
  lc_type_id L = v->type.id, T = t.id;
  if (L == LC_T_NULL) return 0;
  if (L == LC_T_INT64 || L == LC_T_UINT64) {
    lc_i128 w = L == LC_T_INT64 ? (lc_i128)v->i : (lc_i128)v->u;
    if (lc_expr__is_int(T)) {
      lc_i128 lo = int_signed(T) ? -((lc_i128)1 << (int_bits(T) - 1)) : 0;
      lc_i128 hi = int_signed(T) ? ((lc_i128)1 << (int_bits(T) - 1)) - 1 : ((lc_i128)1 << int_bits(T)) - 1;
      if (w < lo || w > hi) return lit_mismatch(c, x, &t, col);
      if (!retype) return 0;
      v->type = t;
      if (T == LC_T_UINT64) v->u = (uint64_t)w;
      else v->i = (int64_t)w;
      x->type = t;
      return 0;
    }
    if (T == LC_T_FLOAT || T == LC_T_DOUBLE) { /* (not to float16: Lance rejects it) */
      double d = (double)w;
      if (T == LC_T_FLOAT) d = (double)(float)w;
      v->type = t;
      v->f = d;
      v->has_dec = false;
      x->type = t;
      return 0;
    }
    if (T == LC_T_DECIMAL128 || T == LC_T_DECIMAL256) {
      int32_t p = t.precision > 38 ? 38 : t.precision, sc = t.scale;
      lc_i128 u = w;
      if (sc > 0 && (sc > 38 || __builtin_mul_overflow(w, lc_expr__pow10(sc), &u))) return lit_mismatch(c, x, &t, col);
      if (sc < 0) return lit_mismatch(c, x, &t, col);
      lc_i128 lim = lc_expr__pow10(p);
      if (u >= lim || u <= -lim) return lit_mismatch(c, x, &t, col);
      if (!retype) return 0;
      v->type = t;
      v->type.id = LC_T_DECIMAL128;
      v->dec = u;
      x->type = v->type;
      return 0;
    }
    return lit_mismatch(c, x, &t, col);
  }
  if (L == LC_T_DOUBLE) {
    if (T == LC_T_DOUBLE) return 0;
    if (T == LC_T_FLOAT) {
      v->type = t;
      v->f = (double)(float)v->f;
      v->has_dec = false;
      x->type = t;
      return 0;
    }
    return lit_mismatch(c, x, &t, col);
  }
  if (L == LC_T_STRING) return lc_expr__is_string(T) ? 0 : lit_mismatch(c, x, &t, col);
  if (L == LC_T_BOOL) return T == LC_T_BOOL ? 0 : lit_mismatch(c, x, &t, col);
  return 0;
}

/* coerce_expr: literals (also the leaves of arithmetic / comparison trees) */
static int lance_coerce(bctx *c, lc_expr *x, lc_expr_type t, const lc_expr *col, bool in_arith, int depth) {
  if (depth > LC_EXPR_MAX_DEPTH) return 0;
  if (x->kind == LC_EXPR_BINARY) {
    for (size_t i = 0; i < x->n_children; i++) LC_TRY(lance_coerce(c, x->children[i], t, col, true, depth + 1));
    return 0;
  }
  if (lance_lit(x)) return lance_convert(c, x, t, col, in_arith);
  return 0;
}

/* When the whole filter is `-column op literal`, real Lance rewrites it to
 * `column op' -literal` while planning (as DataFusion's pruning predicate
 * does): a literal equal to the column type's minimum makes that negation
 * overflow, an error (`-i8 = -128`); elsewhere -column wraps. */
static int neg_min_check(bctx *c, const lc_expr *e, const lc_expr *n, const lc_expr *lit) {
  lc_expr_type t;
  if (e->op != LC_OP_EQ && e->op != LC_OP_LE && e->op != LC_OP_GE) return 0; /* (< > != fold away) */
  if (n->kind != LC_EXPR_NEG || n->children[0]->kind != LC_EXPR_COLUMN || lit->kind != LC_EXPR_LITERAL ||
      !peek_type(c, n->children[0], &t) || !lc_expr__is_int(t.id) || !int_signed(t.id))
    return 0;
  lc_i128 mn = -((lc_i128)1 << (int_bits(t.id) - 1));
  bool hit = (lit->value.type.id == LC_T_INT64 && lit->value.i == mn) ||
             (lit->value.type.id == LC_T_DOUBLE && lit->value.f == (double)mn && t.id == LC_T_INT64);
  if (!hit) return 0;
  char tb[64];
  return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "arithmetic overflow: -(%s minimum) (pruning rewrites -%s)",
                      tstr(&t, tb, sizeof tb), n->children[0]->path[n->children[0]->path_len - 1]);
}

static int lance_resolve(bctx *c, lc_expr *e, int depth) {
  if (depth > LC_EXPR_MAX_DEPTH) return 0;
  lc_expr_type t;
  switch (e->kind) {
    case LC_EXPR_BINARY:
      if (lc_expr_op_is_logic(e->op)) {
        LC_TRY(lance_resolve(c, e->children[0], depth + 1));
        return lance_resolve(c, e->children[1], depth + 1);
      }
      if (lc_expr_op_is_cmp(e->op) && depth == 0)
        for (int k = 0; k < 2; k++) LC_TRY(neg_min_check(c, e, e->children[k], e->children[1 - k]));
      if (peek_type(c, e->children[0], &t)) {
        lc_expr *r = e->children[1];
        if (lance_lit(r)) return lance_convert(c, r, t, e->children[0], false);
        if (r->kind == LC_EXPR_BINARY) return lance_coerce(c, r, t, e->children[0], true, depth + 1);
        return 0;
      }
      if (peek_type(c, e->children[1], &t) && lance_lit(e->children[0]))
        return lance_convert(c, e->children[0], t, e->children[1], false);
      return 0;
    case LC_EXPR_BETWEEN:
      if (peek_type(c, e->children[0], &t)) {
        LC_TRY(lance_coerce(c, e->children[1], t, e->children[0], false, depth + 1));
        return lance_coerce(c, e->children[2], t, e->children[0], false, depth + 1);
      }
      return 0;
    case LC_EXPR_IN_LIST:
      if (e->children[0]->path_len == 1 && peek_type(c, e->children[0], &t))
        for (size_t i = 1; i < e->n_children; i++) LC_TRY(lance_coerce(c, e->children[i], t, e->children[0], false, depth + 1));
      return 0;
    default: return 0;
  }
}

static int unify_cmp(bctx *c, lc_expr *e, lc_expr **pl, lc_expr **pr) {
  lc_expr *l = *pl, *r = *pr;
  char t1b[128];
  lc_type_id L = l->type.id, R = r->type.id;
  if (L == LC_T_NULL || R == LC_T_NULL) {
    if (lc_expr__class(L) == VC_VALID || lc_expr__class(R) == VC_VALID) return cant(c, e, "compare", &l->type, &r->type);
    return 0;
  }
  vclass cl = lc_expr__class(L), cr = lc_expr__class(R);
  if (cl == VC_VALID || cr == VC_VALID || cl == VC_BAD || cr == VC_BAD) return cant(c, e, "compare", &l->type, &r->type);
  if (lc_expr__is_numeric(L) && lc_expr__is_numeric(R)) {
    /* integers compare exactly (what DataFusion's widening to a common
     * integer / decimal(20,0) type amounts to) */
    if (lc_expr__is_int(L) && lc_expr__is_int(R)) return 0;
    bool lf = lc_expr__is_float(L), rf = lc_expr__is_float(R);
    if ((lf || rf) && (is_decish(l) || is_decish(r))) {
      /* decimal with float: as decimals, the float as decimal(30,15)
       * (float32: (14,7)); a value that does not fit is an error */
      lc_expr_type d = dec_common(dec_of(&l->type), dec_of(&r->type));
      LC_TRY(wrap_cast(c, pl, d));
      return wrap_cast(c, pr, d);
    }
    if (lf || rf) {
      /* float with float/integer: float32 unless a double is involved, so an
       * integer next to a float32 is rounded to float32 */
      bool dbl = L == LC_T_DOUBLE || R == LC_T_DOUBLE || L == LC_T_HALF || R == LC_T_HALF;
      lc_expr_type d = lc_expr_type_of(dbl ? LC_T_DOUBLE : LC_T_FLOAT);
      LC_TRY(wrap_cast(c, pl, d));
      return wrap_cast(c, pr, d);
    }
    lc_expr_type d = lc_expr_type_of(LC_T_DECIMAL128);
    d.scale = tscale(l) > tscale(r) ? tscale(l) : tscale(r);
    LC_TRY(wrap_cast(c, pl, d));
    return wrap_cast(c, pr, d);
  }
  if (cl == VC_STR && cr == VC_STR) return 0;
  if (L == LC_T_BOOL && R == LC_T_BOOL) return 0;
  int fl = tfamily(L), fr = tfamily(R);
  if (fl && fr) {
    if (fl != fr) return cant(c, e, "compare", &l->type, &r->type);
    if (L == LC_T_DATE32 && R == LC_T_DATE32) return 0;
    bool ld = L == LC_T_DATE32 || L == LC_T_DATE64, rd = R == LC_T_DATE32 || R == LC_T_DATE64;
    bool llit = l->kind == LC_EXPR_LITERAL, rlit = r->kind == LC_EXPR_LITERAL;
    if (fl == 1 && ld != rd) {
      /* the date literal becomes timestamp(ns) first: outside 1677..2262 an error */
      const lc_expr *dl = ld ? l : r;
      if (dl->kind == LC_EXPR_LITERAL) {
        int64_t days = dl->type.id == LC_T_DATE32 ? dl->value.i : dl->value.i / 86400000;
        if (days < -106751 || days > 106751)
          return lc_expr__err(c->err, LANCEC_EINVAL, dl->pos, "date %s out of the timestamp(ns) range",
                              tstr(&dl->type, t1b, sizeof t1b));
      }
    }
    if (fl == 1 && ld != rd && ((ld && !llit) || (rd && !rlit))) {
      /* DataFusion compares a date with a timestamp as timestamp(ns): a
       * date value outside 1677..2262 is an error */
      lc_expr_type d = lc_expr_type_of(LC_T_TIMESTAMP);
      d.unit = LC_UNIT_NS;
      LC_TRY(wrap_cast(c, pl, d));
      return wrap_cast(c, pr, d);
    }
    /* a literal is converted to the other side's type (exact, or truncated
     * toward zero to a coarser timestamp unit), so the column is read as
     * stored (fast path, min/max pruning) */
    if (rlit && !llit && (exact_in(r, &l->type) || (L == LC_T_TIMESTAMP && R == LC_T_TIMESTAMP)))
      return wrap_cast(c, pr, l->type);
    if (llit && !rlit && (exact_in(l, &r->type) || (L == LC_T_TIMESTAMP && R == LC_T_TIMESTAMP)))
      return wrap_cast(c, pl, r->type);
    if (same_repr(&l->type, &r->type)) return 0;
    if (L == LC_T_TIMESTAMP && R == LC_T_TIMESTAMP) {
      /* timestamps of different units compare at the coarser one */
      lc_expr_type d = l->type.unit < r->type.unit ? l->type : r->type;
      LC_TRY(wrap_cast(c, pl, d));
      return wrap_cast(c, pr, d);
    }
    int rep = trepr(&l->type) > trepr(&r->type) ? trepr(&l->type) : trepr(&r->type);
    if (rep == 0) rep = 1;
    lc_expr_type d = lc_expr_type_of(fl == 1 ? LC_T_TIMESTAMP : fl == 2 ? LC_T_TIME64 : LC_T_DURATION);
    d.unit = (lc_time_unit)(rep - 1);
    LC_TRY(wrap_cast(c, pl, d));
    return wrap_cast(c, pr, d);
  }
  if (fl && lc_expr__is_string(R) && fl != 3) return wrap_cast(c, pr, l->type);
  if (fr && lc_expr__is_string(L) && fr != 3) return wrap_cast(c, pl, r->type);
  return cant(c, e, "compare", &l->type, &r->type);
}

static int arith_err(bctx *c, lc_expr *e) {
  char t1[128], t2[128];
  static const char *const ops[] = {"", "", "", "", "", "", "", "", "+", "-", "*", "/", "%"};
  return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "cannot apply '%s' to %s and %s", ops[e->op],
                      tstr(&e->children[0]->type, t1, sizeof t1), tstr(&e->children[1]->type, t2, sizeof t2));
}

/* Arithmetic follows DataFusion: integers in the common integer type of the
 * two operands (wrapping on overflow; uint64 with a signed type goes
 * through decimal(20,0)), float32 unless a double is involved, decimals
 * exactly (a float with a decimal: double). */
static int bind_arith(bctx *c, lc_expr *e) {
  lc_expr **pl = &e->children[0], **pr = &e->children[1];
  lc_expr *l = *pl, *r = *pr;
  lc_type_id L = l->type.id, R = r->type.id;
  if ((L != LC_T_NULL && !lc_expr__is_numeric(L)) || (R != LC_T_NULL && !lc_expr__is_numeric(R))) return arith_err(c, e);
  if (L == LC_T_NULL || R == LC_T_NULL) {
    e->type = lc_expr_type_of(LC_T_NULL);
    return 0;
  }
  if (lc_expr__is_int(L) && lc_expr__is_int(R)) {
    lc_type_id t = int_common(L, R);
    if (t != LC_T_DECIMAL128) {
      lc_expr_type d = lc_expr_type_of(t);
      LC_TRY(wrap_cast(c, pl, d));
      LC_TRY(wrap_cast(c, pr, d));
      e->type = d;
      return 0;
    }
    /* uint64 with a signed integer: decimal(20,0) */
    LC_TRY(wrap_cast(c, pl, dec20()));
    LC_TRY(wrap_cast(c, pr, dec20()));
    l = *pl, r = *pr, L = l->type.id, R = r->type.id;
  }
  bool lf = lc_expr__is_float(L), rf = lc_expr__is_float(R);
  if (lf || rf) {
    bool dbl = L == LC_T_DOUBLE || R == LC_T_DOUBLE || is_decish(l) || is_decish(r) || L == LC_T_HALF || R == LC_T_HALF;
    lc_expr_type d = lc_expr_type_of(dbl ? LC_T_DOUBLE : LC_T_FLOAT);
    LC_TRY(wrap_cast(c, pl, d));
    LC_TRY(wrap_cast(c, pr, d));
    e->type = d;
    return 0;
  }
  /* decimals (an integer operand as DataFusion's decimal of its width);
   * result precision and scale as DataFusion's (at most 38 digits) */
  lc_expr_type dl = dec_of(&l->type), dr = dec_of(&r->type), d = lc_expr_type_of(LC_T_DECIMAL128);
  int32_t p1 = dl.precision, s1 = dl.scale, p2 = dr.precision, s2 = dr.scale;
  int32_t smax = s1 > s2 ? s1 : s2, r1 = p1 - s1, r2 = p2 - s2, p;
  switch (e->op) {
    case LC_OP_MUL:
      d.scale = s1 + s2;
      p = p1 + p2 + 1;
      if (d.scale > 38) return lc_expr__err(c->err, LANCEC_EUNSUPPORTED, e->pos, "decimal product scale %d above 38", d.scale);
      break;
    case LC_OP_DIV:
      /* the quotient gets the dividend's scale + 4 */
      d.scale = s1 + 4 > 38 ? 38 : s1 + 4;
      p = p1 - s1 + s2 + d.scale;
      break;
    case LC_OP_MOD:
      dl.scale = dr.scale = d.scale = smax;
      p = (r1 < r2 ? r1 : r2) + smax;
      break;
    default:
      dl.scale = dr.scale = d.scale = smax;
      p = (r1 > r2 ? r1 : r2) + smax + 1;
      break;
  }
  d.precision = p > 38 ? 38 : p;
  dl.precision = 38, dr.precision = 38; /* rescaling operands never overflows */
  LC_TRY(wrap_cast(c, pl, dl));
  LC_TRY(wrap_cast(c, pr, dr));
  e->type = d;
  return 0;
}

static bool cast_ok(const lc_expr_type *from, const lc_expr_type *to) {
  lc_type_id f = from->id, t = to->id;
  if (f == LC_T_NULL) return lc_expr__class(t) != VC_BAD && lc_expr__class(t) != VC_VALID;
  vclass cf = lc_expr__class(f);
  if (cf == VC_VALID || cf == VC_BAD) return false;
  bool fnum = lc_expr__is_numeric(f) || f == LC_T_BOOL, fstr = cf == VC_STR;
  switch (t) {
    case LC_T_BOOL:
    case LC_T_INT8: case LC_T_UINT8: case LC_T_INT16: case LC_T_UINT16: case LC_T_INT32:
    case LC_T_UINT32: case LC_T_INT64: case LC_T_UINT64:
    case LC_T_HALF: case LC_T_FLOAT: case LC_T_DOUBLE:
      return fnum || fstr || (lc_expr__is_int(t) && tfamily(f) != 0);
    case LC_T_DECIMAL128: case LC_T_DECIMAL256: return fnum || fstr;
    case LC_T_STRING: case LC_T_LARGE_STRING: return true;
    case LC_T_BINARY: case LC_T_LARGE_BINARY: case LC_T_FIXED_BINARY: return fstr;
    case LC_T_DATE32: case LC_T_DATE64: case LC_T_TIMESTAMP:
      return fstr || tfamily(f) == 1 || (t == LC_T_TIMESTAMP && lc_expr__is_int(f));
    case LC_T_TIME32: case LC_T_TIME64: return fstr || tfamily(f) == 2 || (f == LC_T_TIMESTAMP);
    case LC_T_DURATION: return tfamily(f) == 3 || lc_expr__is_int(f);
    default: return false;
  }
}

/* ---- DataFusion's "unwrap cast in comparison" ------------------------------------
 * `CAST(x AS t) op literal` is rewritten to `x op literal'` when the literal
 * converts exactly to t and then to x's type (integers, decimals, dates,
 * timestamps, strings; not floats): the cast is then never evaluated, so it
 * cannot fail, and a narrowing cast does not truncate (DataFusion 54). */

static bool unwrap_type(lc_type_id t) {
  return lc_expr__is_int(t) || t == LC_T_DECIMAL128 || t == LC_T_DECIMAL256 || t == LC_T_DATE32 ||
         t == LC_T_DATE64 || t == LC_T_TIMESTAMP || lc_expr__is_string(t) || t == LC_T_BINARY ||
         t == LC_T_FIXED_BINARY;
}

/* the literal v as an exact value of type t (false: not exact / not supported) */
static bool exact_value(const lc_expr_value *v, const lc_expr_type *t, lc_expr_value *out) {
  lc_type_id L = v->type.id, T = t->id;
  memset(out, 0, sizeof *out);
  out->type = *t;
  out->type.field = NULL;
  if (!unwrap_type(L) || !unwrap_type(T)) return false;
  bool ld = L == LC_T_DATE32 || L == LC_T_DATE64, td = T == LC_T_DATE32 || T == LC_T_DATE64;
  if ((ld && T == LC_T_TIMESTAMP) || (td && L == LC_T_TIMESTAMP)) return false; /* lossy temporal */
  if (lc_expr__is_string(L) || lc_expr__is_string(T)) {
    if (!lc_expr__is_string(L) || !lc_expr__is_string(T)) return false;
    out->str = v->str, out->len = v->len; /* borrowed; copied by the caller */
    return true;
  }
  if (L == LC_T_BINARY || L == LC_T_FIXED_BINARY || T == LC_T_BINARY || T == LC_T_FIXED_BINARY) return false;
  /* numeric-like: value as (unscaled, scale) */
  lc_i128 w;
  int32_t sc = 0;
  if (L == LC_T_UINT64) w = (lc_i128)v->u;
  else if (L == LC_T_DECIMAL128 || L == LC_T_DECIMAL256) w = v->dec, sc = v->type.scale;
  else w = v->i;
  if (L == LC_T_TIMESTAMP && T == LC_T_TIMESTAMP) {
    /* unit change; to a coarser unit truncates (DataFusion allows it) */
    int64_t from = lc_expr__unit_per_sec(v->type.unit), to = lc_expr__unit_per_sec(t->unit);
    if (to >= from) {
      if (__builtin_mul_overflow(w, (lc_i128)(to / from), &w) || w > INT64_MAX || w < INT64_MIN) return false;
    } else {
      w /= (from / to);
    }
    out->i = (int64_t)w;
    return true;
  }
  if (T == LC_T_DECIMAL128 || T == LC_T_DECIMAL256) {
    int32_t ts = t->scale, p = t->precision > 38 ? 38 : t->precision;
    if (ts < sc) {
      lc_i128 m = lc_expr__pow10(sc - ts > 38 ? 38 : sc - ts);
      if (w % m) return false;
      w /= m;
    } else if (ts > sc) {
      if (ts - sc > 38 || __builtin_mul_overflow(w, lc_expr__pow10(ts - sc), &w)) return false;
    }
    lc_i128 lim = lc_expr__pow10(p);
    if (w >= lim || w <= -lim) return false;
    out->type.id = LC_T_DECIMAL128;
    out->dec = w;
    return true;
  }
  if (sc > 0) {
    lc_i128 m = lc_expr__pow10(sc > 38 ? 38 : sc);
    if (w % m) return false;
    w /= m;
  } else if (sc < 0) {
    return false;
  }
  lc_i128 lo, hi;
  if (lc_expr__is_int(T)) {
    lo = int_signed(T) ? -((lc_i128)1 << (int_bits(T) - 1)) : 0;
    hi = int_signed(T) ? ((lc_i128)1 << (int_bits(T) - 1)) - 1 : ((lc_i128)1 << int_bits(T)) - 1;
  } else if (T == LC_T_DATE32) {
    lo = INT32_MIN, hi = INT32_MAX;
  } else {
    lo = INT64_MIN, hi = INT64_MAX;
  }
  if (w < lo || w > hi) return false;
  if (T == LC_T_UINT64) out->u = (uint64_t)w;
  else out->i = (int64_t)w;
  return true;
}

/* a chain of CASTs with an explicit one in it */
static bool has_explicit_cast(const lc_expr *x) {
  for (; x->kind == LC_EXPR_CAST && x->n_children == 1; x = x->children[0])
    if (!x->implicit) return true;
  return false;
}

/* *pcast: CAST node (explicit, or implicit around one) over a non-literal;
 * *plit: a bound literal. Unwraps as long as DataFusion would. */
static int unwrap_casts(bctx *c, lc_expr **pcast, lc_expr *lit) {
  for (;;) {
    lc_expr *k = *pcast;
    if (k->kind != LC_EXPR_CAST || k->n_children != 1 || k->children[0]->kind == LC_EXPR_LITERAL) return 0;
    lc_expr *x = k->children[0];
    lc_expr_value v1, v2;
    if (!exact_value(&lit->value, &k->type, &v1) || !exact_value(&v1, &x->type, &v2)) return 0;
    /* replace the literal's value (strings: copy), drop the cast */
    lc_expr_value nv = v2;
    nv.str = NULL;
    if (v2.str || lc_expr__is_string(v2.type.id)) {
      nv.str = lc_malloc(lit->value.len + 1);
      if (!nv.str) return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
      if (lit->value.len) memcpy(nv.str, lit->value.str, lit->value.len);
      nv.str[lit->value.len] = 0;
      nv.len = lit->value.len;
    }
    lc_expr__value_free(&lit->value);
    lit->value = nv;
    lit->type = nv.type;
    *pcast = x;
    k->children[0] = NULL;
    k->n_children = 0;
    lc_expr_free(k);
  }
}

static int bind_node(bctx *c, lc_expr *e);

/* same literal value (as DataFusion's ScalarValue equality; NULL = NULL) */
static bool same_lit(const lc_expr_value *a, const lc_expr_value *b) {
  vclass ka = lc_expr__class(a->type.id), kb = lc_expr__class(b->type.id);
  if (ka == VC_NULL || kb == VC_NULL) return ka == kb;
  if (ka == VC_STR && kb == VC_STR) return a->len == b->len && (!a->len || !memcmp(a->str, b->str, a->len));
  if (ka == VC_BOOL && kb == VC_BOOL) return a->b == b->b;
  bool ia = ka == VC_I64 || ka == VC_U64, ib = kb == VC_I64 || kb == VC_U64;
  if (ia && ib) {
    if (lc_expr__is_temporal(a->type.id) != lc_expr__is_temporal(b->type.id)) return false;
    lc_i128 x = ka == VC_U64 ? (lc_i128)a->u : a->i, y = kb == VC_U64 ? (lc_i128)b->u : b->i;
    return x == y;
  }
  if ((ka == VC_F64 || ia) && (kb == VC_F64 || ib)) {
    double x = ka == VC_F64 ? a->f : ka == VC_U64 ? (double)a->u : (double)a->i;
    double y = kb == VC_F64 ? b->f : kb == VC_U64 ? (double)b->u : (double)b->i;
    return memcmp(&x, &y, sizeof x) == 0;
  }
  if (ka == VC_DEC && kb == VC_DEC) return a->dec == b->dec && a->type.scale == b->type.scale;
  return false;
}

static bool same_column(const lc_expr *a, const lc_expr *b) {
  if (a->kind != LC_EXPR_COLUMN || b->kind != LC_EXPR_COLUMN || a->path_len != b->path_len) return false;
  for (size_t i = 0; i < a->path_len; i++)
    if (strcmp(a->path[i], b->path[i])) return false;
  return true;
}

static bool literal_items(const lc_expr *in) {
  for (size_t i = 1; i < in->n_children; i++)
    if (in->children[i]->kind != LC_EXPR_LITERAL) return false;
  return true;
}

/* DataFusion's IN-list simplifier on `x IN A AND x IN B` (→ x IN A∩B),
 * `x IN A AND x NOT IN B` (→ x IN A\B), `x NOT IN A AND x IN B`
 * (→ x IN B\A) and `x NOT IN A OR x NOT IN B` (→ x NOT IN A∩B), with the
 * lists taken as sets of values in which NULL is a value: so
 * `x IN (1, NULL) AND x NOT IN (NULL)` is `x IN (1)`. Replaces e in place
 * (1), 0 when it does not apply, < 0 on error. */
static int in_list_sets(bctx *c, lc_expr *e) {
  lc_expr *l = e->children[0], *r = e->children[1];
  if (l->kind != LC_EXPR_IN_LIST || r->kind != LC_EXPR_IN_LIST || !same_column(l->children[0], r->children[0]) ||
      !literal_items(l) || !literal_items(r))
    return 0;
  const lc_expr *keep_from, *other;
  bool inter, negated;
  if (e->op == LC_OP_AND && !l->negated && !r->negated) keep_from = l, other = r, inter = true, negated = false;
  else if (e->op == LC_OP_AND && !l->negated && r->negated) keep_from = l, other = r, inter = false, negated = false;
  else if (e->op == LC_OP_AND && l->negated && !r->negated) keep_from = r, other = l, inter = false, negated = false;
  else if (e->op == LC_OP_OR && l->negated && r->negated) keep_from = l, other = r, inter = true, negated = true;
  else return 0;
  size_t n = 0;
  lc_expr **items = lc_calloc(keep_from->n_children, sizeof(lc_expr *));
  if (!items) return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
  int rc = 0;
  for (size_t i = 1; i < keep_from->n_children && !rc; i++) {
    const lc_expr_value *v = &keep_from->children[i]->value;
    bool in_other = false, dup = false;
    for (size_t j = 1; j < other->n_children && !in_other; j++) in_other = same_lit(v, &other->children[j]->value);
    for (size_t j = 0; j < n && !dup; j++) dup = same_lit(v, &items[j]->value);
    if (in_other != inter || dup) continue;
    if (!(items[n++] = lc_expr_clone(keep_from->children[i]))) rc = lc_err(c->err, LANCEC_ENOMEM, "out of memory");
  }
  lc_expr *nn = NULL;
  if (!rc && n == 0) {
    nn = lc_expr_literal_bool(negated); /* x IN () is FALSE, x NOT IN () TRUE */
  } else if (!rc) {
    nn = lc_expr_in_list(lc_expr_clone(keep_from->children[0]), items, n, negated);
    n = 0; /* owned by nn (or freed) */
  }
  for (size_t i = 0; i < n; i++) lc_expr_free(items[i]);
  lc_free(items);
  if (rc) return rc;
  if (!nn) return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
  nn->pos = e->pos;
  if ((rc = bind_node(c, nn))) {
    lc_expr_free(nn);
    return rc;
  }
  lc_expr tmp = *e;
  *e = *nn;
  *nn = tmp;
  lc_expr_free(nn); /* the old e's contents */
  return 1;
}

/* `x IN (...)` compares in one type (DataFusion): folded over the list in
 * order, a date with a timestamp giving timestamp(ns) and two timestamps the
 * coarser unit. Ending at timestamp(ns) with dates involved, a timestamp or
 * date literal outside 1677..2262 is an error; ending at a coarser unit,
 * the DATE literals become timestamps of that unit (no range limit). */
static int in_list_ns(bctx *c, lc_expr *e) {
  bool any_date = false, is_ts = false, is_date = false;
  lc_time_unit u = LC_UNIT_NS;
  for (size_t i = 0; i < e->n_children; i++) {
    const lc_expr_type *t = &e->children[i]->type;
    bool d = t->id == LC_T_DATE32 || t->id == LC_T_DATE64;
    any_date |= d;
    if (i == 0) {
      is_ts = t->id == LC_T_TIMESTAMP, is_date = d, u = t->unit;
    } else if (d && is_ts) {
      u = LC_UNIT_NS;
    } else if (t->id == LC_T_TIMESTAMP && is_date) {
      is_date = false, is_ts = true, u = LC_UNIT_NS;
    } else if (t->id == LC_T_TIMESTAMP && is_ts && t->unit < u) {
      u = t->unit;
    }
  }
  if (!any_date || !is_ts) return 0;
  if (u != LC_UNIT_NS) {
    lc_expr_type t = lc_expr_type_of(LC_T_TIMESTAMP);
    t.unit = u;
    for (size_t i = 1; i < e->n_children; i++) {
      lc_expr *x = e->children[i];
      if (x->kind == LC_EXPR_LITERAL && (x->type.id == LC_T_DATE32 || x->type.id == LC_T_DATE64))
        LC_TRY(wrap_cast(c, &e->children[i], t));
    }
    return 0;
  }
  for (size_t i = 1; i < e->n_children; i++) {
    const lc_expr *x = e->children[i];
    if (x->kind != LC_EXPR_LITERAL) continue;
    lc_i128 ns;
    if (x->type.id == LC_T_TIMESTAMP) ns = (lc_i128)x->value.i * (1000000000 / lc_expr__unit_per_sec(x->type.unit));
    else if (x->type.id == LC_T_DATE32) ns = (lc_i128)x->value.i * 86400 * 1000000000;
    else if (x->type.id == LC_T_DATE64) ns = (lc_i128)x->value.i * 1000000;
    else continue;
    if (ns > INT64_MAX || ns < INT64_MIN) {
      char tb[128];
      return lc_expr__err(c->err, LANCEC_EINVAL, x->pos, "%s value out of the timestamp(ns) range (IN list of dates and timestamps)",
                          tstr(&x->type, tb, sizeof tb));
    }
  }
  return 0;
}

/* `ts BETWEEN a AND b` compares in one type (DataFusion): with a timestamp
 * bound, the coarsest timestamp unit, so a DATE literal bound becomes a
 * timestamp of that unit (no timestamp(ns) range limit). */
static int between_dates(bctx *c, lc_expr *e) {
  lc_time_unit u = e->children[0]->type.unit;
  bool any_ts = false;
  for (int k = 1; k <= 2; k++)
    if (e->children[k]->type.id == LC_T_TIMESTAMP) {
      any_ts = true;
      if (e->children[k]->type.unit < u) u = e->children[k]->type.unit;
    }
  if (!any_ts) return 0;
  lc_expr_type t = lc_expr_type_of(LC_T_TIMESTAMP);
  t.unit = u;
  for (int k = 1; k <= 2; k++) {
    lc_expr *x = e->children[k];
    if (x->kind == LC_EXPR_LITERAL && (x->type.id == LC_T_DATE32 || x->type.id == LC_T_DATE64))
      LC_TRY(wrap_cast(c, &e->children[k], t));
  }
  return 0;
}


/* Can the bound column reference x be NULL (a nullable field or parent)? */
static bool maybe_null(bctx *c, const lc_expr *x) {
  if (x->kind != LC_EXPR_COLUMN) return true;
  if (x->special) return false;
  const lc_field *f = NULL;
  if (!c->schema || find_named(c->schema->fields, c->schema->n_fields, x->path[0], true, &f) != 1) return true;
  if (f->nullable) return true;
  for (size_t i = 1; i < x->path_len; i++) {
    const lc_field *ch = NULL;
    if (f->type != LC_T_STRUCT || find_named(f->children, f->n_children, x->path[i], true, &ch) != 1) return true;
    f = ch;
    if (f->nullable) return true;
  }
  return false;
}

static bool all_lit(const lc_expr *e) {
  for (size_t i = 0; i < e->n_children; i++)
    if (e->children[i]->kind != LC_EXPR_LITERAL) return false;
  return true;
}

static int need_bool(bctx *c, lc_expr *x, const char *what) {
  if (x->type.id == LC_T_BOOL || x->type.id == LC_T_NULL) return 0;
  char tb[128];
  return lc_expr__err(c->err, LANCEC_EINVAL, x->pos, "%s needs a boolean operand, got %s", what, tstr(&x->type, tb, sizeof tb));
}

static lc_expr *mk_ref(const lc_expr *x) {
  lc_expr *r = lc_expr__new(LC_EXPR__REF);
  if (r) {
    r->type = x->type;
    r->bound = true;
    r->pos = x->pos;
  }
  return r;
}

/* OR of the items' equalities, balanced (IN lists can be long) */
/* the operand in one lowered comparison: a shared reference, or for an
 * explicit CAST a copy (DataFusion unwraps each comparison's cast on its
 * own) */
static lc_expr *operand(const lc_expr *x) {
  return x->kind == LC_EXPR_CAST && !x->implicit ? lc_expr_clone(x) : mk_ref(x);
}

static lc_expr *or_tree(const lc_expr *e, lc_expr *x, size_t lo, size_t hi) {
  if (hi - lo == 1) {
    lc_expr *eq = lc_expr_binary(LC_OP_EQ, operand(x), lc_expr_clone(e->children[lo]));
    if (eq) eq->pos = e->children[lo]->pos ? e->children[lo]->pos : e->pos;
    return eq;
  }
  size_t mid = lo + (hi - lo) / 2;
  lc_expr *t = lc_expr_or(or_tree(e, x, lo, mid), or_tree(e, x, mid, hi));
  if (t) t->pos = e->pos;
  return t;
}

static int lower(bctx *c, lc_expr *e) {
  lc_expr *x = e->children[0];
  lc_expr *t = NULL;
  if (e->kind == LC_EXPR_IN_LIST) {
    if (e->n_children < 2) return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "empty IN list");
    t = or_tree(e, x, 1, e->n_children);
    if (!t) return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
  } else {
    lc_expr *ge = lc_expr_binary(LC_OP_GE, operand(x), lc_expr_clone(e->children[1]));
    lc_expr *le = lc_expr_binary(LC_OP_LE, operand(x), lc_expr_clone(e->children[2]));
    if (ge) ge->pos = e->pos;
    if (le) le->pos = e->pos;
    t = lc_expr_and(ge, le);
    if (!t) return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
    t->pos = e->pos;
  }
  if (e->negated) {
    t = lc_expr_not(t);
    if (!t) return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
    t->pos = e->pos;
  }
  e->lowered_ = t;
  return bind_node(c, t);
}

static int fold_in_place(bctx *c, lc_expr *e) {
  lc_expr_value v;
  memset(&v, 0, sizeof v);
  LC_TRY(lc_expr__fold(e, &v, c->err));
  for (size_t i = 0; i < e->n_children; i++) lc_expr_free(e->children[i]);
  lc_free(e->children);
  e->children = NULL;
  e->n_children = 0;
  lc_expr__clear_binding(e);
  lc_expr__value_free(&e->value);
  e->kind = LC_EXPR_LITERAL;
  e->value = v;
  e->type = v.type;
  e->bound = true;
  e->implicit = false;
  e->negated = false;
  return 0;
}

static int bind_node(bctx *c, lc_expr *e) {
  if (e->kind == LC_EXPR__REF) return 0;
  /* drop earlier implicit casts when re-binding */
  for (size_t i = 0; i < e->n_children; i++) {
    while (e->children[i]->kind == LC_EXPR_CAST && e->children[i]->implicit) {
      lc_expr *k = e->children[i];
      e->children[i] = k->children[0];
      k->n_children = 0;
      lc_expr_free(k);
    }
  }
  lc_expr__clear_binding(e);
  for (size_t i = 0; i < e->n_children; i++) LC_TRY(bind_node(c, e->children[i]));
  e->type = lc_expr_type_of(LC_T_NULL);
  char t1[128];
  switch (e->kind) {
    case LC_EXPR_LITERAL:
      e->type = e->value.type;
      e->type.field = NULL;
      e->bound = true;
      return 0;
    case LC_EXPR_COLUMN:
      LC_TRY(bind_column(c, e));
      e->bound = true;
      return 0;
    case LC_EXPR_BINARY:
      if (lc_expr_op_is_cmp(e->op)) {
        LC_TRY(unify_cmp(c, e, &e->children[0], &e->children[1]));
        /* after coercion (the literal has the comparison type), as DataFusion */
        for (int k = 0; k < 2; k++)
          if (has_explicit_cast(e->children[k]) && e->children[1 - k]->kind == LC_EXPR_LITERAL)
            LC_TRY(unwrap_casts(c, &e->children[k], e->children[1 - k]));
        bool nul = e->children[0]->type.id == LC_T_NULL || e->children[1]->type.id == LC_T_NULL;
        e->type = lc_expr_type_of(nul ? LC_T_NULL : LC_T_BOOL);
        /* Lance compares floats in IEEE total order, except that against a
         * literal zero -0.0 and +0.0 are equal */
        e->fzero_ = false;
        for (int k = 0; k < 2 && !nul; k++) {
          const lc_expr *x = e->children[k];
          if (x->kind == LC_EXPR_LITERAL && lc_expr__is_float(x->type.id) && x->value.f == 0 &&
              lc_expr__is_float(e->children[1 - k]->type.id))
            e->fzero_ = true;
        }
      } else if (lc_expr_op_is_logic(e->op)) {
        const char *w = e->op == LC_OP_AND ? "AND" : "OR";
        LC_TRY(need_bool(c, e->children[0], w));
        LC_TRY(need_bool(c, e->children[1], w));
        e->type = lc_expr_type_of(LC_T_BOOL);
        {
          int rc2 = in_list_sets(c, e);
          if (rc2 < 0) return rc2;
          if (rc2 > 0) return 0; /* replaced */
        }
        /* DataFusion's simplifier: x AND FALSE is FALSE, x OR TRUE is TRUE,
         * without evaluating x (so x cannot fail) */
        for (int k = 0; k < 2; k++) {
          const lc_expr *x = e->children[k];
          if (x->kind == LC_EXPR_LITERAL && x->type.id == LC_T_BOOL && x->value.b == (e->op == LC_OP_OR)) {
            bool v = x->value.b;
            for (size_t i = 0; i < e->n_children; i++) lc_expr_free(e->children[i]);
            lc_free(e->children);
            e->children = NULL;
            e->n_children = 0;
            e->kind = LC_EXPR_LITERAL;
            lc_expr__value_free(&e->value);
            memset(&e->value, 0, sizeof e->value);
            e->value.type = lc_expr_type_of(LC_T_BOOL);
            e->value.b = v;
            e->type = e->value.type;
            e->bound = true;
            return 0;
          }
        }
      } else {
        LC_TRY(bind_arith(c, e));
      }
      break;
    case LC_EXPR_NOT:
      LC_TRY(need_bool(c, e->children[0], "NOT"));
      e->type = e->children[0]->type;
      break;
    case LC_EXPR_NEG: {
      lc_expr *x = e->children[0];
      if (x->type.id == LC_T_NULL) break;
      /* DataFusion negates signed integers (wrapping), floats, decimals and
       * durations in their own type; unsigned integers are an error */
      if ((!lc_expr__is_numeric(x->type.id) && x->type.id != LC_T_DURATION) ||
          (lc_expr__is_int(x->type.id) && !int_signed(x->type.id)))
        return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "cannot negate %s", tstr(&x->type, t1, sizeof t1));
      e->type = x->type;
      if (e->type.id == LC_T_DECIMAL256) e->type.id = LC_T_DECIMAL128;
      e->type.field = NULL;
      break;
    }
    case LC_EXPR_IS:
      if (e->is_kind != LC_IS_NULL && e->is_kind != LC_IS_NOT_NULL) LC_TRY(need_bool(c, e->children[0], "IS TRUE/FALSE"));
      e->type = lc_expr_type_of(LC_T_BOOL);
      if ((e->is_kind == LC_IS_NULL || e->is_kind == LC_IS_NOT_NULL) && !maybe_null(c, e->children[0])) {
        /* DataFusion's simplifier: a non-nullable column IS NULL is FALSE */
        bool v = e->is_kind == LC_IS_NOT_NULL;
        lc_expr_free(e->children[0]);
        lc_free(e->children);
        e->children = NULL;
        e->n_children = 0;
        e->kind = LC_EXPR_LITERAL;
        memset(&e->value, 0, sizeof e->value);
        e->value.type = lc_expr_type_of(LC_T_BOOL);
        e->value.b = v;
        e->type = e->value.type;
        e->bound = true;
        return 0;
      }
      break;
    case LC_EXPR_IN_LIST:
    case LC_EXPR_BETWEEN: {
      vclass cx = lc_expr__class(e->children[0]->type.id);
      if (e->kind == LC_EXPR_BETWEEN && e->children[0]->type.id == LC_T_TIMESTAMP)
        LC_TRY(between_dates(c, e));
      if (e->kind == LC_EXPR_IN_LIST) LC_TRY(in_list_ns(c, e));
      if (cx == VC_VALID) {
        lc_expr_type nt = lc_expr_type_of(LC_T_INT64);
        return cant(c, e, "compare", &e->children[0]->type, e->n_children > 1 ? &e->children[1]->type : &nt);
      }
      LC_TRY(lower(c, e));
      e->type = e->lowered_->type;
      if (e->kind == LC_EXPR_IN_LIST && !(e->children[0]->kind == LC_EXPR_CAST && !e->children[0]->implicit))
        LC_TRY(lc_expr__inset_build(e, c->err));
      break;
    }
    case LC_EXPR_LIKE: {
      lc_expr *x = e->children[0], *pt = e->children[1];
      if (x->type.id != LC_T_NULL && lc_expr__class(x->type.id) != VC_STR)
        return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "%s needs a string, got %s", e->case_insensitive ? "ILIKE" : "LIKE",
                            tstr(&x->type, t1, sizeof t1));
      if (pt->kind != LC_EXPR_LITERAL || (pt->type.id != LC_T_NULL && !lc_expr__is_string(pt->type.id)))
        return lc_expr__err(c->err, LANCEC_EINVAL, pt->pos ? pt->pos : e->pos, "LIKE pattern must be a string literal");
      e->type = lc_expr_type_of(x->type.id == LC_T_NULL || pt->type.id == LC_T_NULL ? LC_T_NULL : LC_T_BOOL);
      if (e->type.id == LC_T_BOOL) LC_TRY(lc_expr__like_compile(e, c->err));
      break;
    }
    case LC_EXPR_CAST: {
      lc_expr *x = e->children[0];
      if (!cast_ok(&x->type, &e->cast_to)) {
        char t2[64];
        return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "cannot cast %s to %s", tstr(&x->type, t1, sizeof t1),
                            lc_expr_type_name(&e->cast_to, t2, sizeof t2));
      }
      e->type = e->cast_to;
      if (e->type.id == LC_T_DECIMAL256) e->type.id = LC_T_DECIMAL128; /* evaluated in 128 bits */
      e->type.field = NULL;
      if (x->type.id == LC_T_NULL) e->type = lc_expr_type_of(LC_T_NULL);
      break;
    }
    case LC_EXPR__REF: return 0;
  }
  e->bound = true;
  if (all_lit(e) && e->kind != LC_EXPR_LITERAL) return fold_in_place(c, e);
  return 0;
}

static uint64_t compute_mask(lc_expr *e) {
  uint64_t m = 0;
  if (e->kind == LC_EXPR_COLUMN) m = e->col_slot < 64 ? (uint64_t)1 << e->col_slot : ~(uint64_t)0;
  else if (e->kind == LC_EXPR__REF) m = ~(uint64_t)0;
  for (size_t i = 0; i < e->n_children; i++) m |= compute_mask(e->children[i]);
  if (e->lowered_) compute_mask(e->lowered_);
  e->colmask_ = m;
  return m;
}

/* bounded recursion: true when the tree is deeper than `budget` */
bool lc_expr__too_deep(const lc_expr *e, int budget) {
  if (budget <= 0) return true;
  for (size_t i = 0; i < e->n_children; i++)
    if (lc_expr__too_deep(e->children[i], budget - 1)) return true;
  return false;
}

int lc_expr_bind(lc_expr *e, const lc_schema *schema, lancec_error *err) {
  if (!e) return lc_err(err, LANCEC_EINVAL, "filter: NULL expression");
  if (lc_expr__too_deep(e, LC_EXPR_MAX_DEPTH))
    return lc_expr__err(err, LANCEC_EINVAL, e->pos, "expression nested too deeply (more than %d levels)", LC_EXPR_MAX_DEPTH);
  bctx c;
  memset(&c, 0, sizeof c);
  c.schema = schema;
  c.err = err;
  c.root = e;
  int rc = lance_resolve(&c, e, 0);
  if (!rc) rc = bind_node(&c, e);
  if (!rc && e->type.id != LC_T_BOOL && e->type.id != LC_T_NULL) {
    char tb[128];
    rc = lc_expr__err(err, LANCEC_EINVAL, e->pos ? e->pos : 1, "filter must be a boolean expression, got %s",
                      tstr(&e->type, tb, sizeof tb));
  }
  if (rc) {
    for (size_t i = 0; i < c.n_cols; i++) lc_free(c.cols[i]);
    lc_free(c.cols);
    e->bound = false;
    return rc;
  }
  for (size_t i = 0; i < e->n_columns; i++) lc_free(e->columns[i]);
  lc_free(e->columns);
  e->columns = c.cols;
  e->n_columns = c.n_cols;
  compute_mask(e);
  return 0;
}
