/* SQL filter text → expression tree; builders, clone, free, to_string. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>

#include "expr/expr_internal.h"

/* ---- nodes ------------------------------------------------------------------ */

lc_expr *lc_expr__new(lc_expr_kind k) {
  lc_expr *e = lc_calloc(1, sizeof(*e));
  if (!e) return NULL;
  e->kind = k;
  e->escape = '\\';
  e->type.id = LC_T_NULL;
  return e;
}

void lc_expr__value_free(lc_expr_value *v) {
  lc_free(v->str);
  v->str = NULL;
  v->len = 0;
}

int lc_expr__value_copy(lc_expr_value *dst, const lc_expr_value *src) {
  *dst = *src;
  dst->str = NULL;
  if (src->str) {
    dst->str = lc_malloc(src->len + 1);
    if (!dst->str) return LANCEC_ENOMEM;
    memcpy(dst->str, src->str, src->len);
    dst->str[src->len] = 0;
  }
  return 0;
}

void lc_expr__clear_binding(lc_expr *e) {
  for (size_t i = 0; i < e->n_columns; i++) lc_free(e->columns[i]);
  lc_free(e->columns);
  e->columns = NULL;
  e->n_columns = 0;
  lc_expr_free(e->lowered_);
  e->lowered_ = NULL;
  lc_expr__like_free(e->like_);
  e->like_ = NULL;
  lc_expr__inset_free(e->inset_);
  e->inset_ = NULL;
  e->bound = false;
}

void lc_expr_free(lc_expr *e) {
  if (!e) return;
  for (size_t i = 0; i < e->n_children; i++) lc_expr_free(e->children[i]);
  lc_free(e->children);
  for (size_t i = 0; i < e->path_len; i++) lc_free(e->path[i]);
  lc_free(e->path);
  lc_expr__value_free(&e->value);
  lc_expr__clear_binding(e);
  lc_free(e);
}

static lc_expr *with_children(lc_expr *e, lc_expr *const *ch, size_t n) {
  bool ok = e != NULL;
  for (size_t i = 0; i < n; i++)
    if (!ch[i]) ok = false;
  if (ok) {
    e->children = lc_calloc(n ? n : 1, sizeof(lc_expr *));
    if (!e->children) ok = false;
  }
  if (!ok) {
    for (size_t i = 0; i < n; i++) lc_expr_free(ch[i]);
    lc_expr_free(e);
    return NULL;
  }
  memcpy(e->children, ch, n * sizeof(lc_expr *));
  e->n_children = n;
  return e;
}

lc_expr *lc_expr_column_parts(const char *const *parts, size_t n) {
  if (!parts || n == 0) return NULL;
  lc_expr *e = lc_expr__new(LC_EXPR_COLUMN);
  if (!e) return NULL;
  e->path = lc_calloc(n, sizeof(char *));
  if (!e->path) goto fail;
  for (size_t i = 0; i < n; i++) {
    if (!parts[i] || !(e->path[i] = lc_strdup(parts[i]))) {
      e->path_len = i;
      goto fail;
    }
  }
  e->path_len = n;
  e->quoted0 = true;
  return e;
fail:
  lc_expr_free(e);
  return NULL;
}

lc_expr *lc_expr_column_ref(const char *path) {
  if (!path) return NULL;
  size_t n = 1;
  for (const char *p = path; *p; p++) n += *p == '.';
  char **parts = lc_calloc(n, sizeof(char *));
  if (!parts) return NULL;
  const char *st = path;
  size_t k = 0;
  bool ok = true;
  for (const char *p = path;; p++) {
    if (*p == '.' || !*p) {
      if (!(parts[k++] = lc_strndup(st, (size_t)(p - st)))) ok = false;
      st = p + 1;
      if (!*p) break;
    }
  }
  lc_expr *e = ok ? lc_expr_column_parts((const char *const *)parts, n) : NULL;
  for (size_t i = 0; i < k; i++) lc_free(parts[i]);
  lc_free(parts);
  if (e) e->quoted0 = false;
  return e;
}

static lc_expr *lit(lc_type_id t) {
  lc_expr *e = lc_expr__new(LC_EXPR_LITERAL);
  if (e) e->value.type.id = t;
  return e;
}

lc_expr_type lc_expr_type_of(lc_type_id id) {
  lc_expr_type t;
  memset(&t, 0, sizeof(t));
  t.id = id;
  t.unit = LC_UNIT_NS;
  if (id == LC_T_DECIMAL128 || id == LC_T_DECIMAL256) t.precision = 38;
  if (id == LC_T_TIME32) t.unit = LC_UNIT_MS;
  return t;
}

lc_expr *lc_expr_literal_null(void) { return lit(LC_T_NULL); }
lc_expr *lc_expr_literal_bool(bool v) {
  lc_expr *e = lit(LC_T_BOOL);
  if (e) e->value.b = v;
  return e;
}
lc_expr *lc_expr_literal_int(int64_t v) {
  lc_expr *e = lit(LC_T_INT64);
  if (e) e->value.i = v;
  return e;
}
lc_expr *lc_expr_literal_uint(uint64_t v) {
  lc_expr *e = lit(LC_T_UINT64);
  if (e) e->value.u = v;
  return e;
}
lc_expr *lc_expr_literal_double(double v) {
  lc_expr *e = lit(LC_T_DOUBLE);
  if (e) e->value.f = v;
  return e;
}
lc_expr *lc_expr_literal_bytes(const void *p, size_t n, bool binary) {
  lc_expr *e = lit(binary ? LC_T_BINARY : LC_T_STRING);
  if (!e) return NULL;
  e->value.str = lc_malloc(n + 1);
  if (!e->value.str) {
    lc_expr_free(e);
    return NULL;
  }
  if (n) memcpy(e->value.str, p, n);
  e->value.str[n] = 0;
  e->value.len = n;
  return e;
}
lc_expr *lc_expr_literal_string(const char *s) {
  return s ? lc_expr_literal_bytes(s, strlen(s), false) : NULL;
}
lc_expr *lc_expr_literal_date(int32_t days) {
  lc_expr *e = lit(LC_T_DATE32);
  if (e) e->value.i = days;
  return e;
}
lc_expr *lc_expr_literal_timestamp(int64_t v, lc_time_unit unit) {
  lc_expr *e = lit(LC_T_TIMESTAMP);
  if (e) e->value.i = v, e->value.type.unit = unit;
  return e;
}
lc_expr *lc_expr_literal_decimal(lc_i128 unscaled, int32_t precision, int32_t scale) {
  lc_expr *e = lit(LC_T_DECIMAL128);
  if (e) e->value.dec = unscaled, e->value.type.precision = precision, e->value.type.scale = scale;
  return e;
}

lc_expr *lc_expr_binary(lc_expr_op op, lc_expr *l, lc_expr *r) {
  lc_expr *e = lc_expr__new(LC_EXPR_BINARY);
  if (e) e->op = op;
  lc_expr *ch[2] = {l, r};
  return with_children(e, ch, 2);
}
lc_expr *lc_expr_and(lc_expr *l, lc_expr *r) { return lc_expr_binary(LC_OP_AND, l, r); }
lc_expr *lc_expr_or(lc_expr *l, lc_expr *r) { return lc_expr_binary(LC_OP_OR, l, r); }
lc_expr *lc_expr_not(lc_expr *x) { return with_children(lc_expr__new(LC_EXPR_NOT), &x, 1); }
lc_expr *lc_expr_neg(lc_expr *x) { return with_children(lc_expr__new(LC_EXPR_NEG), &x, 1); }
lc_expr *lc_expr_is(lc_expr *x, lc_expr_is_kind k) {
  lc_expr *e = lc_expr__new(LC_EXPR_IS);
  if (e) e->is_kind = k;
  return with_children(e, &x, 1);
}
lc_expr *lc_expr_is_null(lc_expr *x) { return lc_expr_is(x, LC_IS_NULL); }
lc_expr *lc_expr_is_not_null(lc_expr *x) { return lc_expr_is(x, LC_IS_NOT_NULL); }

