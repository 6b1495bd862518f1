/* Expected JSON rows of the shared corpus (*.expected.jsonl) and a value
 * comparator for lancec's Arrow arrays, following the corpus JSON
 * conventions (../shared/corpus/README.md). Used by the file-level corpus
 * tests (tests/file/test_file_corpus.c, tests/file/test_v20.c). */
#include "expected_rows.h"

#include <math.h>
#include <stdio.h>

#include "testutil.h"

#include "arrow/arrow.h"

/* ---- expected rows ---- */


bool load_rows(const char *base, rows *out) {
  char *p = lc_sprintf("%s.expected.jsonl", base);
  FILE *f = fopen(p, "r");
  bool gz = false;
  if (!f) {
    lc_free(p);
    p = lc_sprintf("gzip -dc '%s.expected.jsonl.gz'", base);
    f = popen(p, "r");
    gz = true;
  }
  lc_free(p);
  if (!f) return false;
  out->v = NULL;
  out->n = 0;
  size_t cap = 0;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t len;
  while ((len = getline(&line, &lcap, f)) > 0) {
    if (len <= 1) continue;
    json_error_t je;
    json_t *j = json_loadb(line, (size_t)len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!j) continue;
    if (out->n == cap) {
      cap = cap ? 2 * cap : 256;
      out->v = realloc(out->v, cap * sizeof(json_t *));
    }
    out->v[out->n++] = j;
  }
  free(line);
  if (gz) pclose(f);
  else fclose(f);
  return true;
}

void free_rows(rows *r) {
  for (size_t i = 0; i < r->n; i++) json_decref(r->v[i]);
  free(r->v);
}

/* ---- comparing an Arrow value with its JSON rendering ---- */

static char msg[4096];

static bool valid_at(const struct ArrowArray *a, int64_t i) {
  if (a->n_buffers == 0) return false;
  const uint8_t *v = a->buffers[0];
  return !v || lc_bit_get(v, a->offset + i);
}

static int b64val(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

static size_t b64dec(const char *s, uint8_t *out) {
  size_t n = 0;
  unsigned acc = 0;
  int bits = 0;
  for (; *s; s++) {
    int v = b64val((unsigned char)*s);
    if (v < 0) continue;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (uint8_t)(acc >> bits);
    }
  }
  return n;
}

static double expected_double(const json_t *e, bool *ok) {
  *ok = true;
  if (json_is_number(e)) return json_number_value(e);
  if (json_is_string(e)) {
    const char *s = json_string_value(e);
    if (!strcasecmp(s, "nan")) return NAN;
    if (!strcasecmp(s, "infinity") || !strcasecmp(s, "inf")) return INFINITY;
    if (!strcasecmp(s, "-infinity") || !strcasecmp(s, "-inf")) return -INFINITY;
    return strtod(s, NULL);
  }
  *ok = false;
  return 0;
}

static float half_to_float(uint16_t h) {
  uint32_t s = (h >> 15) & 1, e = (h >> 10) & 31, m = h & 1023;
  float v;
  if (e == 0) v = ldexpf((float)m, -24);
  else if (e == 31) v = m ? NAN : INFINITY;
  else v = ldexpf((float)(m | 1024), (int)e - 25);
  return s ? -v : v;
}

/* unsigned 256-bit magnitude to decimal digits */
static void u256_str(uint64_t w[4], char *out) {
  char tmp[100];
  int n = 0;
  for (;;) {
    bool zero = !(w[0] | w[1] | w[2] | w[3]);
    if (zero) break;
    unsigned __int128 rem = 0;
    for (int k = 3; k >= 0; k--) {
      unsigned __int128 cur = (rem << 64) | w[k];
      w[k] = (uint64_t)(cur / 10);
      rem = cur % 10;
    }
    tmp[n++] = (char)('0' + (int)rem);
  }
  if (!n) tmp[n++] = '0';
  for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = 0;
}

