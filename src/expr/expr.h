/* SQL filter expressions (DataFusion-style dialect, see docs/filters.md):
 * parse, bind to a schema, evaluate as a vectorised predicate over Arrow
 * batches, print as canonical SQL. The tree is transparent (read-only) so
 * that planners can look at it (data skipping, index lookups).
 *
 * Lifecycle: lc_expr_parse() = parse + lc_expr_bind(). Trees built with the
 * C builders below are unbound until lc_expr_bind(). Builders take ownership
 * of the child trees passed in; on allocation failure (or a NULL child) they
 * free what they were given and return NULL, so calls can be nested and the
 * result checked once. */
#ifndef LC_EXPR_H
#define LC_EXPR_H

#include "common/common.h"
#include "schema/schema.h"

typedef struct lc_expr lc_expr;

/* ---- node kinds ------------------------------------------------------------ */
typedef enum lc_expr_kind {
  LC_EXPR_LITERAL = 0, /* value */
  LC_EXPR_COLUMN,      /* path[0..path_len): top-level column then struct members */
  LC_EXPR_BINARY,      /* op; children[0] op children[1] */
  LC_EXPR_NOT,         /* NOT children[0] */
  LC_EXPR_NEG,         /* - children[0] */
  LC_EXPR_IS,          /* children[0] IS [NOT] NULL/TRUE/FALSE (is_kind) */
  LC_EXPR_IN_LIST,     /* children[0] [NOT] IN (children[1..n)) */
  LC_EXPR_BETWEEN,     /* children[0] [NOT] BETWEEN children[1] AND children[2] */
  LC_EXPR_LIKE,        /* children[0] [NOT] [I]LIKE children[1] (a string literal) */
  LC_EXPR_CAST,        /* CAST(children[0] AS cast_to); implicit casts come from binding */
  LC_EXPR__REF         /* internal (lowered IN/BETWEEN operand); never in a public tree */
} lc_expr_kind;

typedef enum lc_expr_op {
  LC_OP_EQ = 0, LC_OP_NE, LC_OP_LT, LC_OP_LE, LC_OP_GT, LC_OP_GE, /* comparisons */
  LC_OP_AND, LC_OP_OR,                                           /* logic */
  LC_OP_ADD, LC_OP_SUB, LC_OP_MUL, LC_OP_DIV, LC_OP_MOD          /* arithmetic */
} lc_expr_op;

typedef enum lc_expr_is_kind {
  LC_IS_NULL = 0, LC_IS_NOT_NULL, LC_IS_TRUE, LC_IS_NOT_TRUE, LC_IS_FALSE, LC_IS_NOT_FALSE
} lc_expr_is_kind;

static inline bool lc_expr_op_is_cmp(lc_expr_op op) { return op <= LC_OP_GE; }
static inline bool lc_expr_op_is_logic(lc_expr_op op) { return op == LC_OP_AND || op == LC_OP_OR; }
static inline bool lc_expr_op_is_arith(lc_expr_op op) { return op >= LC_OP_ADD; }

/* ---- types and values ------------------------------------------------------ */
/* A value type: the lc_type_id plus its parameters. For column references it
 * is the column's own type (dictionary columns: the value type); `field`
 * then points at the schema field (nested types are only usable with IS). */
typedef struct lc_expr_type {
  lc_type_id id;
  int32_t precision, scale; /* DECIMAL128/256 */
  lc_time_unit unit;        /* TIME32/64, TIMESTAMP, DURATION */
  int32_t width;            /* FIXED_BINARY */
  const lc_field *field;    /* column's field when the type comes from one (borrowed
                             * from the bind-time schema; valid while it lives) */
} lc_expr_type;

__extension__ typedef __int128 lc_i128;

/* A literal. type.id is one of: NULL, BOOL, INT8..UINT64 (i or u), HALF/FLOAT/
 * DOUBLE (f), DECIMAL128 (dec = unscaled, type.precision/scale), STRING/
 * BINARY (str, len bytes, NUL-terminated too), DATE32 (i = days since epoch),
 * DATE64 (i = ms), TIME32/TIME64/TIMESTAMP/DURATION (i in type.unit). A
 * parsed numeric literal with a fraction ("1.50") is DOUBLE with has_dec set
 * and its exact decimal form in dec/dec_scale (for printing it as written;
 * it is a double everywhere else, as in Lance). */
typedef struct lc_expr_value {
  lc_expr_type type;
  bool b;
  int64_t i;
  uint64_t u;
  double f;
  lc_i128 dec;
  bool has_dec;        /* DOUBLE literal written in decimal notation */
  int32_t dec_scale;   /* ... its scale */
  int32_t dec_precision;
  char *str;
  size_t len;
} lc_expr_value;

/* ---- the node (read-only for users) ---------------------------------------- */
struct lc_expr {
  lc_expr_kind kind;
  lc_expr_op op;          /* BINARY */
  lc_expr_is_kind is_kind;/* IS */
  bool negated;           /* NOT IN / NOT BETWEEN / NOT LIKE */
  bool case_insensitive;  /* ILIKE */
  bool implicit;          /* CAST inserted by binding (not printed) */
  char escape;            /* LIKE escape character (default '\\'; 0 = none) */
  uint32_t pos;           /* 1-based character position in the SQL text; 0 if built in C */
  lc_expr **children;
  size_t n_children;
  /* COLUMN */
  char **path;            /* as bound: exact field names (as written before binding) */
  size_t path_len;
  bool quoted0;           /* first path part was quoted (exact match only) */
  int special;            /* 0; 1 = _rowid; 2 = _rowaddr (typed uint64) */
  size_t col_slot;        /* index into the root's column list (bound) */
  /* LITERAL */
  lc_expr_value value;
  /* CAST */
  lc_expr_type cast_to;
  bool try_cast;          /* TRY_CAST: NULL where the conversion fails (CAST: an error) */
  /* binding */
  bool bound;
  lc_expr_type type;      /* result type (NULL when always NULL) */
  /* root only (after binding): top-level columns read, first-use order */
  char **columns;
  size_t n_columns;
  /* private */
  uint64_t colmask_;      /* columns used (bit per slot; ~0 = unknown) */
  lc_expr *lowered_;      /* IN/BETWEEN lowered to comparisons */
  void *like_;            /* compiled LIKE pattern */
  void *inset_;           /* IN list of literals: sorted values */
  bool fzero_;            /* float comparison with a literal zero: -0.0 counts as +0.0 */
};

