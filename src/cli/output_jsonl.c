/* The output dispatcher and the JSON value printer (JSON lines format;
 * csv and table reuse lc_json_append_value for nested values).
 * Conventions: shared/corpus/README.md "JSON conventions". */
#include <math.h>
#include <stdio.h>

#include "arrow/ipc.h"
#include "cli/output.h"

#define LC_OUT_FLUSH_BYTES (1u << 20)

/* ---- dispatcher ---------------------------------------------------------- */

int lc_output_new(lc_output **out, const char *format, FILE *fp, const struct ArrowSchema *schema,
                  lancec_error *err) {
  *out = NULL;
  const lc_output_ops *ops = NULL;
  if (!format || !strcmp(format, "jsonl") || !strcmp(format, "json")) ops = &lc_output_jsonl_ops;
  else if (!strcmp(format, "csv")) ops = &lc_output_csv_ops;
  else if (!strcmp(format, "table")) ops = &lc_output_table_ops;
  else if (!strcmp(format, "arrow") || !strcmp(format, "ipc")) ops = &lc_output_arrow_ops;
  else return lc_err(err, LANCEC_EINVAL, "unknown output format '%s' (expected jsonl, csv, table or arrow)", format);
  if (!schema || !schema->format || strcmp(schema->format, "+s") != 0)
    return lc_err(err, LANCEC_EINVAL, "output: schema must be a struct (\"+s\"), got '%s'",
                  schema && schema->format ? schema->format : "(null)");
  lc_output *o = lc_calloc(1, sizeof(*o));
  if (!o) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  o->ops = ops;
  o->fp = fp;
  int rc = lc_ipc_field_from_arrow(&o->root, schema, err);
  if (rc == 0) rc = ops->begin(o, schema, err);
  if (rc) {
    lc_output_free(o);
    return rc;
  }
  *out = o;
  return 0;
}

int lc_output_write_batch(lc_output *o, const struct ArrowArray *batch, lancec_error *err) {
  if (o->finished) return lc_err(err, LANCEC_EINVAL, "output: write after finish");
  if ((size_t)batch->n_children != o->root->n_children)
    return lc_err(err, LANCEC_ETYPE, "output: batch has %lld columns, schema %zu", (long long)batch->n_children,
                  o->root->n_children);
  return o->ops->batch(o, batch, err);
}

int lc_output_finish(lc_output *o, lancec_error *err) {
  if (o->finished) return 0;
  o->finished = true;
  LC_TRY(o->ops->finish(o, err));
  LC_TRY(lc_output_flush(o, 0, err));
  if (fflush(o->fp) != 0) return lc_err(err, LANCEC_EIO, "output: write failed");
  return 0;
}

void lc_output_free(lc_output *o) {
  if (!o) return;
  if (o->ops && o->ops->free_state) o->ops->free_state(o);
  lc_ipc_field_free(o->root);
  lc_buf_free(&o->buf);
  lc_free(o);
}

int lc_output_flush(lc_output *o, size_t min, lancec_error *err) {
  if (o->buf.len == 0 || o->buf.len < min) return 0;
  if (fwrite(o->buf.data, 1, o->buf.len, o->fp) != o->buf.len)
    return lc_err(err, LANCEC_EIO, "output: write failed");
  o->buf.len = 0;
  return 0;
}

/* ---- JSON values ------------------------------------------------------------- */

static inline int put(lc_buf *b, const char *s, size_t n) { return lc_buf_append(b, s, n); }
#define PUTS(b, lit) put((b), (lit), sizeof(lit) - 1)

static int put_u64(lc_buf *b, uint64_t v) {
  char tmp[24];
  int i = 24;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return put(b, tmp + i, (size_t)(24 - i));
}

static int put_i64(lc_buf *b, int64_t v) {
  if (v < 0) {
    LC_TRY(PUTS(b, "-"));
    return put_u64(b, (uint64_t)0 - (uint64_t)v);
  }
  return put_u64(b, (uint64_t)v);
}

