/* Array type conversion (see cast.h for the rules).
 *
 * Engine: cast_rec(from, in, start, n, to, ...) converts the logical rows
 * [start, start+n) of `in` into a new offset-0 array. Fixed-width numbers
 * go through one tight loop per source type into a wide temporary
 * (__int128 for integers, temporal and decimal values; double for floats)
 * and one tight loop per target type out of it, the range check sitting
 * between; there is no per-value call. Same-type fixed-width data is a
 * memcpy. Every branch produces its own validity; the nullability check of
 * the target runs once on the output. */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "arrow/cast.h"

typedef __int128 i128;

#define ETYPE LANCEC_ETYPE

static int oom(lancec_error *err) { return lc_err(err, LANCEC_ENOMEM, "out of memory"); }

static void *abuf(size_t n) { return lc_malloc_aligned(n ? n : 1); }

static const char *tstr(const lc_field *f, char *buf, size_t cap) { return lc_field_type_string(f, buf, cap); }

static int cannot(const lc_field *from, const lc_field *to, const char *path, lancec_error *err) {
  char a[256], b[256];
  return lc_err(err, ETYPE, "column '%s': cannot convert %s to %s", path, tstr(from, a, sizeof a),
                tstr(to, b, sizeof b));
}

/* ---- type classes ---------------------------------------------------------- */

static int fixed_bytes(lc_type_id t, int32_t width) {
  switch (t) {
    case LC_T_INT8: case LC_T_UINT8: return 1;
    case LC_T_INT16: case LC_T_UINT16: case LC_T_HALF: return 2;
    case LC_T_INT32: case LC_T_UINT32: case LC_T_FLOAT: case LC_T_DATE32: case LC_T_TIME32: return 4;
    case LC_T_INT64: case LC_T_UINT64: case LC_T_DOUBLE: case LC_T_DATE64: case LC_T_TIME64:
    case LC_T_TIMESTAMP: case LC_T_DURATION: return 8;
    case LC_T_DECIMAL128: return 16;
    case LC_T_DECIMAL256: return 32;
    case LC_T_FIXED_BINARY: return width;
    default: return 0;
  }
}

static bool is_int(lc_type_id t) { return t >= LC_T_INT8 && t <= LC_T_UINT64; }
static bool is_float(lc_type_id t) { return t == LC_T_HALF || t == LC_T_FLOAT || t == LC_T_DOUBLE; }
static bool is_num(lc_type_id t) { return is_int(t) || is_float(t); }
static bool is_dec(lc_type_id t) { return t == LC_T_DECIMAL128 || t == LC_T_DECIMAL256; }
static bool is_time(lc_type_id t) { return t == LC_T_TIME32 || t == LC_T_TIME64; }
static bool is_var(lc_type_id t) {
  return t == LC_T_STRING || t == LC_T_LARGE_STRING || t == LC_T_BINARY || t == LC_T_LARGE_BINARY;
}
static bool is_var64(lc_type_id t) { return t == LC_T_LARGE_STRING || t == LC_T_LARGE_BINARY; }
static bool is_str(lc_type_id t) { return t == LC_T_STRING || t == LC_T_LARGE_STRING; }
static bool is_listy(lc_type_id t) { return t == LC_T_LIST || t == LC_T_LARGE_LIST; }

static void int_range(lc_type_id t, i128 *lo, i128 *hi) {
  switch (t) {
    case LC_T_INT8: *lo = INT8_MIN, *hi = INT8_MAX; break;
    case LC_T_UINT8: *lo = 0, *hi = UINT8_MAX; break;
    case LC_T_INT16: *lo = INT16_MIN, *hi = INT16_MAX; break;
    case LC_T_UINT16: *lo = 0, *hi = UINT16_MAX; break;
    case LC_T_INT32: case LC_T_DATE32: case LC_T_TIME32: *lo = INT32_MIN, *hi = INT32_MAX; break;
    case LC_T_UINT32: *lo = 0, *hi = UINT32_MAX; break;
    case LC_T_UINT64: *lo = 0, *hi = UINT64_MAX; break;
    default: *lo = INT64_MIN, *hi = INT64_MAX; break;
  }
}

/* Scaled-integer temporal types: storage class and a unit exponent (10^k
 * per second; date32 counts days). */
static bool temporal_compatible(lc_type_id a, lc_type_id b) {
  if (a == LC_T_TIMESTAMP || a == LC_T_DURATION) return a == b;
  if (is_time(a)) return is_time(b);
  if (a == LC_T_DATE32 || a == LC_T_DATE64) return b == LC_T_DATE32 || b == LC_T_DATE64;
  return false;
}

static i128 pow10_i(int k) {
  i128 v = 1;
  while (k-- > 0) v *= 10;
  return v;
}

