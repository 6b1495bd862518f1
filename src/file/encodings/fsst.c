/* FSST (file-format-2.1.md §4.4): a 2312-byte symbol table in the encoding
 * (u64 header | n_symbols u64 symbols | n_symbols u8 lengths | zeros), and
 * strings made of codes: c != 255 -> symbol c, 255 -> next byte literally.
 * With the switch bit (header bit 24) clear the strings are stored as is. */
#include "file/encodings/enc_internal.h"

#define FSST_TABLE_BYTES 2312
#define FSST_MAGIC 0x46535354u
#define FSST_ESC 255

int lc_fsst_table_parse(lc_fsst_table *t, const uint8_t *bytes, size_t len, lancec_error *err) {
  memset(t, 0, sizeof *t);
  if (!bytes || len != FSST_TABLE_BYTES)
    return lc_err(err, LANCEC_ECORRUPT, "Fsst: symbol table of %zu bytes (expected %d)", len,
                  FSST_TABLE_BYTES);
  uint64_t hdr = lc_le64(bytes);
  if ((hdr >> 32) != FSST_MAGIC)
    return lc_err(err, LANCEC_ECORRUPT, "Fsst: symbol table header %016llx lacks the FSST magic",
                  (unsigned long long)hdr);
  t->enabled = (hdr >> 24) & 1;
  unsigned ns = (unsigned)(hdr & 0xFF);
  if (!t->enabled) return 0;
  for (unsigned i = 0; i < ns; i++) {
    memcpy(&t->symbols[i], bytes + 8 + 8 * i, 8);
    uint8_t l = bytes[8 + 8 * ns + i];
    if (l < 1 || l > 8)
      return lc_err(err, LANCEC_ECORRUPT, "Fsst: symbol %u has length %u (must be 1..8)", i, l);
    t->lens[i] = l;
  }
  return 0;
}

int lc_fsst_decode(const lc_fsst_table *t, const uint8_t *src, size_t src_len, uint8_t *dst,
                   size_t dst_cap, size_t *dst_len, lancec_error *err) {
  *dst_len = 0;
  if (!t->enabled) {
    if (src_len > dst_cap)
      return lc_err(err, LANCEC_ECORRUPT, "Fsst: output of %zu bytes overflows %zu", src_len,
                    dst_cap);
    if (src_len) memcpy(dst, src, src_len);
    *dst_len = src_len;
    return 0;
  }
  size_t i = 0, o = 0;
  unsigned bad = 0;
  if (dst_cap >= 8) {
    const size_t lim = dst_cap - 8;
    /* fast path: an 8-byte store per code, advance by the symbol length */
    while (i < src_len && o <= lim) {
      unsigned c = src[i++];
      if (__builtin_expect(c != FSST_ESC, 1)) {
        memcpy(dst + o, &t->symbols[c], 8);
        unsigned l = t->lens[c];
        bad |= (l == 0);
        o += l;
      } else {
        if (i >= src_len) goto trailing_escape;
        dst[o++] = src[i++];
      }
    }
  }
  while (i < src_len) {
    unsigned c = src[i++];
    if (c != FSST_ESC) {
      unsigned l = t->lens[c];
      bad |= (l == 0);
      if (dst_cap - o < l) goto overflow;
      memcpy(dst + o, &t->symbols[c], l);
      o += l;
    } else {
      if (i >= src_len) goto trailing_escape;
      if (o >= dst_cap) goto overflow;
      dst[o++] = src[i++];
    }
  }
  if (bad) return lc_err(err, LANCEC_ECORRUPT, "Fsst: code refers to an undefined symbol");
  *dst_len = o;
  return 0;
trailing_escape:
  return lc_err(err, LANCEC_ECORRUPT, "Fsst: value ends with an escape byte");
overflow:
  return lc_err(err, LANCEC_ECORRUPT, "Fsst: output overflows %zu bytes", dst_cap);
}

/* Exact decoded size of one value; false on an undefined code or a trailing
 * escape. */
static bool fsst_size(const lc_fsst_table *t, const uint8_t *src, size_t len, uint64_t *size) {
  uint64_t s = 0;
  unsigned bad = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned c = src[i];
    if (c != FSST_ESC) {
      s += t->lens[c];
      bad |= (t->lens[c] == 0);
    } else {
      if (++i >= len) return false;
      s += 1;
    }
  }
  *size = s;
  return !bad;
}