lc_expr *lc_expr_in_list(lc_expr *x, lc_expr *const *items, size_t n, bool negated) {
  lc_expr **ch = lc_calloc(n + 1, sizeof(lc_expr *));
  lc_expr *e = lc_expr__new(LC_EXPR_IN_LIST);
  if (!ch || !e) {
    lc_free(ch);
    lc_expr_free(e);
    lc_expr_free(x);
    for (size_t i = 0; i < n; i++) lc_expr_free(items[i]);
    return NULL;
  }
  ch[0] = x;
  for (size_t i = 0; i < n; i++) ch[i + 1] = items[i];
  e->negated = negated;
  e = with_children(e, ch, n + 1);
  lc_free(ch);
  return e;
}

lc_expr *lc_expr_between(lc_expr *x, lc_expr *lo, lc_expr *hi, bool negated) {
  lc_expr *e = lc_expr__new(LC_EXPR_BETWEEN);
  if (e) e->negated = negated;
  lc_expr *ch[3] = {x, lo, hi};
  return with_children(e, ch, 3);
}

lc_expr *lc_expr_like(lc_expr *x, lc_expr *pattern, char escape, bool negated, bool ci) {
  lc_expr *e = lc_expr__new(LC_EXPR_LIKE);
  if (e) e->escape = escape, e->negated = negated, e->case_insensitive = ci;
  lc_expr *ch[2] = {x, pattern};
  return with_children(e, ch, 2);
}

lc_expr *lc_expr_cast(lc_expr *x, lc_expr_type type) {
  lc_expr *e = lc_expr__new(LC_EXPR_CAST);
  if (e) {
    e->cast_to = type;
    e->cast_to.field = NULL;
  }
  return with_children(e, &x, 1);
}

lc_expr *lc_expr_clone(const lc_expr *s) {
  if (!s) return NULL;
  if (s->kind == LC_EXPR_CAST && s->implicit && s->n_children == 1) return lc_expr_clone(s->children[0]);
  lc_expr *e = lc_expr__new(s->kind);
  if (!e) return NULL;
  e->op = s->op, e->is_kind = s->is_kind, e->negated = s->negated;
  e->case_insensitive = s->case_insensitive, e->escape = s->escape, e->pos = s->pos;
  e->quoted0 = s->quoted0, e->cast_to = s->cast_to, e->try_cast = s->try_cast;
  if (lc_expr__value_copy(&e->value, &s->value)) goto fail;
  if (s->path_len) {
    e->path = lc_calloc(s->path_len, sizeof(char *));
    if (!e->path) goto fail;
    for (size_t i = 0; i < s->path_len; i++) {
      if (!(e->path[i] = lc_strdup(s->path[i]))) goto fail;
      e->path_len = i + 1;
    }
  }
  if (s->n_children) {
    e->children = lc_calloc(s->n_children, sizeof(lc_expr *));
    if (!e->children) goto fail;
    for (size_t i = 0; i < s->n_children; i++) {
      if (!(e->children[i] = lc_expr_clone(s->children[i]))) goto fail;
      e->n_children = i + 1;
    }
  }
  return e;
fail:
  lc_expr_free(e);
  return NULL;
}

/* ---- lexer ------------------------------------------------------------------ */

typedef enum tok_kind {
  TK_EOF = 0, TK_IDENT, TK_QIDENT, TK_INT, TK_NUM, TK_STRING, TK_OP, TK_ERR
} tok_kind;

typedef struct tok {
  tok_kind kind;
  size_t start, len; /* byte span in the SQL */
  char *text;        /* decoded (identifiers, strings); owned */
  size_t text_len;
  char op[3];
} tok;

typedef struct parser {
  const char *sql;
  size_t n;
  size_t i;
  tok t;          /* current token */
  lancec_error *err;
  int rc;
  int depth;
} parser;

static uint32_t char_pos(const parser *p, size_t byte) {
  uint32_t c = 0;
  for (size_t i = 0; i < byte && i < p->n; i++)
    if (((unsigned char)p->sql[i] & 0xC0) != 0x80) c++;
  return c + 1;
}