static int put_special(lc_buf *b, double v) {
  if (isnan(v)) return PUTS(b, "\"NaN\"");
  return v > 0 ? PUTS(b, "\"Infinity\"") : PUTS(b, "\"-Infinity\"");
}

static int put_double(lc_buf *b, double v) {
  if (!isfinite(v)) return put_special(b, v);
  if (v == 0) return signbit(v) ? PUTS(b, "-0.0") : PUTS(b, "0.0");
  char tmp[40];
  int n = 0;
  /* shortest of 15 significant digits when it round-trips, else 17 (a
   * full shortest search costs two more printf/strtod calls per value) */
  n = snprintf(tmp, sizeof tmp, "%.15g", v);
  if (strtod(tmp, NULL) != v) n = snprintf(tmp, sizeof tmp, "%.17g", v);
  return put(b, tmp, (size_t)n);
}

static int put_float(lc_buf *b, float v) {
  if (!isfinite(v)) return put_special(b, v);
  if (v == 0) return signbit(v) ? PUTS(b, "-0.0") : PUTS(b, "0.0");
  char tmp[32];
  int n = 0;
  /* 7 significant digits when they round-trip, else 9 */
  n = snprintf(tmp, sizeof tmp, "%.7g", (double)v);
  if (strtof(tmp, NULL) != v) n = snprintf(tmp, sizeof tmp, "%.9g", (double)v);
  return put(b, tmp, (size_t)n);
}

/* Unscaled little-endian two's complement integer of `nbytes` bytes as a
 * decimal string with `scale` fractional digits. */
static int put_decimal(lc_buf *b, const uint8_t *p, int nbytes, int32_t scale) {
  uint32_t limb[8];
  int nl = nbytes / 4;
  memcpy(limb, p, (size_t)nbytes);
  bool neg = (limb[nl - 1] >> 31) != 0;
  if (neg) { /* negate: invert and add one */
    uint64_t carry = 1;
    for (int i = 0; i < nl; i++) {
      uint64_t x = (uint64_t)(uint32_t)~limb[i] + carry;
      limb[i] = (uint32_t)x;
      carry = x >> 32;
    }
  }
  /* repeated division by 1e9 → base-1e9 chunks, least significant first */
  uint32_t chunks[10];
  int nc = 0;
  int top = nl;
  while (top > 0 && limb[top - 1] == 0) top--;
  while (top > 0) {
    uint64_t rem = 0;
    for (int i = top - 1; i >= 0; i--) {
      uint64_t cur = (rem << 32) | limb[i];
      limb[i] = (uint32_t)(cur / 1000000000u);
      rem = cur % 1000000000u;
    }
    chunks[nc++] = (uint32_t)rem;
    while (top > 0 && limb[top - 1] == 0) top--;
  }
  char digits[96];
  int nd = 0;
  if (nc == 0) {
    digits[nd++] = '0';
  } else {
    nd = snprintf(digits, sizeof digits, "%u", chunks[nc - 1]);
    for (int i = nc - 2; i >= 0; i--) nd += snprintf(digits + nd, sizeof digits - (size_t)nd, "%09u", chunks[i]);
  }
  bool zero = nc == 0;
  LC_TRY(PUTS(b, "\""));
  if (neg && !zero) LC_TRY(PUTS(b, "-"));
  if (scale <= 0) {
    LC_TRY(put(b, digits, (size_t)nd));
    if (!zero)
      for (int32_t i = 0; i < -scale; i++) LC_TRY(PUTS(b, "0"));
  } else {
    if (nd <= scale) {
      LC_TRY(PUTS(b, "0."));
      for (int32_t i = nd; i < scale; i++) LC_TRY(PUTS(b, "0"));
      LC_TRY(put(b, digits, (size_t)nd));
    } else {
      LC_TRY(put(b, digits, (size_t)(nd - scale)));
      LC_TRY(PUTS(b, "."));
      LC_TRY(put(b, digits + nd - scale, (size_t)scale));
    }
  }
  return PUTS(b, "\"");
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int put_base64(lc_buf *b, const uint8_t *s, size_t n) {
  LC_TRY(lc_buf_reserve(b, (n + 2) / 3 * 4 + 2));
  char *d = (char *)b->data + b->len;
  *d++ = '"';
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
    d[0] = b64[v >> 18], d[1] = b64[(v >> 12) & 63], d[2] = b64[(v >> 6) & 63], d[3] = b64[v & 63];
    d += 4;
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)s[i] << 16;
    d[0] = b64[v >> 18], d[1] = b64[(v >> 12) & 63], d[2] = '=', d[3] = '=';
    d += 4;
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
    d[0] = b64[v >> 18], d[1] = b64[(v >> 12) & 63], d[2] = b64[(v >> 6) & 63], d[3] = '=';
    d += 4;
  }
  *d++ = '"';
  b->len = (size_t)(d - (char *)b->data);
  return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static inline size_t utf8_seq(const uint8_t *s, size_t n) {
  uint8_t c = s[0];
  if (c < 0xc2) return 0;
  if (c < 0xe0) return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
  if (c < 0xf0) {
    if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80) return 0;
    if (c == 0xe0 && s[1] < 0xa0) return 0; /* overlong */
    if (c == 0xed && s[1] >= 0xa0) return 0; /* surrogate */
    return 3;
  }
  if (c < 0xf5) {
    if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80) return 0;
    if (c == 0xf0 && s[1] < 0x90) return 0;  /* overlong */
    if (c == 0xf4 && s[1] >= 0x90) return 0; /* > U+10FFFF */
    return 4;
  }
  return 0;
}

