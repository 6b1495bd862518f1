/* Type classification, calendar and number text helpers for expressions. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "expr/expr_internal.h"

vclass lc_expr__class(lc_type_id t) {
  switch (t) {
    case LC_T_NULL: return VC_NULL;
    case LC_T_BOOL: return VC_BOOL;
    case LC_T_INT8: case LC_T_UINT8: case LC_T_INT16: case LC_T_UINT16: case LC_T_INT32:
    case LC_T_UINT32: case LC_T_INT64: case LC_T_DATE32: case LC_T_DATE64: case LC_T_TIME32:
    case LC_T_TIME64: case LC_T_TIMESTAMP: case LC_T_DURATION:
      return VC_I64;
    case LC_T_UINT64: return VC_U64;
    case LC_T_HALF: case LC_T_FLOAT: case LC_T_DOUBLE: return VC_F64;
    case LC_T_DECIMAL128: case LC_T_DECIMAL256: return VC_DEC;
    case LC_T_STRING: case LC_T_LARGE_STRING: case LC_T_BINARY: case LC_T_LARGE_BINARY:
    case LC_T_FIXED_BINARY:
      return VC_STR;
    case LC_T_STRUCT: case LC_T_LIST: case LC_T_LARGE_LIST: case LC_T_FIXED_LIST: case LC_T_MAP:
      return VC_VALID;
    default: return VC_BAD;
  }
}

bool lc_expr__is_int(lc_type_id t) { return t >= LC_T_INT8 && t <= LC_T_UINT64; }
bool lc_expr__is_float(lc_type_id t) { return t == LC_T_HALF || t == LC_T_FLOAT || t == LC_T_DOUBLE; }
bool lc_expr__is_numeric(lc_type_id t) {
  return lc_expr__is_int(t) || lc_expr__is_float(t) || t == LC_T_DECIMAL128 || t == LC_T_DECIMAL256;
}
bool lc_expr__is_string(lc_type_id t) { return t == LC_T_STRING || t == LC_T_LARGE_STRING; }
bool lc_expr__is_binary(lc_type_id t) {
  return t == LC_T_BINARY || t == LC_T_LARGE_BINARY || t == LC_T_FIXED_BINARY;
}
bool lc_expr__is_temporal(lc_type_id t) {
  return t == LC_T_DATE32 || t == LC_T_DATE64 || t == LC_T_TIMESTAMP || t == LC_T_TIME32 ||
         t == LC_T_TIME64 || t == LC_T_DURATION;
}

bool lc_expr__type_eq(const lc_expr_type *a, const lc_expr_type *b) {
  if (a->id != b->id) return false;
  switch (a->id) {
    case LC_T_DECIMAL128: case LC_T_DECIMAL256: return a->scale == b->scale;
    case LC_T_TIME32: case LC_T_TIME64: case LC_T_TIMESTAMP: case LC_T_DURATION:
      return a->unit == b->unit;
    default: return true;
  }
}

static const char *unit_str(lc_time_unit u) {
  switch (u) {
    case LC_UNIT_S: return "s";
    case LC_UNIT_MS: return "ms";
    case LC_UNIT_US: return "us";
    default: return "ns";
  }
}

const char *lc_expr__type_str(const lc_expr_type *t, char *buf, size_t cap) {
  if (t->field && (t->field->type == t->id || t->field->type == LC_T_DICT))
    return lc_field_type_string(t->field, buf, cap);
  switch (t->id) {
    case LC_T_DECIMAL128: case LC_T_DECIMAL256:
      snprintf(buf, cap, "%s(%d, %d)", lc_type_name(t->id), t->precision, t->scale);
      break;
    case LC_T_TIMESTAMP: snprintf(buf, cap, "timestamp[%s]", unit_str(t->unit)); break;
    case LC_T_TIME32: case LC_T_TIME64: case LC_T_DURATION:
      snprintf(buf, cap, "%s[%s]", lc_type_name(t->id), unit_str(t->unit));
      break;
    default: snprintf(buf, cap, "%s", lc_type_name(t->id)); break;
  }
  return buf;
}

const char *lc_expr_type_name(const lc_expr_type *t, char *buf, size_t cap) {
  const char *n = NULL;
  switch (t->id) {
    case LC_T_NULL: n = "NULL"; break;
    case LC_T_BOOL: n = "BOOLEAN"; break;
    case LC_T_INT8: n = "TINYINT"; break;
    case LC_T_INT16: n = "SMALLINT"; break;
    case LC_T_INT32: n = "INT"; break;
    case LC_T_INT64: n = "BIGINT"; break;
    case LC_T_UINT8: n = "TINYINT UNSIGNED"; break;
    case LC_T_UINT16: n = "SMALLINT UNSIGNED"; break;
    case LC_T_UINT32: n = "INT UNSIGNED"; break;
    case LC_T_UINT64: n = "BIGINT UNSIGNED"; break;
    case LC_T_HALF: n = "HALF"; break;
    case LC_T_FLOAT: n = "FLOAT"; break;
    case LC_T_DOUBLE: n = "DOUBLE"; break;
    case LC_T_STRING: n = "VARCHAR"; break;
    case LC_T_LARGE_STRING: n = "VARCHAR"; break;
    case LC_T_BINARY: case LC_T_LARGE_BINARY: case LC_T_FIXED_BINARY: n = "BYTEA"; break;
    case LC_T_DATE32: n = "DATE"; break;
    case LC_T_DATE64: n = "DATE64"; break;
    case LC_T_DECIMAL128: case LC_T_DECIMAL256:
      snprintf(buf, cap, "DECIMAL(%d,%d)", t->precision, t->scale);
      return buf;
    case LC_T_TIMESTAMP: snprintf(buf, cap, "TIMESTAMP(%s)", unit_str(t->unit)); return buf;
    case LC_T_TIME32: case LC_T_TIME64: snprintf(buf, cap, "TIME(%s)", unit_str(t->unit)); return buf;
    case LC_T_DURATION: snprintf(buf, cap, "DURATION(%s)", unit_str(t->unit)); return buf;
    default: n = lc_type_name(t->id); break;
  }
  snprintf(buf, cap, "%s", n);
  return buf;
}

int lc_expr__err(lancec_error *err, int code, uint32_t pos, const char *fmt, ...) {
  char msg[LANCEC_ERROR_MESSAGE_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (pos) return lc_err(err, code, "filter: at position %u: %s", pos, msg);
  return lc_err(err, code, "filter: %s", msg);
}

/* ---- calendar (proleptic Gregorian, days since 1970-01-01) ---------------- */
int64_t lc_expr__days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void lc_expr__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = (int64_t)yoe + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