bool lc_field_same_type(const lc_field *a, const lc_field *b) {
  if (a->type != b->type) return false;
  switch (a->type) {
    case LC_T_FIXED_BINARY: case LC_T_FIXED_LIST:
      if (a->width != b->width) return false;
      break;
    case LC_T_DECIMAL128: case LC_T_DECIMAL256:
      if (a->precision != b->precision || a->scale != b->scale) return false;
      break;
    case LC_T_TIME32: case LC_T_TIME64: case LC_T_DURATION:
      if (a->unit != b->unit) return false;
      break;
    case LC_T_TIMESTAMP:
      if (a->unit != b->unit) return false;
      if ((a->tz == NULL) != (b->tz == NULL) || (a->tz && strcmp(a->tz, b->tz))) return false;
      break;
    case LC_T_DICT:
      if (a->dict_key != b->dict_key || !a->dict_value || !b->dict_value) return false;
      return lc_field_same_type(a->dict_value, b->dict_value);
    default:
      break;
  }
  if (a->n_children != b->n_children) return false;
  for (size_t i = 0; i < a->n_children; i++) {
    if (a->type == LC_T_STRUCT && strcmp(a->children[i]->name ? a->children[i]->name : "",
                                         b->children[i]->name ? b->children[i]->name : ""))
      return false;
    if (!lc_field_same_type(a->children[i], b->children[i])) return false;
  }
  return true;
}

static const lc_field *child_by_name(const lc_field *f, const char *name) {
  for (size_t i = 0; i < f->n_children; i++)
    if (!strcmp(f->children[i]->name ? f->children[i]->name : "", name ? name : "")) return f->children[i];
  return NULL;
}

static bool supported_rec(const lc_field *from, const lc_field *to, int depth) {
  if (depth > 64) return false;
  lc_type_id a = from->type, b = to->type;
  if (a == LC_T_NULL) return to->nullable || b == LC_T_NULL;
  if (a == LC_T_DICT) {
    if (!from->dict_value) return false;
    if (b == LC_T_DICT) return to->dict_value && supported_rec(from->dict_value, to->dict_value, depth + 1);
    return supported_rec(from->dict_value, to, depth + 1);
  }
  if (b == LC_T_DICT) return to->dict_value && supported_rec(from, to->dict_value, depth + 1);
  if (a == b && a == LC_T_BOOL) return true;
  if (is_num(a) && is_num(b)) return true;
  if (is_var(a) && is_var(b)) return is_str(a) == is_str(b) || (is_str(a) && !is_str(b));
  if (temporal_compatible(a, b)) return true;
  if (is_dec(a) && is_dec(b)) return true;
  if (a == LC_T_FIXED_BINARY && b == a) return from->width == to->width;
  if ((is_listy(a) && is_listy(b)) || (a == LC_T_MAP && b == LC_T_MAP))
    return from->n_children == 1 && to->n_children == 1 && supported_rec(from->children[0], to->children[0], depth + 1);
  if (a == LC_T_FIXED_LIST && b == a)
    return from->width == to->width && from->n_children == 1 && to->n_children == 1 &&
           supported_rec(from->children[0], to->children[0], depth + 1);
  if (a == LC_T_STRUCT && b == a) {
    for (size_t i = 0; i < from->n_children; i++)
      if (!child_by_name(to, from->children[i]->name)) return false;
    for (size_t i = 0; i < to->n_children; i++) {
      const lc_field *s = child_by_name(from, to->children[i]->name);
      if (!s) {
        if (!to->children[i]->nullable) return false;
        continue;
      }
      if (!supported_rec(s, to->children[i], depth + 1)) return false;
    }
    return true;
  }
  return false;
}

bool lc_cast_supported(const lc_field *from, const lc_field *to) {
  if (!from || !to) return false;
  return supported_rec(from, to, 0);
}

/* ---- validity ---------------------------------------------------------------- */

static bool has_validity(const struct ArrowArray *a) {
  return a->n_buffers > 0 && a->buffers && a->buffers[0] && a->null_count != 0;
}

/* Copy the validity of logical rows [start, start+n) (NULL: all valid). */
static int copy_validity(const struct ArrowArray *in, int64_t start, int64_t n, uint8_t **v, int64_t *nulls) {
  *v = NULL;
  *nulls = 0;
  if (!has_validity(in) || n == 0) return 0;
  uint8_t *b = abuf(lc_bitmap_bytes(n));
  if (!b) return LANCEC_ENOMEM;
  memset(b, 0, lc_bitmap_bytes(n));
  lc_bits_copy(b, 0, in->buffers[0], in->offset + start, n);
  int64_t z = lc_bits_count_zero(b, 0, n);
  if (z == 0) {
    lc_free(b);
    return 0;
  }
  *v = b;
  *nulls = z;
  return 0;
}

static void set_validity(struct ArrowArray *out, uint8_t *v, int64_t nulls) {
  if (v && nulls > 0) {
    lc_array_set_buffer(out, 0, v);
    out->null_count = nulls;
  } else {
    lc_free(v);
    out->null_count = 0;
  }
}

static inline bool valid_at(const uint8_t *v, int64_t i) { return !v || lc_bit_get(v, i); }