/* 1 = byte needs escaping or is non-ASCII (slow path). */
static const uint8_t json_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

int lc_json_append_string(lc_buf *b, const uint8_t *s, size_t n) {
  /* worst case 6 bytes per input byte (\u00XX) */
  LC_TRY(lc_buf_reserve(b, n + 2));
  LC_TRY(PUTS(b, "\""));
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && !json_special[s[j]]) j++;
    if (j > i) LC_TRY(put(b, (const char *)s + i, j - i));
    if (j >= n) break;
    uint8_t c = s[j];
    if (c >= 0x80) {
      size_t l = utf8_seq(s + j, n - j);
      if (l) {
        LC_TRY(put(b, (const char *)s + j, l));
        i = j + l;
      } else {
        LC_TRY(PUTS(b, "\xef\xbf\xbd"));
        i = j + 1;
      }
      continue;
    }
    char esc[8];
    size_t el = 2;
    esc[0] = '\\';
    switch (c) {
      case '"': esc[1] = '"'; break;
      case '\\': esc[1] = '\\'; break;
      case '\n': esc[1] = 'n'; break;
      case '\r': esc[1] = 'r'; break;
      case '\t': esc[1] = 't'; break;
      case '\b': esc[1] = 'b'; break;
      case '\f': esc[1] = 'f'; break;
      default:
        esc[1] = 'u', esc[2] = '0', esc[3] = '0';
        esc[4] = "0123456789abcdef"[c >> 4];
        esc[5] = "0123456789abcdef"[c & 15];
        el = 6;
    }
    LC_TRY(put(b, esc, el));
    i = j + 1;
  }
  return PUTS(b, "\"");
}

/* String values are printed exactly as stored, a leading U+FEFF (byte
 * order mark) included. (The corpus's expected files lost leading BOMs to
 * the JS TextDecoder that made them; tests/corpus normalises that.) */
static int put_string_value(lc_buf *b, const uint8_t *s, size_t n) {
  return lc_json_append_string(b, s, n);
}

bool lc_output_is_null(const lc_field *f, const struct ArrowArray *a, int64_t row) {
  if (f->type == LC_T_NULL) return true;
  const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
  return v && a->null_count != 0 && !lc_bit_get(v, a->offset + row);
}