static void decimal_str(const uint8_t *p, int bytes, int scale, char *out) {
  uint64_t w[4] = {0, 0, 0, 0};
  memcpy(w, p, (size_t)bytes);
  bool neg = (p[bytes - 1] & 0x80) != 0;
  if (bytes == 16) {
    uint64_t fill = neg ? ~0ull : 0;
    w[2] = w[3] = fill;
  }
  if (neg) { /* two's complement negate */
    unsigned carry = 1;
    for (int k = 0; k < 4; k++) {
      w[k] = ~w[k];
      unsigned __int128 s = (unsigned __int128)w[k] + carry;
      w[k] = (uint64_t)s;
      carry = (unsigned)(s >> 64);
    }
  }
  char digits[100];
  u256_str(w, digits);
  char *o = out;
  if (neg) *o++ = '-';
  int nd = (int)strlen(digits);
  if (scale <= 0) {
    strcpy(o, digits);
    o += nd;
    for (int i = 0; i < -scale; i++) *o++ = '0';
    *o = 0;
    return;
  }
  if (nd <= scale) {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < scale - nd; i++) *o++ = '0';
    strcpy(o, digits);
    return;
  }
  memcpy(o, digits, (size_t)(nd - scale));
  o += nd - scale;
  *o++ = '.';
  strcpy(o, digits + nd - scale);
}

static bool dec_equal(const char *a, const char *b) { return strtold(a, NULL) == strtold(b, NULL) && (strtold(a, NULL) != 0 || 1); }

static bool cmp(const lc_field *f, const struct ArrowArray *a, int64_t i, const json_t *e, const char *path);

static bool cmp_int(int64_t v, bool is_unsigned, uint64_t uv, const json_t *e, bool as_string, const char *path) {
  char buf[32];
  if (is_unsigned) snprintf(buf, sizeof buf, "%llu", (unsigned long long)uv);
  else snprintf(buf, sizeof buf, "%lld", (long long)v);
  if (json_is_integer(e)) {
    char eb[32];
    snprintf(eb, sizeof eb, "%lld", (long long)json_integer_value(e));
    if (!strcmp(eb, buf)) return true;
  } else if (json_is_string(e)) {
    const char *s = json_string_value(e);
    if (!strcmp(s, buf)) return true;
    size_t l = strlen(buf);
    if (!strncmp(s, buf, l) && !strcmp(s + l, ".0")) return true;
  } else if (json_is_real(e) && json_real_value(e) == (double)v) {
    return true;
  }
  (void)as_string;
  char *d = json_dumps(e, JSON_ENCODE_ANY);
  snprintf(msg, sizeof msg, "%s: got %s expected %s", path, buf, d);
  free(d);
  return false;
}