/* Nullability of the produced array (offset 0) against `to`. */
static int check_nulls(const lc_field *to, const struct ArrowArray *out, const uint8_t *pmask, const char *path,
                       lancec_error *err) {
  if (to->nullable || out->length == 0) return 0;
  if (to->type == LC_T_NULL || out->n_buffers == 0) {
    for (int64_t i = 0; i < out->length; i++)
      if (valid_at(pmask, i)) return lc_err(err, ETYPE, "column '%s' is not nullable but row %lld is null", path, (long long)i);
    return 0;
  }
  if (!has_validity(out)) return 0;
  const uint8_t *v = out->buffers[0];
  for (int64_t i = 0; i < out->length; i++)
    if (!lc_bit_get(v, i) && valid_at(pmask, i))
      return lc_err(err, ETYPE, "column '%s' is not nullable but row %lld is null", path, (long long)i);
  return 0;
}

/* ---- wide temporaries -------------------------------------------------------- */

static void i128_str(i128 v, char *buf, size_t cap) {
  char tmp[64];
  int n = 0;
  bool neg = v < 0;
  unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
  do {
    tmp[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u && n < 60);
  size_t k = 0;
  if (neg && k + 1 < cap) buf[k++] = '-';
  while (n > 0 && k + 1 < cap) buf[k++] = tmp[--n];
  buf[k] = 0;
}

/* Decimal text of an unscaled value: 12345 scale 2 -> "123.45". */
static void dec_str(i128 v, int32_t scale, char *buf, size_t cap) {
  char digits[80];
  i128_str(v, digits, sizeof digits);
  if (scale <= 0) {
    snprintf(buf, cap, "%s%.*s", digits, scale < 0 ? (int)(-scale > 40 ? 40 : -scale) : 0,
             "0000000000000000000000000000000000000000");
    return;
  }
  const char *d = digits;
  bool neg = *d == '-';
  if (neg) d++;
  int len = (int)strlen(d);
  if (len <= scale)
    snprintf(buf, cap, "%s0.%.*s%s", neg ? "-" : "", scale - len, "0000000000000000000000000000000000000000", d);
  else
    snprintf(buf, cap, "%s%.*s.%s", neg ? "-" : "", len - scale, d, d + len - scale);
}

static int value_err(const lc_field *to, const char *path, const char *val, int64_t row, lancec_error *err) {
  char t[256];
  return lc_err(err, ETYPE, "column '%s': value %s at row %lld does not fit %s", path, val, (long long)row,
                tstr(to, t, sizeof t));
}

/* Load n fixed-width values (integers, temporal, decimals) into tmp. */
static void load_i128(lc_type_id t, const void *base, int64_t phys, int64_t n, i128 *tmp) {
#define LD(T)                                              \
  do {                                                     \
    const T *s_ = (const T *)base + phys;                  \
    for (int64_t i = 0; i < n; i++) tmp[i] = (i128)s_[i];  \
  } while (0)
  switch (t) {
    case LC_T_INT8: LD(int8_t); break;
    case LC_T_UINT8: LD(uint8_t); break;
    case LC_T_INT16: LD(int16_t); break;
    case LC_T_UINT16: LD(uint16_t); break;
    case LC_T_INT32: case LC_T_DATE32: case LC_T_TIME32: LD(int32_t); break;
    case LC_T_UINT32: LD(uint32_t); break;
    case LC_T_UINT64: LD(uint64_t); break;
    case LC_T_DECIMAL128: {
      const uint8_t *s = (const uint8_t *)base + phys * 16;
      for (int64_t i = 0; i < n; i++) memcpy(&tmp[i], s + i * 16, 16);
      break;
    }
    case LC_T_DECIMAL256: {
      /* the low 128 bits; store_* / the caller checks the high half */
      const uint8_t *s = (const uint8_t *)base + phys * 32;
      for (int64_t i = 0; i < n; i++) memcpy(&tmp[i], s + i * 32, 16);
      break;
    }
    default: LD(int64_t); break;
  }
#undef LD
}

static void store_i128(lc_type_id t, void *dst, const i128 *tmp, int64_t n) {
#define ST(T)                                            \
  do {                                                   \
    T *d_ = (T *)dst;                                    \
    for (int64_t i = 0; i < n; i++) d_[i] = (T)tmp[i];   \
  } while (0)
  switch (t) {
    case LC_T_INT8: ST(int8_t); break;
    case LC_T_UINT8: ST(uint8_t); break;
    case LC_T_INT16: ST(int16_t); break;
    case LC_T_UINT16: ST(uint16_t); break;
    case LC_T_INT32: case LC_T_DATE32: case LC_T_TIME32: ST(int32_t); break;
    case LC_T_UINT32: ST(uint32_t); break;
    case LC_T_UINT64: ST(uint64_t); break;
    case LC_T_DECIMAL128: {
      uint8_t *d = dst;
      for (int64_t i = 0; i < n; i++) memcpy(d + i * 16, &tmp[i], 16);
      break;
    }
    case LC_T_DECIMAL256: {
      uint8_t *d = dst;
      for (int64_t i = 0; i < n; i++) {
        memcpy(d + i * 32, &tmp[i], 16);
        memset(d + i * 32 + 16, tmp[i] < 0 ? 0xff : 0, 16);
      }
      break;
    }
    default: ST(int64_t); break;
  }
#undef ST
}

static void load_f64(lc_type_id t, const void *base, int64_t phys, int64_t n, double *tmp) {
  if (t == LC_T_DOUBLE) {
    memcpy(tmp, (const double *)base + phys, (size_t)n * 8);
  } else if (t == LC_T_FLOAT) {
    const float *s = (const float *)base + phys;
    for (int64_t i = 0; i < n; i++) tmp[i] = s[i];
  } else {
    const uint16_t *s = (const uint16_t *)base + phys;
    for (int64_t i = 0; i < n; i++) tmp[i] = lc_half_to_float(s[i]);
  }
}

/* ---- casts ----------------------------------------------------------------------- */

static int cast_rec(const lc_field *from, const struct ArrowArray *in, int64_t start, int64_t n, const lc_field *to,
                    const char *path, const uint8_t *pmask, int depth, struct ArrowArray *out, lancec_error *err);

/* Integers, floats, temporal, decimals (and same-type fixed-width). */
static int cast_fixed(const lc_field *from, const struct ArrowArray *in, int64_t start, int64_t n, const lc_field *to,
                      const char *path, struct ArrowArray *out, lancec_error *err) {
  int64_t phys = in->offset + start;
  lc_type_id a = from->type, b = to->type;
  uint8_t *v;
  int64_t nulls;
  if (copy_validity(in, start, n, &v, &nulls)) return oom(err);
  if (lc_array_init(out, 2, 0)) {
    lc_free(v);
    return oom(err);
  }
  out->length = n;
  set_validity(out, v, nulls);
  const uint8_t *val = out->buffers[0];
  int wb = fixed_bytes(b, to->width);
  uint8_t *dst = abuf((size_t)n * (size_t)wb);
  if (!dst) goto nomem;
  lc_array_set_buffer(out, 1, dst);
  if (n == 0) return 0;
  const void *src = in->buffers[1];
  if (a == b && (!is_dec(a) || (from->precision == to->precision && from->scale == to->scale)) &&
      (!temporal_compatible(a, b) || from->unit == to->unit)) {
    memcpy(dst, (const uint8_t *)src + phys * wb, (size_t)n * (size_t)wb);
    return 0;
  }
  char vs[96];
  if (is_float(b)) {
    double *t = lc_malloc((size_t)n * sizeof(double));
    if (!t) goto nomem;
    if (is_float(a)) {
      load_f64(a, src, phys, n, t);
    } else {
      i128 *w = lc_malloc((size_t)n * sizeof(i128));
      if (!w) {
        lc_free(t);
        goto nomem;
      }
      load_i128(a, src, phys, n, w);
      for (int64_t i = 0; i < n; i++) t[i] = (double)w[i];
      lc_free(w);
    }
    double lim = b == LC_T_FLOAT ? (double)FLT_MAX : 65504.0;
    if (b != LC_T_DOUBLE)
      for (int64_t i = 0; i < n; i++) {
        if (!valid_at(val, i)) {
          t[i] = 0;
          continue;
        }
        if (isfinite(t[i]) && fabs(t[i]) > lim && !(b == LC_T_HALF && fabs(t[i]) < 65520.0)) {
          snprintf(vs, sizeof vs, "%.17g", t[i]);
          lc_free(t);
          return value_err(to, path, vs, start + i, err);
        }
      }
    if (b == LC_T_DOUBLE) memcpy(dst, t, (size_t)n * 8);
    else if (b == LC_T_FLOAT)
      for (int64_t i = 0; i < n; i++) ((float *)dst)[i] = (float)t[i];
    else
      for (int64_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = lc_float_to_half((float)t[i]);
    lc_free(t);
    return 0;
  }
  /* integer-like target */
  i128 *w = lc_malloc((size_t)n * sizeof(i128));
  if (!w) goto nomem;
  int rc = 0;
  if (is_float(a)) {
    double *t = lc_malloc((size_t)n * sizeof(double));
    if (!t) {
      lc_free(w);
      goto nomem;
    }
    load_f64(a, src, phys, n, t);
    for (int64_t i = 0; i < n; i++) {
      if (!valid_at(val, i)) {
        w[i] = 0;
        continue;
      }
      double x = t[i];
      if (!isfinite(x) || x != trunc(x) || x < -9223372036854775808.0 || x >= 18446744073709551616.0) {
        snprintf(vs, sizeof vs, "%.17g", x);
        rc = value_err(to, path, vs, start + i, err);
        break;
      }
      w[i] = x < 0 ? (i128)(int64_t)x : (i128)(uint64_t)x;
    }
    lc_free(t);
  } else {
    load_i128(a, src, phys, n, w);
    if (a == LC_T_DECIMAL256) {
      const uint8_t *s = (const uint8_t *)src + phys * 32;
      for (int64_t i = 0; i < n && !rc; i++) {
        if (!valid_at(val, i)) continue;
        uint8_t hi[16], ext[16];
        memcpy(hi, s + i * 32 + 16, 16);
        memset(ext, w[i] < 0 ? 0xff : 0, 16);
        if (memcmp(hi, ext, 16)) rc = value_err(to, path, "(beyond 128 bits)", start + i, err);
      }
    }
  }
  if (!rc && temporal_compatible(a, b)) {
    /* unit exponent: per second for timestamp/duration/time; dates in days */
    int ea, eb;
    i128 mul = 1, div = 1;
    if (a == LC_T_DATE32 || a == LC_T_DATE64) {
      if (a == LC_T_DATE32 && b == LC_T_DATE64) mul = 86400000;
      if (a == LC_T_DATE64 && b == LC_T_DATE32) div = 86400000;
    } else {
      ea = 3 * (int)from->unit, eb = 3 * (int)to->unit;
      if (eb > ea) mul = pow10_i(eb - ea);
      else div = pow10_i(ea - eb);
    }
    for (int64_t i = 0; i < n; i++) {
      if (!valid_at(val, i)) {
        w[i] = 0;
        continue;
      }
      if (div > 1) {
        if (w[i] % div) {
          i128_str(w[i], vs, sizeof vs);
          rc = value_err(to, path, vs, start + i, err);
          break;
        }
        w[i] /= div;
      } else {
        w[i] *= mul; /* |w| < 2^64, mul <= 10^9: no overflow in 128 bits */
      }
    }
  } else if (!rc && is_dec(a)) {
    int d = to->scale - from->scale;
    i128 f = pow10_i(d < 0 ? -d : d);
    i128 bound = to->precision <= 38 ? pow10_i(to->precision) : 0;
    for (int64_t i = 0; i < n; i++) {
      if (!valid_at(val, i)) {
        w[i] = 0;
        continue;
      }
      i128 x = w[i];
      bool bad = false;
      if (d > 0) bad = __builtin_mul_overflow(x, f, &x);
      else if (d < 0) {
        bad = (x % f) != 0;
        x /= f;
      }
      if (!bad && bound && (x >= bound || x <= -bound)) bad = true;
      if (bad) {
        dec_str(w[i], from->scale, vs, sizeof vs);
        rc = value_err(to, path, vs, start + i, err);
        break;
      }
      w[i] = x;
    }
  }
  if (!rc && !is_dec(b)) {
    i128 lo, hi;
    int_range(b, &lo, &hi);
    for (int64_t i = 0; i < n; i++) {
      if (!valid_at(val, i)) {
        w[i] = 0;
        continue;
      }
      if (w[i] < lo || w[i] > hi) {
        i128_str(w[i], vs, sizeof vs);
        rc = value_err(to, path, vs, start + i, err);
        break;
      }
    }
  }
  if (!rc) store_i128(b, dst, w, n);
  lc_free(w);
  return rc;
nomem:
  return oom(err);
}

static int cast_bool(const struct ArrowArray *in, int64_t start, int64_t n, struct ArrowArray *out, lancec_error *err) {
  uint8_t *v;
  int64_t nulls;
  if (copy_validity(in, start, n, &v, &nulls)) return oom(err);
  if (lc_array_init(out, 2, 0)) {
    lc_free(v);
    return oom(err);
  }
  out->length = n;
  set_validity(out, v, nulls);
  uint8_t *d = abuf(lc_bitmap_bytes(n));
  if (!d) return oom(err);
  memset(d, 0, lc_bitmap_bytes(n) ? lc_bitmap_bytes(n) : 1);
  lc_bits_copy(d, 0, in->buffers[1], in->offset + start, n);
  lc_array_set_buffer(out, 1, d);
  return 0;
}

static inline int64_t off_at(const void *o, bool w64, int64_t i) {
  return w64 ? ((const int64_t *)o)[i] : (int64_t)((const int32_t *)o)[i];
}

/* New offsets for rows [phys, phys+n) rebased to 0, width w64. */
static int rebase_offsets(const void *src, bool s64, int64_t phys, int64_t n, bool d64, void **dst, int64_t *first,
                          int64_t *total, const char *path, lancec_error *err) {
  int64_t o0 = n ? off_at(src, s64, phys) : 0;
  int64_t on = n ? off_at(src, s64, phys + n) : 0;
  *first = o0;
  *total = on - o0;
  if (!d64 && on - o0 > INT32_MAX)
    return lc_err(err, ETYPE, "column '%s': %lld bytes/items do not fit 32-bit offsets", path, (long long)(on - o0));
  void *o = abuf((size_t)(n + 1) * (d64 ? 8 : 4));
  if (!o) return oom(err);
  if (d64)
    for (int64_t i = 0; i <= n; i++) ((int64_t *)o)[i] = n ? off_at(src, s64, phys + i) - o0 : 0;
  else
    for (int64_t i = 0; i <= n; i++) ((int32_t *)o)[i] = n ? (int32_t)(off_at(src, s64, phys + i) - o0) : 0;
  *dst = o;
  return 0;
}

static int cast_var(const lc_field *from, const struct ArrowArray *in, int64_t start, int64_t n, const lc_field *to,
                    const char *path, struct ArrowArray *out, lancec_error *err) {
  uint8_t *v;
  int64_t nulls;
  if (copy_validity(in, start, n, &v, &nulls)) return oom(err);
  if (lc_array_init(out, 3, 0)) {
    lc_free(v);
    return oom(err);
  }
  out->length = n;
  set_validity(out, v, nulls);
  void *o;
  int64_t first, total;
  LC_TRY(rebase_offsets(in->buffers[1], is_var64(from->type), in->offset + start, n, is_var64(to->type), &o, &first,
                        &total, path, err));
  lc_array_set_buffer(out, 1, o);
  uint8_t *d = abuf((size_t)total);
  if (!d) return oom(err);
  if (total) memcpy(d, (const uint8_t *)in->buffers[2] + first, (size_t)total);
  lc_array_set_buffer(out, 2, d);
  return 0;
}

static char *child_path(const char *path, const char *name) {
  if (!path || !*path) return lc_strdup(name ? name : "");
  return lc_sprintf("%s.%s", path, name ? name : "");
}

static int cast_list(const lc_field *from, const struct ArrowArray *in, int64_t start, int64_t n, const lc_field *to,
                     const char *path, int depth, struct ArrowArray *out, lancec_error *err) {
  uint8_t *v;
  int64_t nulls;
  if (copy_validity(in, start, n, &v, &nulls)) return oom(err);
  if (lc_array_init(out, 2, 1)) {
    lc_free(v);
    return oom(err);
  }
  out->length = n;
  set_validity(out, v, nulls);
  void *o;
  int64_t first, total;
  LC_TRY(rebase_offsets(in->buffers[1], from->type == LC_T_LARGE_LIST, in->offset + start, n,
                        to->type == LC_T_LARGE_LIST, &o, &first, &total, path, err));
  lc_array_set_buffer(out, 1, o);
  char *cp = child_path(path, to->children[0]->name);
  if (!cp) return oom(err);
  int rc = cast_rec(from->children[0], in->children[0], first, total, to->children[0], cp, NULL, depth + 1,
                    out->children[0], err);
  lc_free(cp);
  return rc;
}

static int cast_fsl(const lc_field *from, const struct ArrowArray *in, int64_t start, int64_t n, const lc_field *to,
                    const char *path, int depth, struct ArrowArray *out, lancec_error *err) {
  uint8_t *v;
  int64_t nulls;
  if (copy_validity(in, start, n, &v, &nulls)) return oom(err);
  if (lc_array_init(out, 1, 1)) {
    lc_free(v);
    return oom(err);
  }
  out->length = n;
  set_validity(out, v, nulls);
  int64_t w = to->width;
  /* item nullability only matters under valid lists: expand the mask */
  uint8_t *cm = NULL;
  if (out->buffers[0] && !to->children[0]->nullable && n * w > 0) {
    cm = abuf(lc_bitmap_bytes(n * w));
    if (!cm) return oom(err);
    memset(cm, 0, lc_bitmap_bytes(n * w));
    for (int64_t i = 0; i < n; i++)
      if (lc_bit_get(out->buffers[0], i))
        for (int64_t k = 0; k < w; k++) lc_bit_set(cm, i * w + k);
  }
  char *cp = child_path(path, to->children[0]->name);
  int rc = cp ? cast_rec(from->children[0], in->children[0], (in->offset + start) * w, n * w, to->children[0], cp, cm,
                         depth + 1, out->children[0], err)
              : oom(err);
  lc_free(cp);
  lc_free(cm);
  return rc;
}

static int cast_struct(const lc_field *from, const struct ArrowArray *in, int64_t start, int64_t n, const lc_field *to,
                       const char *path, const uint8_t *pmask, int depth, struct ArrowArray *out, lancec_error *err) {
  for (size_t i = 0; i < from->n_children; i++)
    if (!child_by_name(to, from->children[i]->name)) {
      char *cp = child_path(path, from->children[i]->name);
      int rc = lc_err(err, ETYPE, "column '%s' is not in the target schema", cp ? cp : "?");
      lc_free(cp);
      return rc;
    }
  uint8_t *v;
  int64_t nulls;
  if (copy_validity(in, start, n, &v, &nulls)) return oom(err);
  if (lc_array_init(out, 1, (int64_t)to->n_children)) {
    lc_free(v);
    return oom(err);
  }
  out->length = n;
  set_validity(out, v, nulls);
  /* children see this level's validity combined with the parents' */
  uint8_t *mask = NULL;
  const uint8_t *cmask = pmask;
  if (out->buffers[0]) {
    mask = abuf(lc_bitmap_bytes(n));
    if (!mask) return oom(err);
    memcpy(mask, out->buffers[0], lc_bitmap_bytes(n));
    if (pmask)
      for (size_t k = 0; k < lc_bitmap_bytes(n); k++) mask[k] &= pmask[k];
    cmask = mask;
  }
  int rc = 0;
  for (size_t i = 0; i < to->n_children && !rc; i++) {
    const lc_field *tc = to->children[i];
    char *cp = child_path(path, tc->name);
    if (!cp) {
      rc = oom(err);
      break;
    }
    size_t si = 0;
    while (si < from->n_children && strcmp(from->children[si]->name ? from->children[si]->name : "", tc->name ? tc->name : ""))
      si++;
    if (si == from->n_children) {
      if (!tc->nullable) rc = lc_err(err, ETYPE, "column '%s' is missing and not nullable", cp);
      else rc = lc_array_make_nulls(tc, n, out->children[i], err);
    } else {
      rc = cast_rec(from->children[si], in->children[si], in->offset + start, n, tc, cp, cmask, depth + 1,
                    out->children[i], err);
    }
    lc_free(cp);
  }
  lc_free(mask);
  return rc;
}

static int key_bytes(lc_type_id k) { return fixed_bytes(k, 0); }

static int64_t load_key(const void *p, lc_type_id k, int64_t i) {
  switch (k) {
    case LC_T_INT8: return ((const int8_t *)p)[i];
    case LC_T_UINT8: return ((const uint8_t *)p)[i];
    case LC_T_INT16: return ((const int16_t *)p)[i];
    case LC_T_UINT16: return ((const uint16_t *)p)[i];
    case LC_T_INT32: return ((const int32_t *)p)[i];
    case LC_T_UINT32: return ((const uint32_t *)p)[i];
    default: return ((const int64_t *)p)[i];
  }
}

/* Decode dictionary rows [start, start+n) into a plain array of the value type. */
static int dict_decode(const lc_field *from, const struct ArrowArray *in, int64_t start, int64_t n,
                       struct ArrowArray *out, lancec_error *err) {
  const struct ArrowArray *d = in->dictionary;
  if (!d) return lc_err(err, LANCEC_EINVAL, "dictionary array without dictionary");
  uint8_t *v;
  int64_t nulls;
  if (copy_validity(in, start, n, &v, &nulls)) return oom(err);
  if (d->length == 0) {
    lc_free(v);
    if (nulls != n && n > 0) return lc_err(err, LANCEC_EINVAL, "dictionary index into an empty dictionary");
    return lc_array_make_nulls(from->dict_value, n, out, err);
  }
  int64_t *idx = lc_malloc((size_t)(n ? n : 1) * sizeof(int64_t));
  if (!idx) {
    lc_free(v);
    return oom(err);
  }
  int64_t phys = in->offset + start;
  for (int64_t i = 0; i < n; i++) {
    int64_t x = valid_at(v, i) ? load_key(in->buffers[1], from->dict_key, phys + i) : 0;
    if (x < 0 || x >= d->length) {
      lc_free(idx);
      lc_free(v);
      return lc_err(err, LANCEC_EINVAL, "dictionary index %lld out of range", (long long)x);
    }
    idx[i] = x;
  }
  int rc = lc_array_take(from->dict_value, d, idx, n, out, err);
  lc_free(idx);
  if (rc) {
    lc_free(v);
    return rc;
  }
  if (v && out->n_buffers > 0) {
    /* validity = index validity AND value validity */
    if (out->buffers[0]) {
      uint8_t *ov = (uint8_t *)out->buffers[0];
      for (size_t k = 0; k < lc_bitmap_bytes(n); k++) v[k] &= ov[k];
    }
    int64_t z = lc_bits_count_zero(v, 0, n);
    lc_array_set_buffer(out, 0, v);
    out->null_count = z;
  } else {
    lc_free(v);
  }
  return 0;
}

static int dict_encode(const struct ArrowArray *values, lc_type_id key, const char *path, struct ArrowArray *out,
                       lancec_error *err) {
  int64_t n = values->length;
  i128 lo, hi;
  int_range(key, &lo, &hi);
  if (n > 0 && (i128)(n - 1) > hi)
    return lc_err(err, ETYPE, "column '%s': %lld values do not fit dictionary keys of type %s", path, (long long)n,
                  lc_type_name(key));
  if (lc_array_init(out, 2, 0)) return oom(err);
  out->length = n;
  if (has_validity(values)) {
    uint8_t *v = abuf(lc_bitmap_bytes(n));
    if (!v) return oom(err);
    memcpy(v, values->buffers[0], lc_bitmap_bytes(n));
    set_validity(out, v, values->null_count);
  }
  int kb = key_bytes(key);
  uint8_t *ix = abuf((size_t)n * (size_t)kb);
  if (!ix) return oom(err);
  i128 *w = lc_malloc((size_t)(n ? n : 1) * sizeof(i128));
  if (!w) {
    lc_free(ix);
    return oom(err);
  }
  for (int64_t i = 0; i < n; i++) w[i] = i;
  store_i128(key, ix, w, n);
  lc_free(w);
  lc_array_set_buffer(out, 1, ix);
  struct ArrowArray copy;
  lc_array_move((struct ArrowArray *)values, &copy);
  if (lc_array_set_dictionary(out, &copy)) {
    lc_array_release(&copy);
    return oom(err);
  }
  return 0;
}

static int cast_body(const lc_field *from, const struct ArrowArray *in, int64_t start, int64_t n, const lc_field *to,
                     const char *path, const uint8_t *pmask, int depth, struct ArrowArray *out, lancec_error *err) {
  if (depth > 64) return lc_err(err, ETYPE, "column '%s': nesting too deep", path);
  lc_type_id a = from->type, b = to->type;
  if (a == LC_T_NULL) {
    if (b == LC_T_NULL) {
      if (lc_array_init(out, 0, 0)) return oom(err);
      out->length = n;
      out->null_count = n;
      return 0;
    }
    if (!to->nullable && n > 0) return cannot(from, to, path, err);
    return lc_array_make_nulls(to, n, out, err);
  }
  if (a == LC_T_DICT) {
    if (!from->dict_value) return cannot(from, to, path, err);
    if (b == LC_T_DICT && lc_field_same_type(from, to)) return lc_array_slice(from, in, start, n, out, err);
    struct ArrowArray dec;
    LC_TRY(dict_decode(from, in, start, n, &dec, err));
    int rc = cast_body(from->dict_value, &dec, 0, n, to, path, pmask, depth + 1, out, err);
    lc_array_release(&dec);
    return rc;
  }
  if (b == LC_T_DICT) {
    if (!to->dict_value || !lc_cast_supported(from, to->dict_value)) return cannot(from, to, path, err);
    struct ArrowArray vals;
    LC_TRY(cast_body(from, in, start, n, to->dict_value, path, NULL, depth + 1, &vals, err));
    int rc = dict_encode(&vals, to->dict_key, path, out, err);
    lc_array_release(&vals);
    return rc;
  }
  if (a == LC_T_BOOL && b == LC_T_BOOL) return cast_bool(in, start, n, out, err);
  if ((is_num(a) && is_num(b)) || temporal_compatible(a, b) || (is_dec(a) && is_dec(b)) ||
      (a == LC_T_FIXED_BINARY && b == a && from->width == to->width))
    return cast_fixed(from, in, start, n, to, path, out, err);
  if (is_var(a) && is_var(b) && (is_str(a) == is_str(b) || is_str(a)))
    return cast_var(from, in, start, n, to, path, out, err);
  if (((is_listy(a) && is_listy(b)) || (a == LC_T_MAP && b == LC_T_MAP)) && from->n_children == 1 &&
      to->n_children == 1)
    return cast_list(from, in, start, n, to, path, depth, out, err);
  if (a == LC_T_FIXED_LIST && b == a && from->width == to->width && from->n_children == 1 && to->n_children == 1)
    return cast_fsl(from, in, start, n, to, path, depth, out, err);
  if (a == LC_T_STRUCT && b == a) return cast_struct(from, in, start, n, to, path, pmask, depth, out, err);
  return cannot(from, to, path, err);
}

static int cast_rec(const lc_field *from, const struct ArrowArray *in, int64_t start, int64_t n, const lc_field *to,
                    const char *path, const uint8_t *pmask, int depth, struct ArrowArray *out, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  int rc = cast_body(from, in, start, n, to, path, pmask, depth, out, err);
  if (!rc) rc = check_nulls(to, out, pmask, path, err);
  if (rc) lc_array_release(out);
  return rc;
}

int lc_array_cast(const lc_field *from, const struct ArrowArray *in, const lc_field *to, const char *column,
                  struct ArrowArray *out, lancec_error *err) {
  if (!from || !in || !to || !out) return lc_err(err, LANCEC_EINVAL, "lc_array_cast: NULL argument");
  if (!in->release) return lc_err(err, LANCEC_EINVAL, "lc_array_cast: released array");
  const char *path = column ? column : "";
  /* the structural check first, so an incompatible type fails before any value is looked at */
  if (!lc_cast_supported(from, to)) {
    if (from->type == LC_T_STRUCT && to->type == LC_T_STRUCT) {
      /* name the offending child */
      memset(out, 0, sizeof(*out));
      int rc = cast_rec(from, in, 0, 0, to, path, NULL, 0, out, err);
      if (rc) return rc;
      lc_array_release(out);
    }
    return cannot(from, to, *path ? path : (to->name ? to->name : ""), err);
  }
  return cast_rec(from, in, 0, in->length, to, path, NULL, 0, out, err);
}