static int64_t dict_index(const lc_field *f, const struct ArrowArray *a, int64_t i) {
  const void *p = a->buffers[1];
  switch (f->dict_key) {
    case LC_T_INT8: return ((const int8_t *)p)[i];
    case LC_T_UINT8: return ((const uint8_t *)p)[i];
    case LC_T_INT16: return ((const int16_t *)p)[i];
    case LC_T_UINT16: return ((const uint16_t *)p)[i];
    case LC_T_INT32: return ((const int32_t *)p)[i];
    case LC_T_UINT32: return ((const uint32_t *)p)[i];
    default: return ((const int64_t *)p)[i];
  }
}

int lc_json_append_value(lc_buf *b, const lc_field *f, const struct ArrowArray *a, int64_t row) {
  if (lc_output_is_null(f, a, row)) return PUTS(b, "null");
  int64_t i = a->offset + row;
  const void *d = a->n_buffers > 1 ? a->buffers[1] : NULL;
  switch (f->type) {
    case LC_T_NULL: return PUTS(b, "null");
    case LC_T_BOOL: return lc_bit_get(d, i) ? PUTS(b, "true") : PUTS(b, "false");
    case LC_T_INT8: return put_i64(b, ((const int8_t *)d)[i]);
    case LC_T_UINT8: return put_u64(b, ((const uint8_t *)d)[i]);
    case LC_T_INT16: return put_i64(b, ((const int16_t *)d)[i]);
    case LC_T_UINT16: return put_u64(b, ((const uint16_t *)d)[i]);
    case LC_T_INT32: case LC_T_DATE32: case LC_T_TIME32: return put_i64(b, ((const int32_t *)d)[i]);
    case LC_T_UINT32: return put_u64(b, ((const uint32_t *)d)[i]);
    case LC_T_INT64: case LC_T_DATE64: case LC_T_TIME64: case LC_T_TIMESTAMP: case LC_T_DURATION:
      LC_TRY(PUTS(b, "\""));
      LC_TRY(put_i64(b, ((const int64_t *)d)[i]));
      return PUTS(b, "\"");
    case LC_T_UINT64:
      LC_TRY(PUTS(b, "\""));
      LC_TRY(put_u64(b, ((const uint64_t *)d)[i]));
      return PUTS(b, "\"");
    case LC_T_HALF: return put_float(b, lc_half_to_float(((const uint16_t *)d)[i]));
    case LC_T_FLOAT: return put_float(b, ((const float *)d)[i]);
    case LC_T_DOUBLE: return put_double(b, ((const double *)d)[i]);
    case LC_T_DECIMAL128: return put_decimal(b, (const uint8_t *)d + i * 16, 16, f->scale);
    case LC_T_DECIMAL256: return put_decimal(b, (const uint8_t *)d + i * 32, 32, f->scale);
    case LC_T_STRING: case LC_T_BINARY: {
      const int32_t *o = d;
      const uint8_t *s = (const uint8_t *)a->buffers[2] + o[i];
      size_t n = (size_t)(o[i + 1] - o[i]);
      return f->type == LC_T_STRING ? put_string_value(b, s, n) : put_base64(b, s, n);
    }
    case LC_T_LARGE_STRING: case LC_T_LARGE_BINARY: {
      const int64_t *o = d;
      const uint8_t *s = (const uint8_t *)a->buffers[2] + o[i];
      size_t n = (size_t)(o[i + 1] - o[i]);
      return f->type == LC_T_LARGE_STRING ? put_string_value(b, s, n) : put_base64(b, s, n);
    }
    case LC_T_FIXED_BINARY:
      return put_base64(b, (const uint8_t *)d + (size_t)i * (size_t)f->width, (size_t)f->width);
    case LC_T_DICT:
      return lc_json_append_value(b, f->dict_value, a->dictionary, dict_index(f, a, i));
    case LC_T_STRUCT:
      LC_TRY(PUTS(b, "{"));
      for (size_t c = 0; c < f->n_children; c++) {
        if (c) LC_TRY(PUTS(b, ","));
        const char *nm = f->children[c]->name ? f->children[c]->name : "";
        LC_TRY(lc_json_append_string(b, (const uint8_t *)nm, strlen(nm)));
        LC_TRY(PUTS(b, ":"));
        LC_TRY(lc_json_append_value(b, f->children[c], a->children[c], i));
      }
      return PUTS(b, "}");
    case LC_T_LIST: case LC_T_LARGE_LIST: case LC_T_MAP: case LC_T_FIXED_LIST: {
      int64_t st, en;
      if (f->type == LC_T_FIXED_LIST) st = i * f->width, en = st + f->width;
      else if (f->type == LC_T_LARGE_LIST) st = ((const int64_t *)d)[i], en = ((const int64_t *)d)[i + 1];
      else st = ((const int32_t *)d)[i], en = ((const int32_t *)d)[i + 1];
      const lc_field *cf = f->children[0];
      const struct ArrowArray *ca = a->children[0];
      LC_TRY(PUTS(b, "["));
      for (int64_t k = st; k < en; k++) {
        if (k > st) LC_TRY(PUTS(b, ","));
        if (f->type == LC_T_MAP && cf->n_children == 2 && !lc_output_is_null(cf, ca, k)) {
          int64_t ck = ca->offset + k;
          LC_TRY(PUTS(b, "{\"key\":"));
          LC_TRY(lc_json_append_value(b, cf->children[0], ca->children[0], ck));
          LC_TRY(PUTS(b, ",\"value\":"));
          LC_TRY(lc_json_append_value(b, cf->children[1], ca->children[1], ck));
          LC_TRY(PUTS(b, "}"));
        } else {
          LC_TRY(lc_json_append_value(b, cf, ca, k));
        }
      }
      return PUTS(b, "]");
    }
    default: return PUTS(b, "null");
  }
}