static int perr(parser *p, size_t byte, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(parser *p, size_t byte, const char *fmt, ...) {
  if (p->rc) return p->rc;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  p->rc = lc_expr__err(p->err, LANCEC_EINVAL, char_pos(p, byte), "%s", msg);
  return p->rc;
}

static int read_quoted(parser *p, char q, size_t start) {
  lc_buf b = {0};
  size_t i = start + 1;
  for (;;) {
    if (i >= p->n) {
      lc_buf_free(&b);
      return perr(p, start, q == '\'' ? "unterminated string literal" : "unterminated quoted identifier");
    }
    char c = p->sql[i];
    if (c == q) {
      if (i + 1 < p->n && p->sql[i + 1] == q) {
        if (lc_buf_append(&b, &c, 1)) goto nomem;
        i += 2;
        continue;
      }
      i++;
      break;
    }
    if (lc_buf_append(&b, &c, 1)) goto nomem;
    i++;
  }
  if (lc_buf_append(&b, "", 1)) goto nomem;
  p->t.text_len = b.len - 1;
  p->t.text = (char *)b.data;
  p->t.len = i - start;
  p->i = i;
  return 0;
nomem:
  lc_buf_free(&b);
  return p->rc = lc_err(p->err, LANCEC_ENOMEM, "out of memory");
}

static int next(parser *p) {
  lc_free(p->t.text);
  memset(&p->t, 0, sizeof(p->t));
  if (p->rc) return p->rc;
  while (p->i < p->n && isspace((unsigned char)p->sql[p->i])) p->i++;
  size_t s = p->i;
  p->t.start = s;
  if (s >= p->n) {
    p->t.kind = TK_EOF;
    return 0;
  }
  const char *q = p->sql;
  char c = q[s];
  if (isalpha((unsigned char)c) || c == '_' || ((unsigned char)c & 0x80)) {
    size_t i = s;
    while (i < p->n && (isalnum((unsigned char)q[i]) || q[i] == '_' || ((unsigned char)q[i] & 0x80))) i++;
    p->t.kind = TK_IDENT;
    p->t.len = i - s;
    p->t.text = lc_strndup(q + s, i - s);
    if (!p->t.text) return p->rc = lc_err(p->err, LANCEC_ENOMEM, "out of memory");
    p->t.text_len = i - s;
    p->i = i;
    return 0;
  }
  if (isdigit((unsigned char)c) || (c == '.' && s + 1 < p->n && isdigit((unsigned char)q[s + 1]))) {
    size_t i = s;
    bool isnum = false;
    while (i < p->n && isdigit((unsigned char)q[i])) i++;
    if (i < p->n && q[i] == '.') {
      isnum = true;
      i++;
      while (i < p->n && isdigit((unsigned char)q[i])) i++;
    }
    if (i < p->n && (q[i] == 'e' || q[i] == 'E')) {
      size_t j = i + 1;
      if (j < p->n && (q[j] == '+' || q[j] == '-')) j++;
      if (j < p->n && isdigit((unsigned char)q[j])) {
        isnum = true;
        i = j;
        while (i < p->n && isdigit((unsigned char)q[i])) i++;
      }
    }
    if (i < p->n && (isalpha((unsigned char)q[i]) || q[i] == '_'))
      return perr(p, s, "invalid number '%.*s'", (int)(i - s + 1), q + s);
    p->t.kind = isnum ? TK_NUM : TK_INT;
    p->t.len = i - s;
    p->t.text = lc_strndup(q + s, i - s);
    if (!p->t.text) return p->rc = lc_err(p->err, LANCEC_ENOMEM, "out of memory");
    p->t.text_len = i - s;
    p->i = i;
    return 0;
  }
  if (c == '\'') {
    p->t.kind = TK_STRING;
    return read_quoted(p, '\'', s);
  }
  if (c == '"' || c == '`') {
    p->t.kind = TK_QIDENT;
    return read_quoted(p, c, s);
  }
  static const char *const ops2[] = {"<=", ">=", "<>", "!=", "==", "::", "||"};
  for (size_t k = 0; k < sizeof(ops2) / sizeof(ops2[0]); k++) {
    if (s + 1 < p->n && q[s] == ops2[k][0] && q[s + 1] == ops2[k][1]) {
      p->t.kind = TK_OP;
      memcpy(p->t.op, ops2[k], 2);
      p->t.len = 2;
      p->i = s + 2;
      return 0;
    }
  }
  if (strchr("=<>+-*/%(),.", c)) {
    p->t.kind = TK_OP;
    p->t.op[0] = c;
    p->t.len = 1;
    p->i = s + 1;
    return 0;
  }
  if ((unsigned char)c < 0x20 || (unsigned char)c == 0x7f) return perr(p, s, "unexpected character (code %d)", c);
  return perr(p, s, "unexpected character '%c'", c);
}

static bool is_op(const parser *p, const char *op) { return p->t.kind == TK_OP && !strcmp(p->t.op, op); }
static bool is_kw(const parser *p, const char *kw) {
  return p->t.kind == TK_IDENT && !strcasecmp(p->t.text, kw);
}

static const char *const k_reserved[] = {"AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE", "IN",
                                         "BETWEEN", "LIKE", "ILIKE", "CAST", "AS", "ESCAPE",
                                         "DATE", "TIMESTAMP", "TIME", "INTERVAL", NULL};
static bool reserved(const char *s) {
  for (int i = 0; k_reserved[i]; i++)
    if (!strcasecmp(s, k_reserved[i])) return true;
  return false;
}


static const char *tok_desc(const parser *p, char *buf, size_t cap) {
  switch (p->t.kind) {
    case TK_EOF: return "end of input";
    case TK_OP: snprintf(buf, cap, "'%s'", p->t.op); return buf;
    default: snprintf(buf, cap, "'%.*s'", (int)(p->t.len > 40 ? 40 : p->t.len), p->sql + p->t.start); return buf;
  }
}

static int expect_op(parser *p, const char *op) {
  if (!is_op(p, op)) {
    char b[64];
    return perr(p, p->t.start, "expected '%s', found %s", op, tok_desc(p, b, sizeof b));
  }
  return next(p);
}

/* ---- types ------------------------------------------------------------------ */

static int parse_type(parser *p, lc_expr_type *out) {
  if (p->t.kind != TK_IDENT) {
    char b[64];
    return perr(p, p->t.start, "expected a type name, found %s", tok_desc(p, b, sizeof b));
  }
  static const struct { const char *name; lc_type_id id; } names[] = {
      {"boolean", LC_T_BOOL}, {"bool", LC_T_BOOL},
      {"tinyint", LC_T_INT8}, {"int8", LC_T_INT8}, {"smallint", LC_T_INT16}, {"int16", LC_T_INT16},
      {"int", LC_T_INT32}, {"integer", LC_T_INT32}, {"int32", LC_T_INT32}, {"int4", LC_T_INT32},
      {"bigint", LC_T_INT64}, {"int64", LC_T_INT64}, {"long", LC_T_INT64},
      {"uint8", LC_T_UINT8}, {"uint16", LC_T_UINT16}, {"uint32", LC_T_UINT32}, {"uint64", LC_T_UINT64},
      {"float", LC_T_FLOAT}, {"real", LC_T_FLOAT}, {"float4", LC_T_FLOAT}, {"float32", LC_T_FLOAT},
      {"double", LC_T_DOUBLE}, {"float8", LC_T_DOUBLE}, {"float64", LC_T_DOUBLE},
      {"string", LC_T_STRING}, {"varchar", LC_T_STRING}, {"text", LC_T_STRING}, {"char", LC_T_STRING},
      {"utf8", LC_T_STRING}, {"binary", LC_T_BINARY}, {"bytea", LC_T_BINARY}, {"varbinary", LC_T_BINARY},
      {"blob", LC_T_BINARY}, {"date", LC_T_DATE32}, {"timestamp", LC_T_TIMESTAMP},
      {"datetime", LC_T_TIMESTAMP}, {"time", LC_T_TIME64}, {"decimal", LC_T_DECIMAL128},
      {"numeric", LC_T_DECIMAL128}, {"date64", LC_T_DATE64}, {"half", LC_T_HALF},
      {"float16", LC_T_HALF}, {"duration", LC_T_DURATION}, {NULL, LC_T_NULL}};
  size_t tstart = p->t.start;
  lc_type_id id = LC_T_NULL;
  bool found = false;
  for (int i = 0; names[i].name; i++)
    if (!strcasecmp(p->t.text, names[i].name)) id = names[i].id, found = true;
  if (!found) return perr(p, tstart, "unknown type '%s'", p->t.text);
  bool is_unsigned_word = false;
  char word[32];
  snprintf(word, sizeof word, "%s", p->t.text);
  *out = lc_expr_type_of(id);
  LC_TRY(next(p));
  if (!strcasecmp(word, "double") && is_kw(p, "precision")) LC_TRY(next(p));
  if ((id == LC_T_INT8 || id == LC_T_INT16 || id == LC_T_INT32 || id == LC_T_INT64) && is_kw(p, "unsigned")) {
    is_unsigned_word = true;
    LC_TRY(next(p));
  }
  if (is_unsigned_word) out->id = (lc_type_id)(id + 1); /* INTn → UINTn */
  if (id == LC_T_TIMESTAMP) out->unit = LC_UNIT_US; /* as Lance: TIMESTAMP is microseconds */
  if (is_op(p, "(")) {
    LC_TRY(next(p));
    int64_t a[2] = {0, 0};
    int na = 0;
    for (;;) {
      if (p->t.kind == TK_IDENT && (id == LC_T_TIMESTAMP || id == LC_T_TIME64 || id == LC_T_DURATION) && na == 0) {
        /* TIMESTAMP(ms) style unit */
        const char *u = p->t.text;
        if (!strcasecmp(u, "s")) out->unit = LC_UNIT_S;
        else if (!strcasecmp(u, "ms")) out->unit = LC_UNIT_MS;
        else if (!strcasecmp(u, "us")) out->unit = LC_UNIT_US;
        else if (!strcasecmp(u, "ns")) out->unit = LC_UNIT_NS;
        else return perr(p, p->t.start, "unknown time unit '%s'", u);
        na = -1;
        if (id == LC_T_TIME64 && (out->unit == LC_UNIT_S || out->unit == LC_UNIT_MS)) out->id = LC_T_TIME32;
        LC_TRY(next(p));
        break;
      }
      bool neg = false;
      if (is_op(p, "-")) {
        neg = true;
        LC_TRY(next(p));
      }
      if (p->t.kind != TK_INT || na >= 2 || p->t.text_len > 6) {
        char b[64];
        return perr(p, p->t.start, "expected a type parameter, found %s", tok_desc(p, b, sizeof b));
      }
      a[na++] = neg ? -atoll(p->t.text) : atoll(p->t.text);
      LC_TRY(next(p));
      if (is_op(p, ",")) {
        LC_TRY(next(p));
        continue;
      }
      break;
    }
    LC_TRY(expect_op(p, ")"));
    if (id == LC_T_DECIMAL128) {
      if (na < 1 || a[0] < 1 || a[0] > 76) return perr(p, tstart, "decimal precision must be 1..76");
      out->precision = (int32_t)a[0];
      out->scale = na > 1 ? (int32_t)a[1] : 0;
      if (out->precision > 38) out->id = LC_T_DECIMAL256;
      if (out->scale > out->precision || out->scale < -out->precision)
        return perr(p, tstart, "decimal scale %d out of range for precision %d", out->scale, out->precision);
    } else if (id == LC_T_TIMESTAMP && na > 0) {
      /* TIMESTAMP(p): fractional digits */
      out->unit = a[0] == 0 ? LC_UNIT_S : a[0] <= 3 ? LC_UNIT_MS : a[0] <= 6 ? LC_UNIT_US : LC_UNIT_NS;
    } else if (id == LC_T_STRING || id == LC_T_BINARY) {
      /* VARCHAR(n): length ignored */
    } else if (na >= 0) {
      return perr(p, tstart, "type '%s' takes no parameters", word);
    }
  } else if (id == LC_T_DECIMAL128) {
    out->precision = 38, out->scale = 10; /* DataFusion's DECIMAL default */
  }
  return 0;
}

/* ---- grammar (precedence climbing) ----------------------------------------
 * or      := and (OR and)*
 * and     := not (AND not)*
 * not     := NOT not | is
 * is      := cmp (IS [NOT] NULL|TRUE|FALSE)*
 * cmp     := add ((=|==|!=|<>|<|<=|>|>=) add | [NOT] IN (...) | [NOT] BETWEEN add AND add
 *             | [NOT] [I]LIKE add [ESCAPE 'c'])*
 * add     := mul ((+|-) mul)*
 * mul     := unary ((*|/|%) unary)*
 * unary   := (-|+) unary | postfix
 * postfix := primary (:: type)*
 * primary := literal | column | ( or ) | CAST(or AS type) | DATE 'x' | TIMESTAMP 'x'  */

static lc_expr *p_or(parser *p);

static lc_expr *at(lc_expr *e, parser *p, size_t byte) {
  if (e) e->pos = char_pos(p, byte);
  else if (!p->rc) p->rc = lc_err(p->err, LANCEC_ENOMEM, "out of memory");
  return e;
}

static lc_expr *number_literal(parser *p) {
  size_t st = p->t.start;
  const char *s = p->t.text;
  lc_expr *e = NULL;
  if (p->t.kind == TK_INT) {
    lc_i128 v;
    /* int64 if it fits, else uint64, else a double (as Lance's planner) */
    if (!lc_expr__parse_int(s, strlen(s), &v) || v > (lc_i128)UINT64_MAX) e = lc_expr_literal_double(strtod(s, NULL));
    else e = v <= INT64_MAX ? lc_expr_literal_int((int64_t)v) : lc_expr_literal_uint((uint64_t)v);
  } else {
    double d = strtod(s, NULL);
    e = lc_expr_literal_double(d);
    if (e && !strpbrk(s, "eE")) {
      /* exact decimal form */
      const char *dot = strchr(s, '.');
      int32_t scale = dot ? (int32_t)strlen(dot + 1) : 0;
      int32_t prec = 0;
      for (const char *q = s; *q; q++) prec += isdigit((unsigned char)*q) != 0;
      lc_i128 u;
      if (prec <= 38 && lc_expr__parse_decimal(s, strlen(s), 38, scale, &u)) {
        e->value.has_dec = true;
        e->value.dec = u;
        e->value.dec_scale = scale;
        e->value.dec_precision = prec < scale ? scale : prec;
        if (e->value.dec_precision < 1) e->value.dec_precision = 1;
      }
    }
  }
  at(e, p, st);
  if (e && next(p)) {
    lc_expr_free(e);
    return NULL;
  }
  return e;
}

static lc_expr *typed_string(parser *p, lc_type_id id, const char *what) {
  size_t st = p->t.start;
  lc_time_unit unit = LC_UNIT_US;
  if (id == LC_T_TIMESTAMP) {
    /* TIMESTAMP / DATETIME [(precision)] '...' */
    lc_expr_type ty;
    if (parse_type(p, &ty)) return NULL;
    unit = ty.unit;
  } else if (next(p)) {
    return NULL;
  }
  if (p->t.kind != TK_STRING) {
    char b[64];
    perr(p, p->t.start, "expected a string after %s, found %s", what, tok_desc(p, b, sizeof b));
    return NULL;
  }
  lc_expr *e = NULL;
  int64_t v;
  if (id == LC_T_DATE32) {
    if (!lc_expr__parse_date(p->t.text, p->t.text_len, &v) || v < INT32_MIN || v > INT32_MAX) {
      perr(p, p->t.start, "invalid date '%s'", p->t.text);
      return NULL;
    }
    e = lc_expr_literal_date((int32_t)v);
  } else if (id == LC_T_TIMESTAMP) {
    if (!lc_expr__parse_timestamp(p->t.text, p->t.text_len, unit, &v)) {
      perr(p, p->t.start, "invalid timestamp '%s'", p->t.text);
      return NULL;
    }
    e = lc_expr_literal_timestamp(v, unit);
  } else {
    if (!lc_expr__parse_time(p->t.text, p->t.text_len, LC_UNIT_NS, &v)) {
      perr(p, p->t.start, "invalid time '%s'", p->t.text);
      return NULL;
    }
    e = lit(LC_T_TIME64);
    if (e) e->value.i = v, e->value.type.unit = LC_UNIT_NS;
  }
  at(e, p, st);
  if (e && next(p)) {
    lc_expr_free(e);
    return NULL;
  }
  return e;
}

static lc_expr *p_primary(parser *p) {
  size_t st = p->t.start;
  char b[64];
  switch (p->t.kind) {
    case TK_INT:
    case TK_NUM: return number_literal(p);
    case TK_STRING: {
      lc_expr *e = at(lc_expr_literal_bytes(p->t.text, p->t.text_len, false), p, st);
      if (e && next(p)) {
        lc_expr_free(e);
        return NULL;
      }
      return e;
    }
    case TK_OP:
      if (is_op(p, "(")) {
        if (next(p)) return NULL;
        lc_expr *e = p_or(p);
        if (!e) return NULL;
        if (!is_op(p, ")")) {
          perr(p, p->t.start, "expected ')', found %s", tok_desc(p, b, sizeof b));
          lc_expr_free(e);
          return NULL;
        }
        if (next(p)) {
          lc_expr_free(e);
          return NULL;
        }
        return e;
      }
      perr(p, st, "expected an expression, found %s", tok_desc(p, b, sizeof b));
      return NULL;
    case TK_EOF:
      perr(p, st, "expected an expression, found end of input");
      return NULL;
    case TK_IDENT:
    case TK_QIDENT:
      break;
    default:
      perr(p, st, "unexpected token");
      return NULL;
  }
  if (p->t.kind == TK_IDENT) {
    if (is_kw(p, "TRUE") || is_kw(p, "FALSE")) {
      lc_expr *e = at(lc_expr_literal_bool(is_kw(p, "TRUE")), p, st);
      if (e && next(p)) {
        lc_expr_free(e);
        return NULL;
      }
      return e;
    }
    if (is_kw(p, "NULL")) {
      lc_expr *e = at(lc_expr_literal_null(), p, st);
      if (e && next(p)) {
        lc_expr_free(e);
        return NULL;
      }
      return e;
    }
    /* DATE '...', TIMESTAMP [(p)] '...', DATETIME [(p)] '...' (only when a string follows) */
    size_t save = p->i;
    if (is_kw(p, "DATE") || is_kw(p, "TIMESTAMP") || is_kw(p, "DATETIME") || is_kw(p, "TIME")) {
      size_t j = save;
      while (j < p->n && isspace((unsigned char)p->sql[j])) j++;
      bool ts = is_kw(p, "TIMESTAMP") || is_kw(p, "DATETIME");
      if (ts && j < p->n && p->sql[j] == '(') { /* skip "(digits)" */
        size_t k = j + 1;
        while (k < p->n && (isdigit((unsigned char)p->sql[k]) || isspace((unsigned char)p->sql[k]))) k++;
        if (k < p->n && p->sql[k] == ')') {
          j = k + 1;
          while (j < p->n && isspace((unsigned char)p->sql[j])) j++;
        }
      }
      if (j < p->n && p->sql[j] == '\'') {
        lc_type_id id = is_kw(p, "DATE") ? LC_T_DATE32 : is_kw(p, "TIME") ? LC_T_TIME64 : LC_T_TIMESTAMP;
        return typed_string(p, id, id == LC_T_DATE32 ? "DATE" : id == LC_T_TIME64 ? "TIME" : "TIMESTAMP");
      }
    }
    if (is_kw(p, "CAST") || is_kw(p, "TRY_CAST")) {
      size_t j = save;
      while (j < p->n && isspace((unsigned char)p->sql[j])) j++;
      if (j < p->n && p->sql[j] == '(') {
        bool try_cast = is_kw(p, "TRY_CAST");
        if (next(p) || next(p)) return NULL;
        lc_expr *x = p_or(p);
        if (!x) return NULL;
        if (!is_kw(p, "AS")) {
          perr(p, p->t.start, "expected AS in CAST, found %s", tok_desc(p, b, sizeof b));
          lc_expr_free(x);
          return NULL;
        }
        lc_expr_type ty;
        if (next(p) || parse_type(p, &ty) || expect_op(p, ")")) {
          lc_expr_free(x);
          return NULL;
        }
        lc_expr *k = at(lc_expr_cast(x, ty), p, st);
        if (k) k->try_cast = try_cast;
        return k;
      }
    }
    if (reserved(p->t.text)) {
      perr(p, st, "expected an expression, found keyword '%s'", p->t.text);
      return NULL;
    }
    /* function calls are not supported */
    size_t j = save;
    while (j < p->n && isspace((unsigned char)p->sql[j])) j++;
    if (j < p->n && p->sql[j] == '(') {
      perr(p, st, "unsupported function '%s'", p->t.text);
      return NULL;
    }
  }
  /* column path: ident (. ident)* */
  char **parts = NULL;
  size_t np = 0;
  bool q0 = p->t.kind == TK_QIDENT;
  lc_expr *e = NULL;
  for (;;) {
    if (p->t.kind != TK_IDENT && p->t.kind != TK_QIDENT) {
      perr(p, p->t.start, "expected a field name after '.', found %s", tok_desc(p, b, sizeof b));
      goto out;
    }
    char **np2 = lc_realloc(parts, (np + 1) * sizeof(char *));
    if (!np2) goto oom;
    parts = np2;
    parts[np++] = p->t.text;
    p->t.text = NULL;
    if (next(p)) goto out;
    if (!is_op(p, ".")) break;
    if (next(p)) goto out;
  }
  e = lc_expr_column_parts((const char *const *)parts, np);
  if (!e) goto oom;
  e->quoted0 = q0;
  e->pos = char_pos(p, st);
  goto out;
oom:
  perr(p, st, "out of memory");
out:
  for (size_t k = 0; k < np; k++) lc_free(parts[k]);
  lc_free(parts);
  return e;
}

static lc_expr *p_postfix(parser *p) {
  lc_expr *e = p_primary(p);
  while (e && is_op(p, "::")) {
    size_t st = p->t.start;
    lc_expr_type ty;
    if (next(p) || parse_type(p, &ty)) {
      lc_expr_free(e);
      return NULL;
    }
    e = at(lc_expr_cast(e, ty), p, st);
  }
  return e;
}

/* Is the current token followed by "::" (a cast binds tighter than a sign)? */
static bool followed_by_cast(const parser *p) {
  size_t j = p->i;
  while (j < p->n && isspace((unsigned char)p->sql[j])) j++;
  return j + 1 < p->n && p->sql[j] == ':' && p->sql[j + 1] == ':';
}

static lc_expr *p_unary(parser *p) {
  if (++p->depth > 200) {
    perr(p, p->t.start, "expression nested too deeply");
    return NULL;
  }
  lc_expr *r;
  if (is_op(p, "-") || is_op(p, "+")) {
    size_t st = p->t.start;
    bool neg = is_op(p, "-");
    if (next(p)) return NULL;
    if (neg && (p->t.kind == TK_INT || p->t.kind == TK_NUM) && !followed_by_cast(p)) {
      /* "-<number>" is one literal (as in Lance's planner): an int64, else a double */
      r = number_literal(p);
      if (r) {
        lc_expr_value *v = &r->value;
        if (v->type.id == LC_T_INT64) v->i = -v->i;
        else if (v->type.id == LC_T_UINT64) v->type.id = LC_T_DOUBLE, v->f = -(double)v->u, v->u = 0;
        else v->f = -v->f, v->dec = -v->dec;
        r->pos = char_pos(p, st);
      }
      p->depth--;
      return r;
    }
    lc_expr *x = p_unary(p);
    r = !x ? NULL : neg ? at(lc_expr_neg(x), p, st) : x;
  } else {
    r = p_postfix(p);
  }
  p->depth--;
  return r;
}

static lc_expr *p_mul(parser *p) {
  lc_expr *l = p_unary(p);
  while (l && (is_op(p, "*") || is_op(p, "/") || is_op(p, "%"))) {
    size_t st = p->t.start;
    lc_expr_op op = is_op(p, "*") ? LC_OP_MUL : is_op(p, "/") ? LC_OP_DIV : LC_OP_MOD;
    if (next(p)) break;
    lc_expr *r = p_unary(p);
    if (!r) break;
    l = at(lc_expr_binary(op, l, r), p, st);
  }
  if (p->rc) {
    lc_expr_free(l);
    return NULL;
  }
  return l;
}

static lc_expr *p_add(parser *p) {
  lc_expr *l = p_mul(p);
  while (l && (is_op(p, "+") || is_op(p, "-"))) {
    size_t st = p->t.start;
    lc_expr_op op = is_op(p, "+") ? LC_OP_ADD : LC_OP_SUB;
    if (next(p)) break;
    lc_expr *r = p_mul(p);
    if (!r) break;
    l = at(lc_expr_binary(op, l, r), p, st);
  }
  if (p->rc) {
    lc_expr_free(l);
    return NULL;
  }
  return l;
}

static bool cmp_op(const parser *p, lc_expr_op *op) {
  if (p->t.kind != TK_OP) return false;
  const char *o = p->t.op;
  if (!strcmp(o, "=") || !strcmp(o, "==")) *op = LC_OP_EQ;
  else if (!strcmp(o, "!=") || !strcmp(o, "<>")) *op = LC_OP_NE;
  else if (!strcmp(o, "<")) *op = LC_OP_LT;
  else if (!strcmp(o, "<=")) *op = LC_OP_LE;
  else if (!strcmp(o, ">")) *op = LC_OP_GT;
  else if (!strcmp(o, ">=")) *op = LC_OP_GE;
  else return false;
  return true;
}

static lc_expr *p_cmp(parser *p) {
  lc_expr *l = p_add(p);
  char b[64];
  while (l && !p->rc) {
    size_t st = p->t.start;
    lc_expr_op op;
    if (cmp_op(p, &op)) {
      if (next(p)) break;
      lc_expr *r = p_add(p);
      if (!r) break;
      l = at(lc_expr_binary(op, l, r), p, st);
      continue;
    }
    bool neg = false;
    if (is_kw(p, "NOT")) {
      /* only NOT IN / NOT BETWEEN / NOT LIKE continue a comparison */
      size_t j = p->i;
      while (j < p->n && isspace((unsigned char)p->sql[j])) j++;
      size_t k = j;
      while (k < p->n && isalpha((unsigned char)p->sql[k])) k++;
      bool ok = (k - j == 2 && !strncasecmp(p->sql + j, "IN", 2)) ||
                (k - j == 7 && !strncasecmp(p->sql + j, "BETWEEN", 7)) ||
                (k - j == 4 && !strncasecmp(p->sql + j, "LIKE", 4)) ||
                (k - j == 5 && !strncasecmp(p->sql + j, "ILIKE", 5));
      if (!ok) break;
      neg = true;
      if (next(p)) break;
    }
    if (is_kw(p, "IN")) {
      if (next(p)) break;
      if (!is_op(p, "(")) {
        perr(p, p->t.start, "expected '(' after IN, found %s", tok_desc(p, b, sizeof b));
        break;
      }
      if (next(p)) break;
      lc_expr **items = NULL;
      size_t ni = 0;
      bool ok = true;
      if (is_op(p, ")")) {
        perr(p, p->t.start, "empty IN list");
        break;
      }
      for (;;) {
        lc_expr *it = p_or(p);
        if (!it) {
          ok = false;
          break;
        }
        lc_expr **n2 = lc_realloc(items, (ni + 1) * sizeof(*items));
        if (!n2) {
          lc_expr_free(it);
          perr(p, st, "out of memory");
          ok = false;
          break;
        }
        items = n2;
        items[ni++] = it;
        if (is_op(p, ",")) {
          if (next(p)) {
            ok = false;
            break;
          }
          continue;
        }
        if (!is_op(p, ")")) {
          perr(p, p->t.start, "expected ')' or ',' in IN list, found %s", tok_desc(p, b, sizeof b));
          ok = false;
          break;
        }
        if (next(p)) ok = false;
        break;
      }
      if (!ok) {
        for (size_t k = 0; k < ni; k++) lc_expr_free(items[k]);
        lc_free(items);
        break;
      }
      l = at(lc_expr_in_list(l, items, ni, neg), p, st);
      lc_free(items);
      continue;
    }
    if (is_kw(p, "BETWEEN")) {
      if (next(p)) break;
      lc_expr *lo = p_add(p);
      if (!lo) break;
      if (!is_kw(p, "AND")) {
        perr(p, p->t.start, "expected AND in BETWEEN, found %s", tok_desc(p, b, sizeof b));
        lc_expr_free(lo);
        break;
      }
      lc_expr *hi = NULL;
      if (next(p) || !(hi = p_add(p))) {
        lc_expr_free(lo);
        break;
      }
      l = at(lc_expr_between(l, lo, hi, neg), p, st);
      continue;
    }
    if (is_kw(p, "LIKE") || is_kw(p, "ILIKE")) {
      bool ci = is_kw(p, "ILIKE");
      if (next(p)) break;
      lc_expr *pat = p_add(p);
      if (!pat) break;
      char esc = '\\';
      if (is_kw(p, "ESCAPE")) {
        if (next(p)) {
          lc_expr_free(pat);
          break;
        }
        if (p->t.kind != TK_STRING || p->t.text_len > 1) {
          perr(p, p->t.start, "ESCAPE needs a one-character string");
          lc_expr_free(pat);
          break;
        }
        esc = p->t.text_len ? p->t.text[0] : 0;
        if (next(p)) {
          lc_expr_free(pat);
          break;
        }
      }
      l = at(lc_expr_like(l, pat, esc, neg, ci), p, st);
      continue;
    }
    break;
  }
  if (p->rc) {
    lc_expr_free(l);
    return NULL;
  }
  return l;
}

static lc_expr *p_is(parser *p) {
  lc_expr *l = p_cmp(p);
  char b[64];
  while (l && is_kw(p, "IS")) {
    size_t st = p->t.start;
    if (next(p)) break;
    bool neg = false;
    if (is_kw(p, "NOT")) {
      neg = true;
      if (next(p)) break;
    }
    lc_expr_is_kind k;
    if (is_kw(p, "NULL")) k = neg ? LC_IS_NOT_NULL : LC_IS_NULL;
    else if (is_kw(p, "TRUE")) k = neg ? LC_IS_NOT_TRUE : LC_IS_TRUE;
    else if (is_kw(p, "FALSE")) k = neg ? LC_IS_NOT_FALSE : LC_IS_FALSE;
    else {
      perr(p, p->t.start, "expected NULL, TRUE or FALSE after IS, found %s", tok_desc(p, b, sizeof b));
      break;
    }
    if (next(p)) break;
    l = at(lc_expr_is(l, k), p, st);
  }
  if (p->rc) {
    lc_expr_free(l);
    return NULL;
  }
  return l;
}

static lc_expr *p_not(parser *p) {
  if (is_kw(p, "NOT")) {
    if (++p->depth > 200) {
      perr(p, p->t.start, "expression nested too deeply");
      return NULL;
    }
    size_t st = p->t.start;
    if (next(p)) return NULL;
    lc_expr *x = p_not(p);
    p->depth--;
    return x ? at(lc_expr_not(x), p, st) : NULL;
  }
  return p_is(p);
}

/* AND / OR chains are built balanced (both are associative, also under
 * three-valued logic), so "id = 1 OR id = 2 OR ..." with thousands of terms
 * stays shallow. */
/* An AND / OR chain as Lance's planner builds it: rounds that pair
 * neighbours from the left, ((a b) (c d)) e ... — balanced (shallow for
 * thousands of terms), and the same shape as real Lance, which matters for
 * what DataFusion simplifies and short-circuits. items[] is consumed
 * (entries replaced); NULL on allocation failure (everything freed). */
static lc_expr *balanced(lc_expr_op op, lc_expr **items, const uint32_t *opos, size_t n) {
  size_t *last = lc_malloc(n * sizeof *last); /* last original item of each node */
  if (!last) {
    for (size_t i = 0; i < n; i++) lc_expr_free(items[i]);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) last[i] = i;
  bool ok = true;
  while (n > 1) {
    size_t m = 0;
    for (size_t i = 0; i < n; i += 2) {
      if (i + 1 == n) {
        items[m] = items[i], last[m] = last[i], m++;
        continue;
      }
      lc_expr *e = ok ? lc_expr_binary(op, items[i], items[i + 1]) : NULL;
      if (!e) {
        if (ok) ok = false; /* lc_expr_binary freed both */
        else lc_expr_free(items[i]), lc_expr_free(items[i + 1]);
        items[m] = NULL, last[m] = last[i + 1], m++;
        continue;
      }
      e->pos = opos[last[i]];
      items[m] = e, last[m] = last[i + 1], m++;
    }
    n = m;
  }
  lc_free(last);
  if (!ok) {
    lc_expr_free(items[0]);
    return NULL;
  }
  return items[0];
}

static lc_expr *p_chain(parser *p, lc_expr *(*sub)(parser *), const char *kw, lc_expr_op op) {
  lc_expr *first = sub(p);
  if (!first || !is_kw(p, kw)) return first;
  lc_expr **items = NULL;
  uint32_t *opos = NULL;
  size_t n = 0, cap = 0;
  lc_expr *cur = first;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 8;
      lc_expr **ni = lc_realloc(items, cap * sizeof(*ni));
      if (ni) items = ni;
      uint32_t *np = lc_realloc(opos, cap * sizeof(*np));
      if (np) opos = np;
      if (!ni || !np) {
        lc_expr_free(cur);
        perr(p, p->t.start, "out of memory");
        break;
      }
    }
    items[n++] = cur;
    if (!is_kw(p, kw)) break;
    opos[n - 1] = char_pos(p, p->t.start);
    if (next(p)) break;
    cur = sub(p);
    if (!cur) break;
  }
  lc_expr *e = NULL;
  if (!p->rc && n) {
    e = balanced(op, items, opos, n);
    if (!e) perr(p, 0, "out of memory");
  } else {
    for (size_t i = 0; i < n; i++) lc_expr_free(items[i]);
  }
  lc_free(items);
  lc_free(opos);
  return p->rc ? (lc_expr_free(e), NULL) : e;
}

