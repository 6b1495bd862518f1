/* Context dispatchers (mini-block, block, per-value), lc_values plumbing,
 * encoding names and error helpers. file-format-2.1.md §4.13 and
 * file-format-2.2.md §6.4 say which encoding is accepted in which context. */
#include <stdio.h>

#include "file/encodings/enc_internal.h"

/* ---- names ---------------------------------------------------------------- */

static const char *scheme_name(const Lance__Encodings21__BufferCompression *bc) {
  if (!bc || !bc->has_scheme) return "UNSPECIFIED";
  switch ((int)bc->scheme) {
    case LC_SCHEME_LZ4: return "LZ4";
    case LC_SCHEME_ZSTD: return "ZSTD";
    case 0: return "UNSPECIFIED";
    default: return "unknown-scheme";
  }
}

typedef struct name_buf {
  char *p;
  size_t cap, len;
} name_buf;

static void nb_put(name_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void nb_put(name_buf *b, const char *fmt, ...) {
  if (b->len + 1 >= b->cap) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (k < 0) return;
  b->len += (size_t)k;
  if (b->len >= b->cap) b->len = b->cap - 1;
}

static void name_rec(name_buf *b, const lc_cenc *e, int depth) {
  if (!e) {
    nb_put(b, "(none)");
    return;
  }
  if (depth > LC_ENC_MAX_DEPTH) {
    nb_put(b, "...");
    return;
  }
  switch (e->compression_case) {
    case LC_CASE(FLAT):
      nb_put(b, "Flat{%llu}", (unsigned long long)(e->flat ? e->flat->bits_per_value : 0));
      break;
    case LC_CASE(VARIABLE):
      nb_put(b, "Variable{");
      name_rec(b, e->variable ? e->variable->offsets : NULL, depth + 1);
      nb_put(b, "}");
      break;
    case LC_CASE(CONSTANT):
      if (e->constant && e->constant->has_value)
        nb_put(b, "Constant{%zu bytes}", e->constant->value.len);
      else
        nb_put(b, "Constant{null}");
      break;
    case LC_CASE(OUT_OF_LINE_BITPACKING):
      nb_put(b, "OutOfLineBitpacking{%llu, ",
             (unsigned long long)(e->out_of_line_bitpacking
                                      ? e->out_of_line_bitpacking->uncompressed_bits_per_value
                                      : 0));
      name_rec(b, e->out_of_line_bitpacking ? e->out_of_line_bitpacking->values : NULL, depth + 1);
      nb_put(b, "}");
      break;
    case LC_CASE(INLINE_BITPACKING):
      nb_put(b, "InlineBitpacking{%llu}",
             (unsigned long long)(e->inline_bitpacking
                                      ? e->inline_bitpacking->uncompressed_bits_per_value
                                      : 0));
      break;
    case LC_CASE(FSST):
      nb_put(b, "Fsst{");
      name_rec(b, e->fsst ? e->fsst->values : NULL, depth + 1);
      nb_put(b, "}");
      break;
    case LC_CASE(DICTIONARY):
      nb_put(b, "Dictionary");
      break;
    case LC_CASE(RLE):
      nb_put(b, "Rle{");
      name_rec(b, e->rle ? e->rle->values : NULL, depth + 1);
      nb_put(b, ", ");
      name_rec(b, e->rle ? e->rle->run_lengths : NULL, depth + 1);
      nb_put(b, "}");
      break;
    case LC_CASE(BYTE_STREAM_SPLIT):
      nb_put(b, "ByteStreamSplit{");
      name_rec(b, e->byte_stream_split ? e->byte_stream_split->values : NULL, depth + 1);
      nb_put(b, "}");
      break;
    case LC_CASE(GENERAL):
      nb_put(b, "General{%s, ", scheme_name(e->general ? e->general->compression : NULL));
      name_rec(b, e->general ? e->general->values : NULL, depth + 1);
      nb_put(b, "}");
      break;
    case LC_CASE(FIXED_SIZE_LIST):
      nb_put(b, "FixedSizeList{%llu%s, ",
             (unsigned long long)(e->fixed_size_list ? e->fixed_size_list->items_per_value : 0),
             e->fixed_size_list && e->fixed_size_list->has_validity ? ", validity" : "");
      name_rec(b, e->fixed_size_list ? e->fixed_size_list->values : NULL, depth + 1);
      nb_put(b, "}");
      break;
    case LC_CASE(PACKED_STRUCT): {
      nb_put(b, "PackedStruct{[");
      const Lance__Encodings21__PackedStruct *ps = e->packed_struct;
      for (size_t i = 0; ps && i < ps->n_bits_per_value && i < 16; i++)
        nb_put(b, "%s%llu", i ? "," : "", (unsigned long long)ps->bits_per_value[i]);
      nb_put(b, "], ");
      name_rec(b, ps ? ps->values : NULL, depth + 1);
      nb_put(b, "}");
      break;
    }
    case LC_CASE(VARIABLE_PACKED_STRUCT):
      nb_put(b, "VariablePackedStruct{%zu fields}",
             e->variable_packed_struct ? e->variable_packed_struct->n_fields : (size_t)0);
      break;
    default:
      nb_put(b, "CompressiveEncoding#%d", (int)e->compression_case);
      break;
  }
}

const char *lc_cenc_name(const lc_cenc *enc, char *buf, size_t cap) {
  if (!buf || cap == 0) return "";
  buf[0] = 0;
  name_buf b = {buf, cap, 0};
  name_rec(&b, enc, 0);
  return buf;
}

/* ---- errors ---------------------------------------------------------------- */

int lc_enc_corrupt(lancec_error *err, const lc_cenc *enc, const char *fmt, ...) {
  if (!err) return LANCEC_ECORRUPT;
  char name[256], msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return lc_err(err, LANCEC_ECORRUPT, "%s: %s", lc_cenc_name(enc, name, sizeof name), msg);
}

int lc_enc_unsupported(lancec_error *err, const lc_cenc *enc, const char *ctx) {
  char name[256];
  return lc_err(err, LANCEC_EUNSUPPORTED, "unknown/unsupported encoding %s in %s context",
                lc_cenc_name(enc, name, sizeof name), ctx);
}

int lc_enc_nomem(lancec_error *err, const lc_cenc *enc) {
  char name[256];
  return lc_err(err, LANCEC_ENOMEM, "%s: out of memory", lc_cenc_name(enc, name, sizeof name));
}

bool lc_enc_bufcomp_set(const Lance__Encodings21__BufferCompression *bc) {
  return bc && bc->has_scheme && bc->scheme != 0;
}

int lc_enc_flat_bits(const lc_cenc *parent, const lc_cenc *child, uint64_t *bits,
                     lancec_error *err) {
  if (!child || child->compression_case != LC_CASE(FLAT) || !child->flat) {
    char name[256];
    return lc_enc_corrupt(err, parent, "expected a Flat child encoding, got %s",
                          lc_cenc_name(child, name, sizeof name));
  }
  if (lc_enc_bufcomp_set(child->flat->data))
    return lc_enc_unsupported(err, child, "nested (compressed Flat)");
  *bits = child->flat->bits_per_value;
  return 0;
}

/* ---- lc_values --------------------------------------------------------------- */

void lc_values_free(lc_values *v) {
  if (!v) return;
  if (!v->borrowed_data) lc_free(v->data);
  lc_free(v->offsets);
  for (int k = 0; k < LC_MAX_FSL_DEPTH; k++) lc_free(v->fsl_validity[k]);
  lc_free(v->fsst_table);
  memset(v, 0, sizeof *v);
}

void lc_values_prepare(lc_values *v) {
  uint8_t *d = v->data;
  size_t cap = v->data_cap;
  bool defer = v->defer_fsst_ok;
  memset(v, 0, sizeof *v);
  v->defer_fsst_ok = defer;
  if (d && cap) {
    v->data = d;
    v->data_cap = cap;
    v->borrowed_data = true;
  }
}

int lc_values_alloc_fixed(lc_values *out, uint64_t n, uint64_t bits, const lc_cenc *enc,
                          lancec_error *err) {
  uint64_t tbits;
  if (lc_mul_overflow_u64(n, bits, &tbits) || tbits / 8 + 1 > LC_ENC_MAX_OUTPUT)
    return lc_enc_corrupt(err, enc, "%llu values of %llu bits exceed the output size limit",
                          (unsigned long long)n, (unsigned long long)bits);
  size_t bytes = (size_t)((tbits + 7) / 8);
  out->kind = LC_VALUES_FIXED;
  out->n = n;
  out->bits_per_value = bits;
  out->data_len = bytes;
  if (out->borrowed_data && out->data && out->data_cap >= bytes) return 0;
  if (!out->borrowed_data) lc_free(out->data);
  out->borrowed_data = false;
  out->data = lc_malloc(bytes ? bytes : 1);
  out->data_cap = bytes;
  if (!out->data) {
    out->data_cap = out->data_len = 0;
    return lc_enc_nomem(err, enc);
  }
  return 0;
}

int lc_values_alloc_variable(lc_values *out, uint64_t n, int offset_bits, uint64_t data_len,
                             size_t slack, const lc_cenc *enc, lancec_error *err) {
  uint64_t obytes;
  if (n >= LC_ENC_MAX_OUTPUT || data_len > LC_ENC_MAX_OUTPUT ||
      lc_mul_overflow_u64(n + 1, (uint64_t)offset_bits / 8, &obytes) || obytes > LC_ENC_MAX_OUTPUT)
    return lc_enc_corrupt(err, enc, "%llu values / %llu bytes exceed the output size limit",
                          (unsigned long long)n, (unsigned long long)data_len);
  if (!out->borrowed_data) lc_free(out->data);
  lc_free(out->offsets);
  out->kind = LC_VALUES_VARIABLE;
  out->n = n;
  out->bits_per_value = 0;
  out->offset_bits = offset_bits;
  out->borrowed_data = false;
  out->offsets = lc_malloc((size_t)obytes);
  out->data = lc_malloc((size_t)data_len + slack + 1);
  out->data_len = (size_t)data_len;
  out->data_cap = (size_t)data_len + slack;
  if (!out->offsets || !out->data) {
    lc_free(out->offsets);
    lc_free(out->data);
    out->offsets = out->data = NULL;
    out->data_len = out->data_cap = 0;
    return lc_enc_nomem(err, enc);
  }
  return 0;
}

void lc_values_move(lc_values *dst, lc_values *src) {
  if (!dst->borrowed_data) lc_free(dst->data);
  lc_free(dst->offsets);
  dst->kind = src->kind;
  dst->n = src->n;
  dst->bits_per_value = src->bits_per_value;
  dst->offset_bits = src->offset_bits;
  dst->offsets = src->offsets;
  dst->data = src->data;
  dst->data_len = src->data_len;
  dst->data_cap = src->data_cap;
  dst->borrowed_data = src->borrowed_data;
  lc_free(dst->fsst_table);
  dst->fsst_table = src->fsst_table;
  dst->fsst_enc = src->fsst_enc;
  src->fsst_table = NULL;
  src->offsets = NULL;
  src->data = NULL;
  lc_values_free(src);
}

int lc_values_check_variable(const lc_values *v, const lc_cenc *enc, lancec_error *err) {
  if (v->kind != LC_VALUES_VARIABLE || (v->offset_bits != 32 && v->offset_bits != 64) ||
      (!v->offsets))
    return lc_enc_corrupt(err, enc, "expected variable-width input values");
  uint64_t prev = lc_values_off(v, 0);
  bool bad = false;
  for (uint64_t i = 1; i <= v->n; i++) {
    uint64_t o = lc_values_off(v, i);
    bad |= o < prev;
    prev = o;
  }
  if (bad || prev > v->data_len)
    return lc_enc_corrupt(err, enc, "input offsets are decreasing or past the %zu data bytes",
                          v->data_len);
  return 0;
}

/* ---- dispatchers ---------------------------------------------------------------- */

int lc_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs, const uint64_t *sizes,
                 size_t n_bufs, uint64_t n, lc_values *out, int depth, lancec_error *err) {
  if (!enc) return lc_err(err, LANCEC_ECORRUPT, "mini-block: missing value compression");
  if (depth > LC_ENC_MAX_DEPTH) return lc_enc_corrupt(err, enc, "encodings nested too deeply");
  bool one = n_bufs >= 1;
  switch (enc->compression_case) {
    case LC_CASE(FLAT):
      if (!one) break;
      return lc_flat_decode(enc, bufs[0], sizes[0], n, out, err);
    case LC_CASE(VARIABLE):
      if (!one) break;
      return lc_variable_mb_decode(enc, bufs[0], sizes[0], n, out, err);
    case LC_CASE(INLINE_BITPACKING):
      if (!one) break;
      return lc_inline_bitpack_decode(enc, bufs[0], sizes[0], n, out, err);
    case LC_CASE(FSST):
      return lc_fsst_mb_decode(enc, bufs, sizes, n_bufs, n, out, depth, err);
    case LC_CASE(RLE):
      return lc_rle_mb_decode(enc, bufs, sizes, n_bufs, n, out, err);
    case LC_CASE(BYTE_STREAM_SPLIT):
      return lc_bss_mb_decode(enc, bufs, sizes, n_bufs, n, out, err);
    case LC_CASE(GENERAL):
      return lc_general_mb_decode(enc, bufs, sizes, n_bufs, n, out, depth, err);
    case LC_CASE(FIXED_SIZE_LIST):
      return lc_fsl_mb_decode(enc, bufs, sizes, n_bufs, n, out, depth, err);
    case LC_CASE(PACKED_STRUCT):
      return lc_packed_mb_decode(enc, bufs, sizes, n_bufs, n, out, depth, err);
    default:
      return lc_enc_unsupported(err, enc, "mini-block");
  }
  return lc_enc_corrupt(err, enc, "chunk has no value buffer");
}