/* ---- jsonl format -------------------------------------------------------------- */

typedef struct jsonl_state {
  lc_buf *keys; /* per column: `"name":` (first with '{', others with ',') */
} jsonl_state;

static int jsonl_begin(lc_output *o, const struct ArrowSchema *schema, lancec_error *err) {
  jsonl_state *st = lc_calloc(1, sizeof(*st));
  if (!st) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  o->state = st;
  size_t n = o->root->n_children;
  st->keys = lc_calloc(n ? n : 1, sizeof(lc_buf));
  if (!st->keys) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t c = 0; c < n; c++) {
    const char *nm = o->root->children[c]->name ? o->root->children[c]->name : "";
    if (put(&st->keys[c], c ? "," : "{", 1) || lc_json_append_string(&st->keys[c], (const uint8_t *)nm, strlen(nm)) ||
        put(&st->keys[c], ":", 1))
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  return 0;
}

static int jsonl_batch(lc_output *o, const struct ArrowArray *batch, lancec_error *err) {
  jsonl_state *st = o->state;
  size_t nc = o->root->n_children;
  for (int64_t r = 0; r < batch->length; r++) {
    int64_t pr = batch->offset + r;
    int rc = 0;
    if (nc == 0) rc = PUTS(&o->buf, "{");
    for (size_t c = 0; c < nc && !rc; c++) {
      rc = put(&o->buf, (const char *)st->keys[c].data, st->keys[c].len);
      if (!rc) rc = lc_json_append_value(&o->buf, o->root->children[c], batch->children[c], pr);
    }
    if (!rc) rc = PUTS(&o->buf, "}\n");
    if (rc) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    if (o->buf.len >= LC_OUT_FLUSH_BYTES) LC_TRY(lc_output_flush(o, 0, err));
  }
  return 0;
}

static int jsonl_finish(lc_output *o, lancec_error *err) { return 0; }

static void jsonl_free(lc_output *o) {
  jsonl_state *st = o->state;
  if (!st) return;
  if (st->keys)
    for (size_t c = 0; c < o->root->n_children; c++) lc_buf_free(&st->keys[c]);
  lc_free(st->keys);
  lc_free(st);
  o->state = NULL;
}

const lc_output_ops lc_output_jsonl_ops = {jsonl_begin, jsonl_batch, jsonl_finish, jsonl_free};