static lc_expr *p_and(parser *p) { return p_chain(p, p_not, "AND", LC_OP_AND); }

static lc_expr *p_or(parser *p) {
  if (++p->depth > 200) {
    perr(p, p->t.start, "expression nested too deeply");
    return NULL;
  }
  lc_expr *l = p_chain(p, p_and, "OR", LC_OP_OR);
  p->depth--;
  return l;
}

int lc_expr_parse(lc_expr **out, const char *sql, const lc_schema *schema, lancec_error *err) {
  if (!out) return lc_err(err, LANCEC_EINVAL, "filter: NULL out");
  *out = NULL;
  if (!sql) return lc_err(err, LANCEC_EINVAL, "filter: NULL filter");
  parser p;
  memset(&p, 0, sizeof(p));
  p.sql = sql;
  p.n = strlen(sql);
  p.err = err;
  if (next(&p)) return p.rc;
  if (p.t.kind == TK_EOF) {
    lc_free(p.t.text);
    return lc_expr__err(err, LANCEC_EINVAL, 1, "empty filter");
  }
  lc_expr *e = p_or(&p);
  if (e && p.t.kind != TK_EOF) {
    char b[64];
    if (p.t.kind == TK_OP && !strcmp(p.t.op, ")")) perr(&p, p.t.start, "unexpected ')'");
    else perr(&p, p.t.start, "unexpected %s", tok_desc(&p, b, sizeof b));
  }
  lc_free(p.t.text);
  if (!p.rc && e && lc_expr__too_deep(e, LC_EXPR_MAX_DEPTH))
    perr(&p, 0, "expression nested too deeply (more than %d levels)", LC_EXPR_MAX_DEPTH);
  if (p.rc || !e) {
    lc_expr_free(e);
    return p.rc ? p.rc : lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  if (schema) {
    int rc = lc_expr_bind(e, schema, err);
    if (rc) {
      lc_expr_free(e);
      return rc;
    }
  }
  *out = e;
  return 0;
}

/* ---- to_string --------------------------------------------------------------- */

static int prec_of(const lc_expr *e) {
  switch (e->kind) {
    case LC_EXPR_BINARY:
      switch (e->op) {
        case LC_OP_OR: return 1;
        case LC_OP_AND: return 2;
        case LC_OP_ADD: case LC_OP_SUB: return 6;
        case LC_OP_MUL: case LC_OP_DIV: case LC_OP_MOD: return 7;
        default: return 5;
      }
    case LC_EXPR_NOT: return 3;
    case LC_EXPR_IS: return 4;
    case LC_EXPR_IN_LIST: case LC_EXPR_BETWEEN: case LC_EXPR_LIKE: return 5;
    case LC_EXPR_NEG: return 8;
    case LC_EXPR_LITERAL:
      /* negative numbers print with a sign: treat like unary minus */
      if ((e->value.type.id >= LC_T_INT8 && e->value.type.id <= LC_T_INT64 && e->value.i < 0) ||
          (lc_expr__is_float(e->value.type.id) && signbit(e->value.f)) ||
          (e->value.type.id == LC_T_DECIMAL128 && e->value.dec < 0))
        return 8;
      return 10;
    default: return 10;
  }
}

static void sb(lc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb(lc_buf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    lc_buf_append(b, tmp, (size_t)n);
    return;
  }
  char *big = lc_malloc((size_t)n + 1);
  if (!big) return;
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  lc_buf_append(b, big, (size_t)n);
  lc_free(big);
}

static void quoted(lc_buf *b, const char *s, size_t n, char q) {
  lc_buf_append(b, &q, 1);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == q) lc_buf_append(b, &q, 1);
    lc_buf_append(b, &s[i], 1);
  }
  lc_buf_append(b, &q, 1);
}

