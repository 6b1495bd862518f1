/* The public filter-expression builders (lancec.h): thin wrappers over the
 * internal tree (a lancec_expr* is an lc_expr*). */
#include "expr/expr.h"

#define PUB(e) ((lancec_expr *)(void *)(e))
#define INT(e) ((lc_expr *)(void *)(e))

int lancec_expr_parse(lancec_expr **out, const char *sql, lancec_error *err) {
  if (!out || !sql) return lc_err(err, LANCEC_EINVAL, "lancec_expr_parse: NULL argument");
  lc_expr *e = NULL;
  LC_TRY(lc_expr_parse(&e, sql, NULL, err));
  *out = PUB(e);
  return 0;
}

void lancec_expr_free(lancec_expr *e) { lc_expr_free(INT(e)); }

char *lancec_expr_to_sql(const lancec_expr *e) {
  return e ? lc_expr_to_string((const lc_expr *)(const void *)e) : NULL;
}

lancec_expr *lancec_expr_column(const char *path) { return path ? PUB(lc_expr_column_ref(path)) : NULL; }
lancec_expr *lancec_expr_null(void) { return PUB(lc_expr_literal_null()); }
lancec_expr *lancec_expr_bool(int v) { return PUB(lc_expr_literal_bool(v != 0)); }
lancec_expr *lancec_expr_int(int64_t v) { return PUB(lc_expr_literal_int(v)); }
lancec_expr *lancec_expr_uint(uint64_t v) { return PUB(lc_expr_literal_uint(v)); }
lancec_expr *lancec_expr_double(double v) { return PUB(lc_expr_literal_double(v)); }
lancec_expr *lancec_expr_string(const char *s) { return s ? PUB(lc_expr_literal_string(s)) : NULL; }
lancec_expr *lancec_expr_binary(const void *p, size_t n) {
  return p || n == 0 ? PUB(lc_expr_literal_bytes(p, n, true)) : NULL;
}
lancec_expr *lancec_expr_date(int32_t days) { return PUB(lc_expr_literal_date(days)); }
lancec_expr *lancec_expr_timestamp_us(int64_t us) { return PUB(lc_expr_literal_timestamp(us, LC_UNIT_US)); }

lancec_expr *lancec_expr_binop(lancec_expr_op op, lancec_expr *l, lancec_expr *r) {
  if ((int)op < (int)LANCEC_OP_EQ || (int)op > (int)LANCEC_OP_MOD) {
    lc_expr_free(INT(l));
    lc_expr_free(INT(r));
    return NULL;
  }
  return PUB(lc_expr_binary((lc_expr_op)op, INT(l), INT(r)));
}
lancec_expr *lancec_expr_not(lancec_expr *e) { return PUB(lc_expr_not(INT(e))); }
lancec_expr *lancec_expr_is_null(lancec_expr *e, int negated) {
  return PUB(lc_expr_is(INT(e), negated ? LC_IS_NOT_NULL : LC_IS_NULL));
}
lancec_expr *lancec_expr_in(lancec_expr *e, lancec_expr *const *items, size_t n, int negated) {
  return PUB(lc_expr_in_list(INT(e), (lc_expr *const *)(const void *)items, n, negated != 0));
}
lancec_expr *lancec_expr_between(lancec_expr *e, lancec_expr *lo, lancec_expr *hi, int negated) {
  return PUB(lc_expr_between(INT(e), INT(lo), INT(hi), negated != 0));
}
lancec_expr *lancec_expr_like(lancec_expr *e, const char *pattern, int negated, int case_insensitive) {
  lc_expr *p = pattern ? lc_expr_literal_string(pattern) : NULL;
  if (!p) {
    lc_expr_free(INT(e));
    return NULL;
  }
  return PUB(lc_expr_like(INT(e), p, '\\', negated != 0, case_insensitive != 0));
}