static bool cmp(const lc_field *f, const struct ArrowArray *a, int64_t i, const json_t *e, const char *path) {
  if (f->type == LC_T_NULL) {
    if (!json_is_null(e)) {
      snprintf(msg, sizeof msg, "%s: null-type value expected null", path);
      return false;
    }
    return true;
  }
  bool v = valid_at(a, i);
  if (!v || json_is_null(e)) {
    if (v != !json_is_null(e)) {
      char *d = json_dumps(e, JSON_ENCODE_ANY);
      snprintf(msg, sizeof msg, "%s: got %s expected %s", path, v ? "a value" : "null", d);
      free(d);
      return false;
    }
    return true;
  }
  int64_t k = a->offset + i;
  const void *b1 = a->n_buffers > 1 ? a->buffers[1] : NULL;
  char sub[512];
  switch (f->type) {
    case LC_T_BOOL: {
      bool x = lc_bit_get(b1, k);
      if (!json_is_boolean(e) || json_is_true(e) != x) {
        snprintf(msg, sizeof msg, "%s: got %d", path, x);
        return false;
      }
      return true;
    }
    case LC_T_INT8: return cmp_int(((const int8_t *)b1)[k], false, 0, e, false, path);
    case LC_T_UINT8: return cmp_int(0, true, ((const uint8_t *)b1)[k], e, false, path);
    case LC_T_INT16: return cmp_int(((const int16_t *)b1)[k], false, 0, e, false, path);
    case LC_T_UINT16: return cmp_int(0, true, ((const uint16_t *)b1)[k], e, false, path);
    case LC_T_INT32:
    case LC_T_DATE32:
    case LC_T_TIME32: return cmp_int(((const int32_t *)b1)[k], false, 0, e, false, path);
    case LC_T_UINT32: return cmp_int(0, true, ((const uint32_t *)b1)[k], e, false, path);
    case LC_T_INT64:
    case LC_T_DATE64:
    case LC_T_TIME64:
    case LC_T_TIMESTAMP:
    case LC_T_DURATION: return cmp_int(((const int64_t *)b1)[k], false, 0, e, true, path);
    case LC_T_UINT64: return cmp_int(0, true, ((const uint64_t *)b1)[k], e, true, path);
    case LC_T_HALF:
    case LC_T_FLOAT:
    case LC_T_DOUBLE: {
      double x = f->type == LC_T_HALF ? half_to_float(((const uint16_t *)b1)[k])
                 : f->type == LC_T_FLOAT ? ((const float *)b1)[k]
                                         : ((const double *)b1)[k];
      bool ok;
      double y = expected_double(e, &ok);
      bool eq = ok && ((isnan(x) && isnan(y)) || (x == y && signbit(x) == signbit(y)) ||
                       (f->type == LC_T_FLOAT && (float)y == (float)x && signbit(x) == signbit(y)) ||
                       (f->type == LC_T_HALF && fabs(x - y) <= 1e-3 * fabs(y) + 1e-7));
      if (!eq) {
        snprintf(msg, sizeof msg, "%s: got %.17g expected %.17g", path, x, y);
        return false;
      }
      return true;
    }
    case LC_T_DECIMAL128:
    case LC_T_DECIMAL256: {
      int bytes = f->type == LC_T_DECIMAL128 ? 16 : 32;
      char s[200];
      decimal_str((const uint8_t *)b1 + (size_t)k * (size_t)bytes, bytes, f->scale, s);
      if (!json_is_string(e) || !dec_equal(s, json_string_value(e))) {
        char *d = json_dumps(e, JSON_ENCODE_ANY);
        snprintf(msg, sizeof msg, "%s: got %s expected %s", path, s, d);
        free(d);
        return false;
      }
      return true;
    }
    case LC_T_STRING:
    case LC_T_LARGE_STRING:
    case LC_T_BINARY:
    case LC_T_LARGE_BINARY:
    case LC_T_FIXED_BINARY: {
      const uint8_t *p;
      size_t len;
      if (f->type == LC_T_FIXED_BINARY) {
        p = (const uint8_t *)b1 + (size_t)k * (size_t)f->width;
        len = (size_t)f->width;
      } else if (f->type == LC_T_STRING || f->type == LC_T_BINARY) {
        const int32_t *o = b1;
        p = (const uint8_t *)a->buffers[2] + o[k];
        len = (size_t)(o[k + 1] - o[k]);
      } else {
        const int64_t *o = b1;
        p = (const uint8_t *)a->buffers[2] + o[k];
        len = (size_t)(o[k + 1] - o[k]);
      }
      if (json_is_object(e) && json_object_get(e, "size")) {
        /* legacy blob: the expected rows hold lancedb's descriptor; we return the bytes */
        const char *sz = json_string_value(json_object_get(e, "size"));
        if (sz && strtoull(sz, NULL, 10) == len) return true;
        snprintf(msg, sizeof msg, "%s: blob of %zu bytes, descriptor says %s", path, len, sz ? sz : "?");
        return false;
      }
      if (!json_is_string(e)) {
        snprintf(msg, sizeof msg, "%s: expected a string", path);
        return false;
      }
      bool ok;
      if (f->type == LC_T_STRING || f->type == LC_T_LARGE_STRING) {
        /* the corpus generator's JS decoder drops a leading U+FEFF */
        if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3) && strncmp(json_string_value(e), "\xef\xbb\xbf", 3)) {
          p += 3;
          len -= 3;
        }
        ok = json_string_length(e) == len && !memcmp(json_string_value(e), p, len);
      } else {
        uint8_t *dec = malloc(json_string_length(e) + 4);
        size_t dl = b64dec(json_string_value(e), dec);
        ok = dl == len && !memcmp(dec, p, len);
        free(dec);
      }
      if (!ok) {
        snprintf(msg, sizeof msg, "%s: got %zu bytes '%.*s' expected '%.60s'", path, len, (int)(len < 60 ? len : 60), p,
                 json_string_value(e));
        return false;
      }
      return true;
    }
    case LC_T_DICT: {
      const struct ArrowArray *d = a->dictionary;
      int64_t idx;
      switch (f->dict_key) {
        case LC_T_INT8: idx = ((const int8_t *)b1)[k]; break;
        case LC_T_UINT8: idx = ((const uint8_t *)b1)[k]; break;
        case LC_T_INT16: idx = ((const int16_t *)b1)[k]; break;
        case LC_T_UINT16: idx = ((const uint16_t *)b1)[k]; break;
        case LC_T_INT32: idx = ((const int32_t *)b1)[k]; break;
        case LC_T_UINT32: idx = ((const uint32_t *)b1)[k]; break;
        default: idx = ((const int64_t *)b1)[k]; break;
      }
      if (!d || idx < 0 || idx >= d->length) {
        snprintf(msg, sizeof msg, "%s: dictionary index %lld out of range", path, (long long)idx);
        return false;
      }
      return cmp(f->dict_value, d, idx, e, path);
    }
    case LC_T_STRUCT: {
      if (!json_is_object(e)) {
        snprintf(msg, sizeof msg, "%s: expected an object", path);
        return false;
      }
      for (size_t c = 0; c < f->n_children; c++) {
        json_t *ce = json_object_get(e, f->children[c]->name);
        if (!ce) continue; /* blob descriptors etc. may differ in naming */
        snprintf(sub, sizeof sub, "%s.%s", path, f->children[c]->name);
        if (!cmp(f->children[c], a->children[c], k, ce, sub)) return false;
      }
      return true;
    }
    case LC_T_LIST:
    case LC_T_LARGE_LIST:
    case LC_T_MAP:
    case LC_T_FIXED_LIST: {
      int64_t s, n;
      if (f->type == LC_T_FIXED_LIST) {
        s = k * f->width;
        n = f->width;
      } else if (f->type == LC_T_LARGE_LIST) {
        const int64_t *o = b1;
        s = o[k];
        n = o[k + 1] - o[k];
      } else {
        const int32_t *o = b1;
        s = o[k];
        n = o[k + 1] - o[k];
      }
      if (!json_is_array(e) || (int64_t)json_array_size(e) != n) {
        char *d = json_dumps(e, JSON_ENCODE_ANY);
        snprintf(msg, sizeof msg, "%s: got a list of %lld expected %.200s", path, (long long)n, d);
        free(d);
        return false;
      }
      for (int64_t x = 0; x < n; x++) {
        snprintf(sub, sizeof sub, "%s[%lld]", path, (long long)x);
        if (!cmp(f->children[0], a->children[0], s + x, json_array_get(e, (size_t)x), sub)) return false;
      }
      return true;
    }
    default: snprintf(msg, sizeof msg, "%s: unhandled type", path); return false;
  }
}

/* ---- driver ---- */

int g_failures;

bool check_array(const lc_field *f, const struct ArrowArray *a, rows *exp, uint64_t first, const uint64_t *idx,
                        const char *ds, const char *how) {
  lancec_error err;
  if (lc_array_validate(f, a, &err) != 0) {
    print_message("%s %s %s: invalid array: %s\n", ds, f->name, how, err.message);
    return false;
  }
  for (int64_t i = 0; i < a->length; i++) {
    uint64_t row = idx ? idx[i] : first + (uint64_t)i;
    json_t *e = json_object_get(exp->v[row], f->name);
    if (!e) {
      print_message("%s: no expected key %s\n", ds, f->name);
      return false;
    }
    char path[300];
    snprintf(path, sizeof path, "%s row %llu %s", ds, (unsigned long long)row, f->name);
    if (!cmp(f, a, i, e, path)) {
      print_message("%s (%s)\n", msg, how);
      return false;
    }
  }
  return true;
}