static bool digits(const char *s, size_t n, size_t *i, int cnt, int64_t *out) {
  int64_t v = 0;
  for (int k = 0; k < cnt; k++) {
    if (*i >= n || !isdigit((unsigned char)s[*i])) return false;
    v = v * 10 + (s[(*i)++] - '0');
  }
  *out = v;
  return true;
}

static void trim(const char **s, size_t *n) {
  while (*n && isspace((unsigned char)**s)) (*s)++, (*n)--;
  while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

static bool days_in_month_ok(int64_t y, int64_t m, int64_t d) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  int lim = dm[m - 1];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) lim = 29;
  return d <= lim;
}

/* Arrow's string → date32 (what DataFusion's DATE '...' and CAST use):
 * "YYYY-MM-DD" with one- or two-digit month and day, "YYYYMMDD", a
 * signed extended year "+YYYYY-MM-DD", or a longer string parsed as a
 * timestamp (its date). No surrounding spaces. */
bool lc_expr__parse_date(const char *s, size_t n, int64_t *days) {
  if (n && (s[0] == '+' || s[0] == '-')) {
    size_t i = 1, st = 1;
    int64_t y = 0, m = 0, d = 0;
    while (i < n && isdigit((unsigned char)s[i]) && i - st < 7) y = y * 10 + (s[i++] - '0');
    if (i - st < 4 || i >= n || s[i++] != '-') return false;
    st = i;
    while (i < n && isdigit((unsigned char)s[i]) && i - st < 2) m = m * 10 + (s[i++] - '0');
    if (i == st || i >= n || s[i++] != '-') return false;
    st = i;
    while (i < n && isdigit((unsigned char)s[i]) && i - st < 2) d = d * 10 + (s[i++] - '0');
    if (i == st || i != n) return false;
    if (s[0] == '-') y = -y;
    if (!days_in_month_ok(y, m, d)) return false;
    *days = lc_expr__days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
  }
  if (n > 10) {
    int64_t sec;
    if (!lc_expr__parse_timestamp(s, n, LC_UNIT_S, &sec)) return false;
    *days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    return true;
  }
  int64_t y, m = 0, d = 0;
  size_t i = 0;
  if (!digits(s, n, &i, 4, &y)) return false;
  if (n == 8 && s[4] != '-') {
    if (!digits(s, n, &i, 2, &m) || !digits(s, n, &i, 2, &d)) return false;
  } else {
    if (i >= n || s[i++] != '-') return false;
    size_t st = i;
    while (i < n && isdigit((unsigned char)s[i]) && i - st < 2) m = m * 10 + (s[i++] - '0');
    if (i == st || i >= n || s[i++] != '-') return false;
    st = i;
    while (i < n && isdigit((unsigned char)s[i]) && i - st < 2) d = d * 10 + (s[i++] - '0');
    if (i == st || i != n) return false;
  }
  if (!days_in_month_ok(y, m, d)) return false;
  *days = lc_expr__days_from_civil(y, (unsigned)m, (unsigned)d);
  return true;
}