int lc_blk_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                  lc_values *out, int depth, lancec_error *err) {
  if (!enc) return lc_err(err, LANCEC_ECORRUPT, "block: missing compression");
  if (depth > LC_ENC_MAX_DEPTH) return lc_enc_corrupt(err, enc, "encodings nested too deeply");
  switch (enc->compression_case) {
    case LC_CASE(FLAT):
      return lc_flat_decode(enc, buf, size, n, out, err);
    case LC_CASE(VARIABLE):
      return lc_variable_block_decode(enc, buf, size, n, out, err);
    case LC_CASE(INLINE_BITPACKING):
      return lc_inline_bitpack_decode(enc, buf, size, n, out, err);
    case LC_CASE(OUT_OF_LINE_BITPACKING):
      return lc_ool_bitpack_decode(enc, buf, size, n, out, err);
    case LC_CASE(RLE):
      return lc_rle_block_decode(enc, buf, size, n, out, err);
    case LC_CASE(GENERAL):
      return lc_general_block_decode(enc, buf, size, n, out, depth, err);
    case LC_CASE(FIXED_SIZE_LIST):
      return lc_fsl_block_decode(enc, buf, size, n, out, depth, err);
    case LC_CASE(CONSTANT):
      return lc_constant_decode(enc, n, out, err);
    default:
      return lc_enc_unsupported(err, enc, "block");
  }
}

