/* Shared between the expr source files; not for other modules. */
#ifndef LC_EXPR_INTERNAL_H
#define LC_EXPR_INTERNAL_H

#include "expr/expr.h"

/* Deepest tree lc_expr_bind accepts (evaluation recurses per level). */
#define LC_EXPR_MAX_DEPTH 1000
LC_INTERNAL bool lc_expr__too_deep(const lc_expr *e, int budget);

/* Physical value class of a type in evaluation vectors. */
typedef enum vclass {
  VC_NULL = 0, /* always null */
  VC_BOOL,     /* bitmap */
  VC_I64,      /* int8..int64, uint8..uint32, date/time/timestamp/duration */
  VC_U64,      /* uint64 */
  VC_F64,      /* half/float/double */
  VC_DEC,      /* decimal128/256 as int128 (scale from the type) */
  VC_STR,      /* (large) utf8/binary, fixed_size_binary */
  VC_VALID,    /* nested: validity only */
  VC_BAD
} vclass;

LC_INTERNAL vclass lc_expr__class(lc_type_id t);
LC_INTERNAL bool lc_expr__is_int(lc_type_id t);
LC_INTERNAL bool lc_expr__is_float(lc_type_id t);
LC_INTERNAL bool lc_expr__is_numeric(lc_type_id t);
LC_INTERNAL bool lc_expr__is_string(lc_type_id t); /* utf8 */
LC_INTERNAL bool lc_expr__is_binary(lc_type_id t); /* binary/fixed */
LC_INTERNAL bool lc_expr__is_temporal(lc_type_id t);
LC_INTERNAL bool lc_expr__type_eq(const lc_expr_type *a, const lc_expr_type *b);
/* Type description for messages ("int64", "list<int32>"). */
LC_INTERNAL const char *lc_expr__type_str(const lc_expr_type *t, char *buf, size_t cap);

/* Error helper: "filter: at position N: <msg>" (no position when pos == 0). */
LC_INTERNAL int lc_expr__err(lancec_error *err, int code, uint32_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

LC_INTERNAL lc_expr *lc_expr__new(lc_expr_kind k);
LC_INTERNAL void lc_expr__clear_binding(lc_expr *e);
LC_INTERNAL void lc_expr__value_free(lc_expr_value *v);
LC_INTERNAL int lc_expr__value_copy(lc_expr_value *dst, const lc_expr_value *src);

/* Evaluate a constant (column-free) bound node to a literal value. */
LC_INTERNAL int lc_expr__fold(const lc_expr *e, lc_expr_value *out, lancec_error *err);
/* Compile / free a LIKE pattern (node->like_). */
LC_INTERNAL int lc_expr__like_compile(lc_expr *e, lancec_error *err);
LC_INTERNAL void lc_expr__like_free(void *p);
/* IN (literals...) on int/string operands: a sorted set (node->inset_). */
LC_INTERNAL int lc_expr__inset_build(lc_expr *e, lancec_error *err);
LC_INTERNAL void lc_expr__inset_free(void *p);

/* ---- calendar / number text helpers (expr_util.c) ----------------------- */
LC_INTERNAL int64_t lc_expr__days_from_civil(int64_t y, unsigned m, unsigned d);
LC_INTERNAL void lc_expr__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* "YYYY-MM-DD" → days. */
LC_INTERNAL bool lc_expr__parse_date(const char *s, size_t n, int64_t *days);
/* "YYYY-MM-DD[ T]HH:MM[:SS[.f]][Z|±HH[:MM]]" (or a date) → value in unit. */
LC_INTERNAL bool lc_expr__parse_timestamp(const char *s, size_t n, lc_time_unit unit, int64_t *out);
/* "HH:MM[:SS[.f]]" → value in unit since midnight. */
LC_INTERNAL bool lc_expr__parse_time(const char *s, size_t n, lc_time_unit unit, int64_t *out);
/* Exact decimal text → unscaled at `scale` (rounds half away from zero when
 * more digits); false if not a number or |value| >= 10^precision. */
LC_INTERNAL bool lc_expr__parse_decimal(const char *s, size_t n, int32_t precision, int32_t scale,
                                        lc_i128 *out);
LC_INTERNAL bool lc_expr__parse_int(const char *s, size_t n, lc_i128 *out); /* [-+]digits, fits i128 */
LC_INTERNAL bool lc_expr__parse_double(const char *s, size_t n, double *out);
LC_INTERNAL bool lc_expr__parse_bool(const char *s, size_t n, bool *out);
/* Formatting into buf (returns length). */
LC_INTERNAL int lc_expr__fmt_decimal(lc_i128 v, int32_t scale, char *buf, size_t cap);
LC_INTERNAL int lc_expr__fmt_i128(lc_i128 v, char *buf, size_t cap);
LC_INTERNAL int lc_expr__fmt_date(int64_t days, char *buf, size_t cap);
LC_INTERNAL int lc_expr__fmt_timestamp(int64_t v, lc_time_unit unit, char sep, char *buf, size_t cap);
/* As Arrow's cast timestamp → string (tz: the column's time zone or NULL). */
LC_INTERNAL int lc_expr__fmt_timestamp_arrow(int64_t v, lc_time_unit unit, const char *tz, char *buf, size_t cap);
LC_INTERNAL int lc_expr__fmt_time(int64_t v, lc_time_unit unit, char *buf, size_t cap);
LC_INTERNAL int lc_expr__fmt_double(double v, char *buf, size_t cap);
/* As Arrow's cast float → string ("1.5", "1e20", "NaN", "inf"); f32: float32 digits. */
LC_INTERNAL int lc_expr__fmt_float_arrow(double v, bool f32, char *buf, size_t cap);
LC_INTERNAL int64_t lc_expr__unit_per_sec(lc_time_unit u);
LC_INTERNAL lc_i128 lc_expr__pow10(int n); /* 0 <= n <= 38 */
LC_INTERNAL double lc_expr__half_to_double(uint16_t h);
/* Unicode simple case folding of one code point (ILIKE; expr_casefold.c). */
LC_INTERNAL uint32_t lc_expr__casefold(uint32_t cp);

#define LC_I128_MAX ((lc_i128)(((unsigned __int128)1 << 127) - 1))
#define LC_I128_MIN (-LC_I128_MAX - 1)

#endif