int64_t lc_expr__unit_per_sec(lc_time_unit u) {
  switch (u) {
    case LC_UNIT_S: return 1;
    case LC_UNIT_MS: return 1000;
    case LC_UNIT_US: return 1000000;
    default: return 1000000000;
  }
}

/* HH:MM[:SS[.fff]] → nanoseconds since midnight (TIME); with `strict`
 * (timestamps, as Arrow): HH:MM:SS[.f...] or HHMMSS */
static bool parse_clock2(const char *s, size_t n, size_t *i, int64_t *ns, bool strict) {
  int64_t h, mi, sec = 0, frac = 0;
  if (!digits(s, n, i, 2, &h)) return false;
  if (strict && *i < n && isdigit((unsigned char)s[*i])) {
    if (!digits(s, n, i, 2, &mi) || !digits(s, n, i, 2, &sec)) return false;
  } else {
    if (*i >= n || s[(*i)++] != ':') return false;
    if (!digits(s, n, i, 2, &mi)) return false;
    if (strict && (*i >= n || s[*i] != ':')) return false;
    if (*i < n && s[*i] == ':') {
      (*i)++;
      if (!digits(s, n, i, 2, &sec)) return false;
      if (*i < n && s[*i] == '.') {
        (*i)++;
        int nd = 0;
        while (*i < n && isdigit((unsigned char)s[*i])) {
          if (nd < 9) frac = frac * 10 + (s[*i] - '0'), nd++;
          (*i)++;
        }
        if (nd == 0) return false;
        while (nd < 9) frac *= 10, nd++;
      }
    }
  }
  if (h > 23 || mi > 59 || sec > 60) return false;
  *ns = ((h * 60 + mi) * 60 + sec) * 1000000000 + frac;
  return true;
}
static bool parse_clock(const char *s, size_t n, size_t *i, int64_t *ns) { return parse_clock2(s, n, i, ns, false); }

static bool ns_to_unit(lc_i128 ns, lc_time_unit unit, int64_t *out) {
  lc_i128 div = 1000000000 / lc_expr__unit_per_sec(unit);
  lc_i128 q = ns / div;
  if (ns % div != 0 && ns < 0) q -= 1; /* floor */
  if (q > INT64_MAX || q < INT64_MIN) return false;
  *out = (int64_t)q;
  return true;
}

/* Arrow's string → timestamp: "YYYY-MM-DD", or that followed by T, t or a
 * space and HH:MM:SS[.fraction] (or HHMMSS), then optionally Z or an
 * offset (+HH, +HHMM, +HH:MM; spaces before it allowed). No offset: UTC.
 * Floors to `unit`. */
