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
  /* exact decimal literal → its decimal form first */
  if (x->kind == LC_EXPR_LITERAL && x->value.has_dec && (to.id == LC_T_DECIMAL128 || to.id == LC_T_DECIMAL256)) {
    x->value.type = lc_expr_type_of(LC_T_DECIMAL128);
    x->value.type.precision = x->value.dec_precision;
    x->value.type.scale = x->value.dec_scale;
    x->value.has_dec = false;
    x->type = x->value.type;
    if (same_repr(&x->type, &to)) return 0;
  }
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

static bool is_dec_lit(const lc_expr *x) { return x->kind == LC_EXPR_LITERAL && x->value.has_dec; }
static int tscale(const lc_expr *x) {
  if (x->type.id == LC_T_DECIMAL128 || x->type.id == LC_T_DECIMAL256) return x->type.scale;
  if (is_dec_lit(x)) return x->value.dec_scale;
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

static int unify_cmp(bctx *c, lc_expr *e, lc_expr **pl, lc_expr **pr) {
  lc_expr *l = *pl, *r = *pr;
  lc_type_id L = l->type.id, R = r->type.id;
  if (L == LC_T_NULL || R == LC_T_NULL) {
    if (lc_expr__class(L) == VC_VALID || lc_expr__class(R) == VC_VALID) return cant(c, e, "compare", &l->type, &r->type);
    return 0;
  }
  vclass cl = lc_expr__class(L), cr = lc_expr__class(R);
  if (cl == VC_VALID || cr == VC_VALID || cl == VC_BAD || cr == VC_BAD) return cant(c, e, "compare", &l->type, &r->type);
  if (lc_expr__is_numeric(L) && lc_expr__is_numeric(R)) {
    if (lc_expr__is_int(L) && lc_expr__is_int(R)) return 0;
    bool ldec = is_decish(l) || (is_dec_lit(l) && is_decish(r));
    bool rdec = is_decish(r) || (is_dec_lit(r) && is_decish(l));
    bool lf = lc_expr__is_float(L) && !ldec, rf = lc_expr__is_float(R) && !rdec;
    if (lf || rf) {
      lc_expr_type d = lc_expr_type_of(LC_T_DOUBLE);
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
    /* a literal that is exact in the column's unit is converted to it, so
     * the column is read as stored (fast path, min/max pruning) */
    if (r->kind == LC_EXPR_LITERAL && l->kind != LC_EXPR_LITERAL && exact_in(r, &l->type)) return wrap_cast(c, pr, l->type);
    if (l->kind == LC_EXPR_LITERAL && r->kind != LC_EXPR_LITERAL && exact_in(l, &r->type)) return wrap_cast(c, pl, r->type);
    int rep = trepr(&l->type) > trepr(&r->type) ? trepr(&l->type) : trepr(&r->type);
    if (rep == 0) rep = 1;
    lc_expr_type d = lc_expr_type_of(fl == 1 ? LC_T_TIMESTAMP : fl == 2 ? LC_T_TIME64 : LC_T_DURATION);
    d.unit = (lc_time_unit)(rep - 1);
    if (same_repr(&l->type, &r->type)) return 0;
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
    /* a non-negative integer literal next to a uint64 is a uint64 */
    lc_expr *lits[2] = {l, r};
    for (int k = 0; k < 2; k++) {
      lc_expr *x = lits[k], *o = lits[1 - k];
      if (x->kind == LC_EXPR_LITERAL && x->value.type.id == LC_T_INT64 && x->value.i >= 0 && o->type.id == LC_T_UINT64) {
        x->value.u = (uint64_t)x->value.i;
        x->value.type.id = LC_T_UINT64;
        x->type = x->value.type;
      }
    }
    L = l->type.id, R = r->type.id;
    lc_expr_type d = lc_expr_type_of(L == LC_T_UINT64 && R == LC_T_UINT64 ? LC_T_UINT64 : LC_T_INT64);
    if (d.id == LC_T_INT64) {
      if (L == LC_T_UINT64) LC_TRY(wrap_cast(c, pl, d));
      if (R == LC_T_UINT64) LC_TRY(wrap_cast(c, pr, d));
    }
    e->type = d;
    return 0;
  }
  bool ldec = is_decish(l) || (is_dec_lit(l) && is_decish(r));
  bool rdec = is_decish(r) || (is_dec_lit(r) && is_decish(l));
  bool lf = lc_expr__is_float(L) && !ldec, rf = lc_expr__is_float(R) && !rdec;
  lc_expr_type dbl = lc_expr_type_of(LC_T_DOUBLE);
  if (lf || rf || e->op == LC_OP_DIV || e->op == LC_OP_MOD ||
      (e->op == LC_OP_MUL && tscale(l) + tscale(r) > 38)) {
    LC_TRY(wrap_cast(c, pl, dbl));
    LC_TRY(wrap_cast(c, pr, dbl));
    e->type = dbl;
    return 0;
  }
  lc_expr_type d = lc_expr_type_of(LC_T_DECIMAL128);
  if (e->op == LC_OP_MUL) {
    lc_expr_type dl = d, dr = d;
    dl.scale = tscale(l), dr.scale = tscale(r);
    LC_TRY(wrap_cast(c, pl, dl));
    LC_TRY(wrap_cast(c, pr, dr));
    d.scale = dl.scale + dr.scale;
  } else {
    d.scale = tscale(l) > tscale(r) ? tscale(l) : tscale(r);
    LC_TRY(wrap_cast(c, pl, d));
    LC_TRY(wrap_cast(c, pr, d));
  }
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

static int bind_node(bctx *c, lc_expr *e);

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
static lc_expr *or_tree(const lc_expr *e, lc_expr *x, size_t lo, size_t hi) {
  if (hi - lo == 1) {
    lc_expr *eq = lc_expr_binary(LC_OP_EQ, mk_ref(x), lc_expr_clone(e->children[lo]));
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
    lc_expr *ge = lc_expr_binary(LC_OP_GE, mk_ref(x), lc_expr_clone(e->children[1]));
    lc_expr *le = lc_expr_binary(LC_OP_LE, mk_ref(x), lc_expr_clone(e->children[2]));
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
        bool nul = e->children[0]->type.id == LC_T_NULL || e->children[1]->type.id == LC_T_NULL;
        e->type = lc_expr_type_of(nul ? LC_T_NULL : LC_T_BOOL);
      } else if (lc_expr_op_is_logic(e->op)) {
        const char *w = e->op == LC_OP_AND ? "AND" : "OR";
        LC_TRY(need_bool(c, e->children[0], w));
        LC_TRY(need_bool(c, e->children[1], w));
        e->type = lc_expr_type_of(LC_T_BOOL);
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
      if (!lc_expr__is_numeric(x->type.id) && x->type.id != LC_T_DURATION)
        return lc_expr__err(c->err, LANCEC_EINVAL, e->pos, "cannot negate %s", tstr(&x->type, t1, sizeof t1));
      if (x->kind == LC_EXPR_LITERAL && x->type.id == LC_T_UINT64 && x->value.u == (uint64_t)1 << 63) {
        /* -9223372036854775808 */
        x->value.type.id = LC_T_INT64;
        x->value.i = INT64_MIN;
        lc_expr *keep = x;
        e->children[0] = NULL;
        e->n_children = 0;
        lc_free(e->children);
        e->children = NULL;
        e->kind = LC_EXPR_LITERAL;
        e->value = keep->value;
        keep->value.str = NULL;
        lc_expr_free(keep);
        e->type = e->value.type;
        e->bound = true;
        return 0;
      }
      if (x->type.id == LC_T_UINT64 || (lc_expr__is_int(x->type.id) && x->type.id != LC_T_INT64))
        LC_TRY(wrap_cast(c, &e->children[0], lc_expr_type_of(LC_T_INT64)));
      if (lc_expr__is_float(x->type.id)) LC_TRY(wrap_cast(c, &e->children[0], lc_expr_type_of(LC_T_DOUBLE)));
      e->type = e->children[0]->type;
      if (lc_expr__is_int(e->type.id)) e->type = lc_expr_type_of(LC_T_INT64);
      e->type.field = NULL;
      break;
    }
    case LC_EXPR_IS:
      if (e->is_kind != LC_IS_NULL && e->is_kind != LC_IS_NOT_NULL) LC_TRY(need_bool(c, e->children[0], "IS TRUE/FALSE"));
      e->type = lc_expr_type_of(LC_T_BOOL);
      break;
    case LC_EXPR_IN_LIST:
    case LC_EXPR_BETWEEN: {
      vclass cx = lc_expr__class(e->children[0]->type.id);
      if (cx == VC_VALID) {
        lc_expr_type nt = lc_expr_type_of(LC_T_INT64);
        return cant(c, e, "compare", &e->children[0]->type, e->n_children > 1 ? &e->children[1]->type : &nt);
      }
      LC_TRY(lower(c, e));
      e->type = e->lowered_->type;
      if (e->kind == LC_EXPR_IN_LIST) LC_TRY(lc_expr__inset_build(e, c->err));
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
      if (x->kind == LC_EXPR_LITERAL && x->value.has_dec &&
          (e->cast_to.id == LC_T_DECIMAL128 || e->cast_to.id == LC_T_DECIMAL256)) {
        x->value.type = lc_expr_type_of(LC_T_DECIMAL128);
        x->value.type.precision = x->value.dec_precision;
        x->value.type.scale = x->value.dec_scale;
        x->value.has_dec = false;
        x->type = x->value.type;
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
  int rc = bind_node(&c, e);
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