/* Decode every value of `in` (VARIABLE) into out. */
static int fsst_apply(const lc_cenc *enc, const lc_fsst_table *t, const lc_values *in,
                      lc_values *out, lancec_error *err) {
  uint64_t total = 0;
  for (uint64_t i = 0; i < in->n; i++) {
    uint64_t a = lc_values_off(in, i), b = lc_values_off(in, i + 1), s;
    if (!fsst_size(t, in->data + a, (size_t)(b - a), &s))
      return lc_enc_corrupt(err, enc, "value %llu has an undefined code or a trailing escape",
                            (unsigned long long)i);
    total += s;
  }
  int ob = in->offset_bits;
  if (ob == 32 && total > UINT32_MAX) ob = 64;
  LC_TRY(lc_values_alloc_variable(out, in->n, ob, total, 8, enc, err));
  size_t o = 0;
  lc_values_set_off(out, 0, 0);
  for (uint64_t i = 0; i < in->n; i++) {
    uint64_t a = lc_values_off(in, i), b = lc_values_off(in, i + 1);
    size_t k;
    int rc = lc_fsst_decode(t, in->data + a, (size_t)(b - a), out->data + o, out->data_cap - o, &k,
                            err);
    if (rc) return rc;
    o += k;
    lc_values_set_off(out, i + 1, o);
  }
  return 0;
}

static int fsst_table(const lc_cenc *enc, lc_fsst_table *t, lancec_error *err) {
  const Lance__Encodings21__Fsst *fs = enc->fsst;
  if (!fs) return lc_enc_corrupt(err, enc, "missing Fsst message");
  if (!fs->values) return lc_enc_corrupt(err, enc, "missing values encoding");
  return lc_fsst_table_parse(t, fs->symbol_table.data, fs->symbol_table.len, err);
}

int lc_fsst_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs, const uint64_t *sizes,
                      size_t n_bufs, uint64_t n, lc_values *out, int depth, lancec_error *err) {
  lc_fsst_table t;
  LC_TRY(fsst_table(enc, &t, err));
  lc_values tmp = {0};
  int rc = lc_mb_decode(enc->fsst->values, bufs, sizes, n_bufs, n, &tmp, depth + 1, err);
  if (!rc && tmp.kind != LC_VALUES_VARIABLE)
    rc = lc_enc_corrupt(err, enc, "values did not decode to variable-width data");
  if (!rc) {
    if (!t.enabled) {
      lc_values_move(out, &tmp);
    } else if (out->defer_fsst_ok) {
      /* keep the codes; lc_fsst_slice decodes what is asked for */
      lc_fsst_table *copy = lc_malloc(sizeof(*copy));
      if (!copy) {
        rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      } else {
        *copy = t;
        lc_values_move(out, &tmp);
        lc_free(out->fsst_table);
        out->fsst_table = copy;
        out->fsst_enc = enc;
      }
    } else {
      rc = fsst_apply(enc, &t, &tmp, out, err);
    }
  }
  lc_values_free(&tmp);
  return rc;
}

bool lc_fsst_slice_size(const lc_values *v, uint64_t lo, uint64_t n, uint64_t *size) {
  const lc_fsst_table *t = v->fsst_table;
  uint64_t total = 0;
  for (uint64_t i = lo; i < lo + n; i++) {
    uint64_t a = lc_values_off(v, i), b = lc_values_off(v, i + 1), s;
    if (b < a || b > v->data_len || !fsst_size(t, v->data + a, (size_t)(b - a), &s)) return false;
    total += s;
  }
  *size = total;
  return true;
}

int lc_fsst_value(const lc_values *v, uint64_t i, uint8_t *dst, size_t cap, size_t *len, lancec_error *err) {
  uint64_t a = lc_values_off(v, i), b = lc_values_off(v, i + 1);
  return lc_fsst_decode(v->fsst_table, v->data + a, (size_t)(b - a), dst, cap, len, err);
}

int lc_fsst_slice(const lc_values *v, uint64_t lo, uint64_t n, lc_values *out, lancec_error *err) {
  if (!v->fsst_table || v->kind != LC_VALUES_VARIABLE || lo + n > v->n)
    return lc_err(err, LANCEC_EINTERNAL, "Fsst: bad deferred slice");
  lc_values view = *v;
  view.n = n;
  view.offsets = v->offsets + lo * (uint64_t)(v->offset_bits / 8);
  view.fsst_table = NULL;
  memset(out, 0, sizeof(*out));
  int rc = fsst_apply(v->fsst_enc, (const lc_fsst_table *)v->fsst_table, &view, out, err);
  if (rc) lc_values_free(out);
  return rc;
}

int lc_fsst_pv_decode(const lc_cenc *enc, const lc_values *in, lc_values *out, int depth,
                      lancec_error *err) {
  lc_fsst_table t;
  LC_TRY(fsst_table(enc, &t, err));
  const lc_cenc *inner = enc->fsst->values;
  lc_values tmp = {0};
  const lc_values *src = in;
  int rc = 0;
  if (inner->compression_case != LC_CASE(VARIABLE)) {
    rc = lc_pvv_decode(inner, in, &tmp, depth + 1, err);
    src = &tmp;
  }
  if (!rc) {
    if (!t.enabled && src == &tmp)
      lc_values_move(out, &tmp);
    else if (!t.enabled)
      rc = lc_variable_copy(enc, src, out, err);
    else
      rc = fsst_apply(enc, &t, src, out, err);
  }
  lc_values_free(&tmp);
  return rc;
}