bool lc_expr__parse_timestamp(const char *s, size_t n, lc_time_unit unit, int64_t *out) {
  size_t i = 0;
  int64_t y, m, d, clk = 0, off_s = 0;
  if (n < 10 || !digits(s, n, &i, 4, &y) || s[i++] != '-' || !digits(s, n, &i, 2, &m) || s[i++] != '-' ||
      !digits(s, n, &i, 2, &d) || !days_in_month_ok(y, m, d))
    return false;
  int64_t days = lc_expr__days_from_civil(y, (unsigned)m, (unsigned)d);
  if (i < n) {
    if (s[i] != ' ' && s[i] != 'T' && s[i] != 't') return false;
    i++;
    if (!parse_clock2(s, n, &i, &clk, true)) return false;
    if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
      i++;
    } else if (i < n) {
      while (i < n && s[i] == ' ') i++;
      if (i >= n || (s[i] != '+' && s[i] != '-')) return false;
      int sign = s[i++] == '-' ? -1 : 1;
      int64_t oh, om = 0;
      if (!digits(s, n, &i, 2, &oh)) return false;
      if (i < n && s[i] == ':') i++;
      if (i < n && !digits(s, n, &i, 2, &om)) return false;
      if (oh > 23 || om > 59) return false;
      off_s = sign * (oh * 3600 + om * 60);
    }
  }
  if (i != n) return false;
  lc_i128 ns = ((lc_i128)days * 86400 - off_s) * 1000000000 + clk;
  return ns_to_unit(ns, unit, out);
}

bool lc_expr__parse_time(const char *s, size_t n, lc_time_unit unit, int64_t *out) {
  trim(&s, &n);
  size_t i = 0;
  int64_t ns;
  if (!parse_clock(s, n, &i, &ns) || i != n) return false;
  return ns_to_unit(ns, unit, out);
}

lc_i128 lc_expr__pow10(int n) {
  lc_i128 v = 1;
  for (int i = 0; i < n; i++) v *= 10;
  return v;
}

static bool parse_decimal2(const char *s, size_t n, int32_t precision, int32_t scale, lc_i128 *out, bool exp_ok);
bool lc_expr__parse_decimal(const char *s, size_t n, int32_t precision, int32_t scale, lc_i128 *out) {
  return parse_decimal2(s, n, precision, scale, out, false);
}
static bool parse_decimal2(const char *s, size_t n, int32_t precision, int32_t scale, lc_i128 *out, bool exp_ok) {
  trim(&s, &n);
  if (n == 0) { /* as Arrow (DataFusion 54): an empty string is 0 */
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  /* collect digits with the position of the point; exponent allowed */
  char dg[128];
  int nd = 0, point = -1;
  bool any = false;
  for (; i < n; i++) {
    char c = s[i];
    if (isdigit((unsigned char)c)) {
      any = true;
      if (nd >= (int)sizeof(dg)) return false;
      dg[nd++] = c;
    } else if (c == '.' && point < 0) {
      point = nd;
    } else {
      break;
    }
  }
  if (!any) return false;
  int64_t exp = 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E') && exp_ok) {
    i++;
    bool eneg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
    size_t st = i;
    while (i < n && isdigit((unsigned char)s[i])) {
      if (exp < 100000) exp = exp * 10 + (s[i] - '0');
      i++;
    }
    if (i == st) return false;
    if (eneg) exp = -exp;
  }
  if (i != n) return false;
  if (point < 0) point = nd;
  while (nd > 0 && dg[0] == '0') memmove(dg, dg + 1, (size_t)--nd), point--;
  /* value = 0.d1d2...dn * 10^point * 10^exp; digits before the point: point+exp */
  int64_t int_digits = point + exp; /* number of digits before the decimal point */
  /* unscaled at `scale`: take digits up to position int_digits + scale */
  int64_t take = int_digits + scale;
  lc_i128 v = 0;
  lc_i128 lim = lc_expr__pow10(precision > 38 ? 38 : precision);
  for (int64_t k = 0; k < take; k++) {
    int dgt = k < nd ? dg[k] - '0' : 0;
    if (v == 0 && dgt == 0) continue;
    v = v * 10 + dgt;
    if (v >= lim) return false;
  }
  /* rounding on the next digit */
  if (take >= 0 && take < nd && dg[take] >= '5') {
    v += 1;
    if (v >= lim) return false;
  }
  if (take < 0) v = 0;
  *out = neg ? -v : v;
  return true;
}