int lc_pvf_decode(const lc_cenc *enc, const uint8_t *in, uint64_t n, uint64_t stored_bits,
                  lc_values *out, int depth, lancec_error *err) {
  if (!enc) return lc_err(err, LANCEC_ECORRUPT, "per-value: missing value compression");
  if (depth > LC_ENC_MAX_DEPTH) return lc_enc_corrupt(err, enc, "encodings nested too deeply");
  switch (enc->compression_case) {
    case LC_CASE(FLAT):
      return lc_flat_pv_decode(enc, in, n, stored_bits, out, err);
    case LC_CASE(FIXED_SIZE_LIST):
      return lc_fsl_pv_decode(enc, in, n, stored_bits, out, err);
    case LC_CASE(CONSTANT):
      return lc_constant_decode(enc, n, out, err);
    default:
      return lc_enc_unsupported(err, enc, "per-value fixed-width");
  }
}

int lc_pvv_decode(const lc_cenc *enc, const lc_values *in, lc_values *out, int depth,
                  lancec_error *err) {
  if (!enc) return lc_err(err, LANCEC_ECORRUPT, "per-value: missing value compression");
  if (depth > LC_ENC_MAX_DEPTH) return lc_enc_corrupt(err, enc, "encodings nested too deeply");
  switch (enc->compression_case) {
    case LC_CASE(VARIABLE):
      return lc_variable_copy(enc, in, out, err);
    case LC_CASE(FSST):
      return lc_fsst_pv_decode(enc, in, out, depth, err);
    case LC_CASE(GENERAL):
      return lc_general_pv_decode(enc, in, out, depth, err);
    default:
      return lc_enc_unsupported(err, enc, "per-value variable-width");
  }
}