static void ident(lc_buf *b, const char *s) {
  bool plain = (isalpha((unsigned char)s[0]) || s[0] == '_') && !reserved(s);
  for (const char *q = s; *q && plain; q++)
    if (!isalnum((unsigned char)*q) && *q != '_') plain = false;
  if (plain) sb(b, "%s", s);
  else quoted(b, s, strlen(s), '"');
}

static void print_value(lc_buf *b, const lc_expr_value *v) {
  char tmp[128], tn[64];
  switch (v->type.id) {
    case LC_T_NULL: sb(b, "NULL"); return;
    case LC_T_BOOL: sb(b, v->b ? "TRUE" : "FALSE"); return;
    case LC_T_INT64: sb(b, "%lld", (long long)v->i); return;
    case LC_T_UINT64: sb(b, "%llu", (unsigned long long)v->u); return;
    case LC_T_INT8: case LC_T_INT16: case LC_T_INT32:
      sb(b, "CAST(%lld AS %s)", (long long)v->i, lc_expr_type_name(&v->type, tn, sizeof tn));
      return;
    case LC_T_UINT8: case LC_T_UINT16: case LC_T_UINT32:
      sb(b, "CAST(%lld AS %s)", (long long)v->i, lc_expr_type_name(&v->type, tn, sizeof tn));
      return;
    case LC_T_DOUBLE: case LC_T_FLOAT: case LC_T_HALF:
      if (v->has_dec) {
        lc_expr__fmt_decimal(v->dec, v->dec_scale, tmp, sizeof tmp);
        sb(b, "%s", tmp);
      } else if (isnan(v->f) || isinf(v->f)) {
        lc_expr__fmt_double(fabs(v->f), tmp, sizeof tmp);
        sb(b, "%s'%s'::DOUBLE", signbit(v->f) ? "-" : "", tmp);
      } else {
        lc_expr__fmt_double(v->f, tmp, sizeof tmp);
        sb(b, "%s", tmp);
      }
      if (v->type.id != LC_T_DOUBLE) sb(b, "::%s", lc_expr_type_name(&v->type, tn, sizeof tn));
      return;
    case LC_T_DECIMAL128: case LC_T_DECIMAL256:
      lc_expr__fmt_decimal(v->dec, v->type.scale, tmp, sizeof tmp);
      sb(b, "CAST(%s AS %s)", tmp, lc_expr_type_name(&v->type, tn, sizeof tn));
      return;
    case LC_T_STRING: case LC_T_LARGE_STRING:
      quoted(b, v->str ? v->str : "", v->len, '\'');
      return;
    case LC_T_BINARY: case LC_T_LARGE_BINARY: case LC_T_FIXED_BINARY:
      quoted(b, v->str ? v->str : "", v->len, '\'');
      sb(b, "::BYTEA");
      return;
    case LC_T_DATE32:
      lc_expr__fmt_date(v->i, tmp, sizeof tmp);
      sb(b, "DATE '%s'", tmp);
      return;
    case LC_T_DATE64:
      lc_expr__fmt_timestamp(v->i, LC_UNIT_MS, ' ', tmp, sizeof tmp);
      sb(b, "CAST(TIMESTAMP '%s' AS DATE64)", tmp);
      return;
    case LC_T_TIMESTAMP:
      lc_expr__fmt_timestamp(v->i, v->type.unit, ' ', tmp, sizeof tmp);
      if (v->type.unit == LC_UNIT_US) sb(b, "TIMESTAMP '%s'", tmp);
      else sb(b, "TIMESTAMP(%d) '%s'", v->type.unit == LC_UNIT_S ? 0 : v->type.unit == LC_UNIT_MS ? 3 : 9, tmp);
      return;
    case LC_T_TIME32: case LC_T_TIME64:
      lc_expr__fmt_time(v->i, v->type.unit, tmp, sizeof tmp);
      if (v->type.unit == LC_UNIT_NS) sb(b, "TIME '%s'", tmp);
      else sb(b, "CAST(TIME '%s' AS %s)", tmp, lc_expr_type_name(&v->type, tn, sizeof tn));
      return;
    case LC_T_DURATION:
      sb(b, "CAST(%lld AS %s)", (long long)v->i, lc_expr_type_name(&v->type, tn, sizeof tn));
      return;
    default: sb(b, "NULL"); return;
  }
}