/* [+-]digits, no spaces (Arrow's string → integer) */
bool lc_expr__parse_int(const char *s, size_t n, lc_i128 *out) {
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  if (i == n) return false;
  lc_i128 v = 0;
  for (; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return false;
    if (v > (LC_I128_MAX - 9) / 10) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = neg ? -v : v;
  return true;
}

static bool ieq(const char *s, size_t n, const char *w) {
  size_t m = strlen(w);
  if (m != n) return false;
  for (size_t i = 0; i < n; i++)
    if (tolower((unsigned char)s[i]) != w[i]) return false;
  return true;
}

/* Rust's f64 syntax (Arrow's string → float): [+-] digits [. digits] [e[+-]digits],
 * inf, infinity, nan (any case); no spaces */
bool lc_expr__parse_double(const char *s, size_t n, double *out) {
  if (n == 0 || n > 400) return false;
  char buf[401];
  memcpy(buf, s, n);
  buf[n] = 0;
  const char *p = buf;
  bool neg = false;
  if (*p == '-' || *p == '+') neg = *p++ == '-';
  size_t rest = strlen(p);
  if (ieq(p, rest, "nan")) { *out = neg ? -NAN : NAN; return true; }
  if (ieq(p, rest, "inf") || ieq(p, rest, "infinity")) { *out = neg ? -INFINITY : INFINITY; return true; }
  /* plain decimal or exponent notation only (no hex, no nan payloads) */
  for (const char *q = p; *q; q++)
    if (!isdigit((unsigned char)*q) && *q != '.' && *q != 'e' && *q != 'E' && *q != '-' && *q != '+')
      return false;
  char *end;
  double v = strtod(buf, &end);
  if (*end || end == buf) return false;
  *out = v;
  return true;
}

/* Arrow's string → boolean: trimmed, any case, prefixes of true / false,
 * y, ye, yes, on, 1 / n, no, of, off, 0 */
bool lc_expr__parse_bool(const char *s, size_t n, bool *out) {
  static const char *const t[] = {"t", "tr", "tru", "true", "y", "ye", "yes", "on", "1", NULL};
  static const char *const f[] = {"f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0", NULL};
  trim(&s, &n);
  for (int i = 0; t[i]; i++)
    if (ieq(s, n, t[i])) {
      *out = true;
      return true;
    }
  for (int i = 0; f[i]; i++)
    if (ieq(s, n, f[i])) {
      *out = false;
      return true;
    }
  return false;
}

int lc_expr__fmt_i128(lc_i128 v, char *buf, size_t cap) {
  char tmp[48];
  int k = 0;
  unsigned __int128 u = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
  do {
    tmp[k++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  size_t o = 0;
  if (v < 0 && o + 1 < cap) buf[o++] = '-';
  while (k && o + 1 < cap) buf[o++] = tmp[--k];
  if (cap) buf[o] = 0;
  return (int)o;
}

int lc_expr__fmt_decimal(lc_i128 v, int32_t scale, char *buf, size_t cap) {
  char digs[48];
  bool neg = v < 0;
  unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
  int k = 0;
  do {
    digs[k++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  char out[96];
  size_t o = 0;
  if (neg) out[o++] = '-';
  if (scale <= 0) {
    while (k) out[o++] = digs[--k];
    if (v != 0)
      for (int32_t z = 0; z < -scale && o < sizeof(out) - 1; z++) out[o++] = '0';
  } else {
    while (k <= scale) digs[k++] = '0';
    while (k > scale) out[o++] = digs[--k];
    out[o++] = '.';
    while (k) out[o++] = digs[--k];
  }
  out[o] = 0;
  return snprintf(buf, cap, "%s", out);
}

int lc_expr__fmt_date(int64_t days, char *buf, size_t cap) {
  int64_t y;
  unsigned m, d;
  lc_expr__civil_from_days(days, &y, &m, &d);
  return snprintf(buf, cap, "%04lld-%02u-%02u", (long long)y, m, d);
}

int lc_expr__fmt_time(int64_t v, lc_time_unit unit, char *buf, size_t cap) {
  int64_t ps = lc_expr__unit_per_sec(unit);
  int64_t secs = v / ps, frac = v % ps;
  if (frac < 0) frac += ps, secs -= 1;
  int64_t h = secs / 3600, mi = secs / 60 % 60, s = secs % 60;
  int n = snprintf(buf, cap, "%02lld:%02lld:%02lld", (long long)h, (long long)mi, (long long)s);
  if (frac && n >= 0 && (size_t)n < cap) {
    int w = unit == LC_UNIT_MS ? 3 : unit == LC_UNIT_US ? 6 : 9;
    n += snprintf(buf + n, cap - (size_t)n, ".%0*lld", w, (long long)frac);
  }
  return n;
}

int lc_expr__fmt_timestamp(int64_t v, lc_time_unit unit, char sep, char *buf, size_t cap) {
  int64_t ps = lc_expr__unit_per_sec(unit);
  int64_t secs = v / ps, frac = v % ps;
  if (frac < 0) frac += ps, secs -= 1;
  int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) sod += 86400, days -= 1;
  int n = lc_expr__fmt_date(days, buf, cap);
  if (n < 0 || (size_t)n >= cap) return n;
  n += snprintf(buf + n, cap - (size_t)n, "%c", sep);
  if ((size_t)n >= cap) return n;
  n += lc_expr__fmt_time(sod * ps + frac, unit, buf + n, cap - (size_t)n);
  return n;
}

int lc_expr__fmt_double(double v, char *buf, size_t cap) {
  if (isnan(v)) return snprintf(buf, cap, "NaN");
  if (isinf(v)) return snprintf(buf, cap, v < 0 ? "-Infinity" : "Infinity");
  double av = fabs(v);
  if (av == 0 || (av >= 1e-6 && av < 1e17)) {
    for (int d = 0; d <= 24; d++) {
      snprintf(buf, cap, "%.*f", d, v);
      if (strtod(buf, NULL) == v) break;
    }
  } else {
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(buf, cap, "%.*g", prec, v);
      if (strtod(buf, NULL) == v) break;
    }
  }
  if (!strpbrk(buf, ".eEn")) {
    size_t l = strlen(buf);
    if (l + 2 < cap) memcpy(buf + l, ".0", 3);
  }
  return (int)strlen(buf);
}

double lc_expr__half_to_double(uint16_t h) { return (double)lc_half_to_float(h); }

/* A float as Arrow's cast to string writes it (the ryu crate's format):
 * shortest round-trip digits; "123.0" / "0.00123" / "1.5e20" / "1e-7"
 * (plain while the decimal point falls within 16 digits for doubles, 13 for
 * float32, and down to 4 zeros after it, 5 for float32), "NaN", "inf",
 * "-inf", "-0.0". */
int lc_expr__fmt_float_arrow(double v, bool f32, char *buf, size_t cap) {
  if (isnan(v)) return snprintf(buf, cap, "NaN");
  if (isinf(v)) return snprintf(buf, cap, v < 0 ? "-inf" : "inf");
  if (v == 0) return snprintf(buf, cap, signbit(v) ? "-0.0" : "0.0");
  char tmp[64];
  int p;
  for (p = 1; p <= 17; p++) {
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
    double back = strtod(tmp, NULL);
    if (f32 ? (float)back == (float)v : back == v) break;
  }
  /* tmp: [-]d[.ddd]e[+-]xx → digits and exponent */
  const char *q = tmp;
  bool neg = *q == '-';
  if (neg) q++;
  char dg[32];
  int nd = 0;
  for (; *q && *q != 'e'; q++)
    if (isdigit((unsigned char)*q)) dg[nd++] = *q;
  int e10 = atoi(q + 1);
  while (nd > 1 && dg[nd - 1] == '0') nd--;
  int kk = e10 + 1; /* 10^(kk-1) <= |v| < 10^kk */
  int k = kk - nd;  /* value = digits * 10^k */
  int lim = f32 ? 13 : 16;
  char *o = buf;
  size_t left = cap;
#define PUT(c_)                   \
  do {                            \
    if (left > 1) *o++ = (c_), left--; \
  } while (0)
  if (neg) PUT('-');
  if (0 <= k && kk <= lim) {
    for (int i = 0; i < nd; i++) PUT(dg[i]);
    for (int i = nd; i < kk; i++) PUT('0');
    PUT('.');
    PUT('0');
  } else if (0 < kk && kk <= lim) {
    for (int i = 0; i < nd; i++) {
      if (i == kk) PUT('.');
      PUT(dg[i]);
    }
  } else if ((f32 ? -6 : -5) < kk && kk <= 0) {
    PUT('0');
    PUT('.');
    for (int i = kk; i < 0; i++) PUT('0');
    for (int i = 0; i < nd; i++) PUT(dg[i]);
  } else {
    PUT(dg[0]);
    if (nd > 1) {
      PUT('.');
      for (int i = 1; i < nd; i++) PUT(dg[i]);
    }
    char ex[16];
    snprintf(ex, sizeof ex, "e%d", kk - 1);
    for (const char *x = ex; *x; x++) PUT(*x);
  }
#undef PUT
  *o = 0;
  return (int)(o - buf);
}

/* A timestamp as Arrow's cast to string writes it: YYYY-MM-DDTHH:MM:SS,
 * then the fraction in 3, 6 or 9 digits when not zero (chrono's %.f), then
 * for a column with a time zone its offset ("Z" for UTC; a fixed "+05:30"
 * offset shifts the local time; other zone names are written as UTC). */
int lc_expr__fmt_timestamp_arrow(int64_t v, lc_time_unit unit, const char *tz, char *buf, size_t cap) {
  int64_t ps = lc_expr__unit_per_sec(unit);
  int off_s = 0;
  bool utc = false, fixed = false;
  if (tz) {
    if (!strcmp(tz, "UTC") || !strcmp(tz, "Z") || !strcmp(tz, "+00:00") || !strcmp(tz, "Etc/UTC")) {
      utc = true;
    } else if ((tz[0] == '+' || tz[0] == '-') && strlen(tz) == 6 && tz[3] == ':') {
      fixed = true;
      off_s = (tz[0] == '-' ? -1 : 1) * (atoi(tz + 1) * 3600 + atoi(tz + 4) * 60);
    } else {
      utc = true;
    }
  }
  lc_i128 t = (lc_i128)v + (lc_i128)off_s * ps;
  lc_i128 secs = t / ps, frac = t % ps;
  if (frac < 0) frac += ps, secs -= 1;
  lc_i128 days = secs / 86400, sod = secs % 86400;
  if (sod < 0) sod += 86400, days -= 1;
  int n = lc_expr__fmt_date((int64_t)days, buf, cap);
  if (n < 0 || (size_t)n >= cap) return n;
  n += snprintf(buf + n, cap - (size_t)n, "T%02d:%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
  int64_t ns = (int64_t)frac * (1000000000 / ps);
  if (ns && (size_t)n < cap) {
    if (ns % 1000000 == 0) n += snprintf(buf + n, cap - (size_t)n, ".%03lld", (long long)(ns / 1000000));
    else if (ns % 1000 == 0) n += snprintf(buf + n, cap - (size_t)n, ".%06lld", (long long)(ns / 1000));
    else n += snprintf(buf + n, cap - (size_t)n, ".%09lld", (long long)ns);
  }
  if ((size_t)n < cap && utc) n += snprintf(buf + n, cap - (size_t)n, "Z");
  if ((size_t)n < cap && fixed) n += snprintf(buf + n, cap - (size_t)n, "%s", tz);
  return n;
}