/* ---- public entry points ------------------------------------------------------- */

int lc_decode_miniblock(const lc_cenc *enc, const uint8_t *const *bufs, const uint64_t *sizes,
                        size_t n_bufs, uint64_t n_items, lc_values *out, lancec_error *err) {
  lc_values_prepare(out);
  int rc = lc_mb_decode(enc, bufs, sizes, n_bufs, n_items, out, 0, err);
  if (rc) lc_values_free(out);
  return rc;
}

int lc_decode_block(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n_values,
                    lc_values *out, lancec_error *err) {
  lc_values_prepare(out);
  int rc = lc_blk_decode(enc, buf, size, n_values, out, 0, err);
  if (rc) lc_values_free(out);
  return rc;
}

int lc_decode_pervalue_fixed(const lc_cenc *enc, const uint8_t *in, uint64_t n,
                             uint64_t stored_bits, lc_values *out, lancec_error *err) {
  lc_values_prepare(out);
  int rc = lc_pvf_decode(enc, in, n, stored_bits, out, 0, err);
  if (rc) lc_values_free(out);
  return rc;
}

int lc_decode_pervalue_variable(const lc_cenc *enc, const lc_values *in, lc_values *out,
                                lancec_error *err) {
  lc_values_prepare(out);
  int rc = lc_values_check_variable(in, enc, err);
  if (!rc) rc = lc_pvv_decode(enc, in, out, 0, err);
  if (rc) lc_values_free(out);
  return rc;
}