static const char *op_text(lc_expr_op op) {
  static const char *const t[] = {"=", "!=", "<", "<=", ">", ">=", "AND", "OR", "+", "-", "*", "/", "%"};
  return t[op];
}

static void print(lc_buf *b, const lc_expr *e);

static void print_child(lc_buf *b, const lc_expr *c, int min_prec) {
  while (c->kind == LC_EXPR_CAST && c->implicit) c = c->children[0];
  if (prec_of(c) < min_prec) {
    sb(b, "(");
    print(b, c);
    sb(b, ")");
  } else {
    print(b, c);
  }
}

static void print(lc_buf *b, const lc_expr *e) {
  static const char *const is_text[] = {"IS NULL", "IS NOT NULL", "IS TRUE", "IS NOT TRUE", "IS FALSE", "IS NOT FALSE"};
  char tn[64];
  int pr = prec_of(e);
  switch (e->kind) {
    case LC_EXPR_LITERAL: print_value(b, &e->value); return;
    case LC_EXPR_COLUMN:
      for (size_t i = 0; i < e->path_len; i++) {
        if (i) sb(b, ".");
        ident(b, e->path[i]);
      }
      return;
    case LC_EXPR__REF: sb(b, "?"); return;
    case LC_EXPR_BINARY: {
      print_child(b, e->children[0], pr);
      sb(b, " %s ", op_text(e->op));
      /* left-assoc: a right child of equal precedence needs parentheses,
       * except for AND/OR chains of the same op */
      const lc_expr *r = e->children[1];
      while (r->kind == LC_EXPR_CAST && r->implicit) r = r->children[0];
      bool same_assoc = lc_expr_op_is_logic(e->op) && r->kind == LC_EXPR_BINARY && r->op == e->op;
      print_child(b, r, same_assoc ? pr : pr + 1);
      return;
    }
    case LC_EXPR_NOT:
      sb(b, "NOT ");
      print_child(b, e->children[0], pr);
      return;
    case LC_EXPR_NEG:
      sb(b, "-");
      print_child(b, e->children[0], 9); /* "-(-x)", "-(a + b)" */
      return;
    case LC_EXPR_IS:
      print_child(b, e->children[0], pr + 1);
      sb(b, " %s", is_text[e->is_kind]);
      return;
    case LC_EXPR_IN_LIST:
      print_child(b, e->children[0], pr + 1);
      sb(b, e->negated ? " NOT IN (" : " IN (");
      for (size_t i = 1; i < e->n_children; i++) {
        if (i > 1) sb(b, ", ");
        print_child(b, e->children[i], 0);
      }
      sb(b, ")");
      return;
    case LC_EXPR_BETWEEN:
      print_child(b, e->children[0], pr + 1);
      sb(b, e->negated ? " NOT BETWEEN " : " BETWEEN ");
      print_child(b, e->children[1], pr + 1);
      sb(b, " AND ");
      print_child(b, e->children[2], pr + 1);
      return;
    case LC_EXPR_LIKE:
      print_child(b, e->children[0], pr + 1);
      sb(b, "%s%s ", e->negated ? " NOT" : "", e->case_insensitive ? " ILIKE" : " LIKE");
      print_child(b, e->children[1], pr + 1);
      if (e->escape != '\\') {
        sb(b, " ESCAPE ");
        char c = e->escape;
        quoted(b, &c, c ? 1 : 0, '\'');
      }
      return;
    case LC_EXPR_CAST:
      if (e->implicit) {
        print(b, e->children[0]);
        return;
      }
      sb(b, e->try_cast ? "TRY_CAST(" : "CAST(");
      print_child(b, e->children[0], 0);
      sb(b, " AS %s)", lc_expr_type_name(&e->cast_to, tn, sizeof tn));
      return;
  }
}

char *lc_expr_to_string(const lc_expr *e) {
  if (!e) return NULL;
  lc_buf b = {0};
  print(&b, e);
  if (lc_buf_append(&b, "", 1)) {
    lc_buf_free(&b);
    return NULL;
  }
  size_t n;
  return (char *)lc_buf_steal(&b, &n);
}

size_t lc_expr_num_columns(const lc_expr *e) { return e ? e->n_columns : 0; }
const char *lc_expr_column(const lc_expr *e, size_t i) {
  return e && i < e->n_columns ? e->columns[i] : NULL;
}