/* ---- contract ---------------------------------------------------------------- */
/* Parse a SQL boolean expression and bind it to `schema` (NULL: parse only,
 * unbound). Errors: LANCEC_EINVAL "filter: at position N: <problem>". */
LC_INTERNAL int lc_expr_parse(lc_expr **out, const char *sql, const lc_schema *schema,
                              lancec_error *err);
LC_INTERNAL void lc_expr_free(lc_expr *e);
/* Top-level column names read (bound trees only; borrowed). */
LC_INTERNAL size_t lc_expr_num_columns(const lc_expr *e);
LC_INTERNAL const char *lc_expr_column(const lc_expr *e, size_t i);
/* Evaluate the bound predicate over `batch` (struct array whose children are
 * described by fields[0..n_fields)); bit i of keep = predicate TRUE. */
LC_INTERNAL int lc_expr_eval(const lc_expr *e, const lc_field *const *fields, size_t n_fields,
                             const struct ArrowArray *batch, uint8_t *keep, lancec_error *err);
/* Canonical SQL (implicit casts omitted). Caller frees (lc_free). NULL on ENOMEM. */
LC_INTERNAL char *lc_expr_to_string(const lc_expr *e);

/* ---- builders -------------------------------------------------------------- */
/* Dotted path "a.b.c" (no quoting; use lc_expr_column_parts for names with dots). */
LC_INTERNAL lc_expr *lc_expr_column_ref(const char *path);
LC_INTERNAL lc_expr *lc_expr_column_parts(const char *const *parts, size_t n);
LC_INTERNAL lc_expr *lc_expr_literal_null(void);
LC_INTERNAL lc_expr *lc_expr_literal_bool(bool v);
LC_INTERNAL lc_expr *lc_expr_literal_int(int64_t v);
LC_INTERNAL lc_expr *lc_expr_literal_uint(uint64_t v);
LC_INTERNAL lc_expr *lc_expr_literal_double(double v);
LC_INTERNAL lc_expr *lc_expr_literal_string(const char *s); /* NUL-terminated */
LC_INTERNAL lc_expr *lc_expr_literal_bytes(const void *p, size_t n, bool binary);
LC_INTERNAL lc_expr *lc_expr_literal_date(int32_t days);
LC_INTERNAL lc_expr *lc_expr_literal_timestamp(int64_t v, lc_time_unit unit);
LC_INTERNAL lc_expr *lc_expr_literal_decimal(lc_i128 unscaled, int32_t precision, int32_t scale);
LC_INTERNAL lc_expr *lc_expr_binary(lc_expr_op op, lc_expr *l, lc_expr *r);
LC_INTERNAL lc_expr *lc_expr_and(lc_expr *l, lc_expr *r);
LC_INTERNAL lc_expr *lc_expr_or(lc_expr *l, lc_expr *r);
LC_INTERNAL lc_expr *lc_expr_not(lc_expr *e);
LC_INTERNAL lc_expr *lc_expr_neg(lc_expr *e);
LC_INTERNAL lc_expr *lc_expr_is(lc_expr *e, lc_expr_is_kind k);
LC_INTERNAL lc_expr *lc_expr_is_null(lc_expr *e);
LC_INTERNAL lc_expr *lc_expr_is_not_null(lc_expr *e);
/* Takes ownership of e and items[0..n) (the array itself stays the caller's). */
LC_INTERNAL lc_expr *lc_expr_in_list(lc_expr *e, lc_expr *const *items, size_t n, bool negated);
LC_INTERNAL lc_expr *lc_expr_between(lc_expr *e, lc_expr *lo, lc_expr *hi, bool negated);
/* pattern: a string literal node; escape 0 = none (SQL default here is '\\'). */
LC_INTERNAL lc_expr *lc_expr_like(lc_expr *e, lc_expr *pattern, char escape, bool negated,
                                  bool case_insensitive);
LC_INTERNAL lc_expr *lc_expr_cast(lc_expr *e, lc_expr_type type);
LC_INTERNAL lc_expr_type lc_expr_type_of(lc_type_id id); /* unit ns, decimal(38,0) */
/* Deep copy (unbound; implicit casts dropped). */
LC_INTERNAL lc_expr *lc_expr_clone(const lc_expr *e);
/* Resolve columns, check types, insert implicit casts, fold constants; in
 * place (an already bound tree is re-bound). The root must be boolean. */
LC_INTERNAL int lc_expr_bind(lc_expr *e, const lc_schema *schema, lancec_error *err);

/* Type as SQL text ("INT", "DECIMAL(10,2)", "TIMESTAMP(ms)") into buf. */
LC_INTERNAL const char *lc_expr_type_name(const lc_expr_type *t, char *buf, size_t cap);

#endif