int lc_decode_levels(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                     uint16_t *out, lancec_error *err) {
  if (n > LC_ENC_MAX_OUTPUT / 2)
    return lc_err(err, LANCEC_ECORRUPT, "levels: %llu levels is too many",
                  (unsigned long long)n);
  if (!enc) {
    if (size != 2 * n)
      return lc_err(err, LANCEC_ECORRUPT,
                    "raw levels: buffer of %llu bytes does not hold %llu u16 levels",
                    (unsigned long long)size, (unsigned long long)n);
    if (n) memcpy(out, buf, (size_t)(2 * n));
    return 0;
  }
  lc_values v = {0};
  v.data = (uint8_t *)out;
  v.data_cap = (size_t)(2 * n);
  int rc = lc_decode_block(enc, buf, size, n, &v, err);
  if (rc) return rc;
  if (v.kind != LC_VALUES_FIXED || v.n != n || v.n_fsl) {
    lc_values_free(&v);
    return lc_enc_corrupt(err, enc, "levels did not decode to %llu fixed-width values",
                          (unsigned long long)n);
  }
  bool in_place = v.borrowed_data && v.data == (uint8_t *)out;
  switch (v.bits_per_value) {
    case 0:
      if (n) memset(out, 0, (size_t)(2 * n));
      break;
    case 8:
      /* widen (backwards so an in-place decode is not clobbered) */
      for (uint64_t i = n; i-- > 0;) {
        uint8_t b = v.data[i];
        lc_st16((uint8_t *)out + 2 * i, b);
      }
      break;
    case 16:
      if (!in_place && n) memcpy(out, v.data, (size_t)(2 * n));
      break;
    case 32:
    case 64: {
      unsigned bw = (unsigned)v.bits_per_value / 8;
      for (uint64_t i = 0; i < n; i++) {
        uint64_t x = bw == 4 ? lc_le32(v.data + 4 * i) : lc_le64(v.data + 8 * i);
        if (x > 0xFFFF) {
          lc_values_free(&v);
          return lc_enc_corrupt(err, enc, "level %llu does not fit 16 bits",
                                (unsigned long long)x);
        }
        out[i] = (uint16_t)x;
      }
      break;
    }
    default:
      lc_values_free(&v);
      return lc_enc_corrupt(err, enc, "levels decoded to %llu-bit values",
                            (unsigned long long)v.bits_per_value);
  }
  lc_values_free(&v);
  return 0;
}
