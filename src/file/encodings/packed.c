/* Struct packing.
 *  - PackedStruct (file-format-2.1.md §4.10, mini-block): rows of the
 *    fixed-width children side by side, one Flat{sum} value per row; the
 *    output stays FIXED (bits = sum) and the page layer splits the children.
 *  - VariablePackedStruct (file-format-2.2.md §7.2, per-value): each row is
 *    the children in order, fixed ones as bits_per_value/8 bytes, variable
 *    ones as an L/8-byte length + bytes; split into one lc_values per child,
 *    then each child is decoded with its own per-value encoding. */
#include "file/encodings/enc_internal.h"

int lc_packed_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs, const uint64_t *sizes,
                        size_t n_bufs, uint64_t n, lc_values *out, int depth, lancec_error *err) {
  const Lance__Encodings21__PackedStruct *ps = enc->packed_struct;
  if (!ps) return lc_enc_corrupt(err, enc, "missing PackedStruct message");
  if (!ps->values) return lc_enc_corrupt(err, enc, "missing values encoding");
  uint64_t sum = 0;
  for (size_t i = 0; i < ps->n_bits_per_value; i++) {
    if (lc_add_overflow_u64(sum, ps->bits_per_value[i], &sum))
      return lc_enc_corrupt(err, enc, "child widths overflow");
  }
  LC_TRY(lc_mb_decode(ps->values, bufs, sizes, n_bufs, n, out, depth + 1, err));
  if (out->kind != LC_VALUES_FIXED || out->n_fsl)
    return lc_enc_corrupt(err, enc, "values did not decode to fixed-width rows");
  if (ps->n_bits_per_value && out->bits_per_value != sum)
    return lc_enc_corrupt(err, enc, "rows are %llu bits but the children sum to %llu",
                          (unsigned long long)out->bits_per_value, (unsigned long long)sum);
  return 0;
}

typedef struct vps_child {
  bool fixed;
  unsigned width; /* fixed: bytes per value; variable: bytes of the length prefix */
  const lc_cenc *enc;
  bool direct;    /* gather straight into the output (Flat of the same width / Variable) */
  uint64_t total; /* variable: total bytes */
  lc_values tmp;
} vps_child;

static bool is_identity(const lc_cenc *e, bool fixed, unsigned width) {
  if (!e) return true;
  if (fixed)
    return e->compression_case == LC_CASE(FLAT) && e->flat && !lc_enc_bufcomp_set(e->flat->data) &&
           e->flat->bits_per_value == (uint64_t)width * 8;
  return e->compression_case == LC_CASE(VARIABLE);
}

int lc_decode_variable_packed_struct(const lc_cenc *enc, const lc_values *in, size_t n_children,
                                     lc_values *out, lancec_error *err) {
  for (size_t c = 0; c < n_children; c++) lc_values_prepare(&out[c]);
  if (!enc || enc->compression_case != LC_CASE(VARIABLE_PACKED_STRUCT) ||
      !enc->variable_packed_struct)
    return lc_enc_unsupported(err, enc, "variable packed struct");
  const Lance__Encodings21__VariablePackedStruct *vps = enc->variable_packed_struct;
  if (vps->n_fields != n_children)
    return lc_enc_corrupt(err, enc, "encoding has %zu fields, the struct has %zu children",
                          vps->n_fields, n_children);
  LC_TRY(lc_values_check_variable(in, enc, err));
  if (n_children == 0) return 0;
  vps_child *ch = lc_calloc(n_children, sizeof *ch);
  if (!ch) return lc_enc_nomem(err, enc);
  int rc = 0;
  for (size_t c = 0; c < n_children && !rc; c++) {
    const Lance__Encodings21__FieldEncoding *f = vps->fields[c];
    if (!f) {
      rc = lc_enc_corrupt(err, enc, "field %zu has no encoding", c);
      break;
    }
    ch[c].enc = f->value;
    if (f->layout_case == LANCE__ENCODINGS21__FIELD_ENCODING__LAYOUT_BITS_PER_VALUE) {
      if (f->bits_per_value == 0 || f->bits_per_value % 8 || f->bits_per_value > (1u << 20)) {
        rc = lc_enc_corrupt(err, enc, "field %zu has width %llu bits", c,
                            (unsigned long long)f->bits_per_value);
        break;
      }
      ch[c].fixed = true;
      ch[c].width = (unsigned)(f->bits_per_value / 8);
    } else if (f->layout_case == LANCE__ENCODINGS21__FIELD_ENCODING__LAYOUT_BITS_PER_LENGTH) {
      if (f->bits_per_length != 32 && f->bits_per_length != 64) {
        rc = lc_enc_corrupt(err, enc, "field %zu has a %llu-bit length prefix", c,
                            (unsigned long long)f->bits_per_length);
        break;
      }
      ch[c].width = (unsigned)(f->bits_per_length / 8);
    } else {
      rc = lc_enc_corrupt(err, enc, "field %zu has no layout", c);
      break;
    }
    ch[c].direct = is_identity(f->value, ch[c].fixed, ch[c].width);
  }
  /* pass 1: validate every row, total the variable children */
  for (uint64_t r = 0; r < in->n && !rc; r++) {
    uint64_t p = lc_values_off(in, r), e = lc_values_off(in, r + 1);
    for (size_t c = 0; c < n_children; c++) {
      if (e - p < ch[c].width) {
        rc = lc_enc_corrupt(err, enc, "row %llu ends inside field %zu", (unsigned long long)r, c);
        break;
      }
      if (ch[c].fixed) {
        p += ch[c].width;
        continue;
      }
      uint64_t len = ch[c].width == 4 ? lc_le32(in->data + p) : lc_le64(in->data + p);
      p += ch[c].width;
      if (len > e - p) {
        rc = lc_enc_corrupt(err, enc, "row %llu: field %zu length %llu overruns the row",
                            (unsigned long long)r, c, (unsigned long long)len);
        break;
      }
      p += len;
      ch[c].total += len;
    }
    if (!rc && p != e)
      rc = lc_enc_corrupt(err, enc, "row %llu has %llu trailing bytes", (unsigned long long)r,
                          (unsigned long long)(e - p));
  }
  /* allocate the gathered children */
  for (size_t c = 0; c < n_children && !rc; c++) {
    lc_values *dst = ch[c].direct ? &out[c] : &ch[c].tmp;
    if (ch[c].fixed)
      rc = lc_values_alloc_fixed(dst, in->n, (uint64_t)ch[c].width * 8, enc, err);
    else
      rc = lc_values_alloc_variable(dst, in->n, ch[c].total > UINT32_MAX ? 64 : 32, ch[c].total, 0,
                                    enc, err);
    if (!rc && !ch[c].fixed) lc_values_set_off(dst, 0, 0);
    ch[c].total = 0; /* reused as the write position */
  }
  /* pass 2: copy */
  for (uint64_t r = 0; r < in->n && !rc; r++) {
    uint64_t p = lc_values_off(in, r);
    for (size_t c = 0; c < n_children; c++) {
      lc_values *dst = ch[c].direct ? &out[c] : &ch[c].tmp;
      unsigned w = ch[c].width;
      if (ch[c].fixed) {
        memcpy(dst->data + r * w, in->data + p, w);
        p += w;
        continue;
      }
      uint64_t len = w == 4 ? lc_le32(in->data + p) : lc_le64(in->data + p);
      p += w;
      if (len) memcpy(dst->data + ch[c].total, in->data + p, (size_t)len);
      p += len;
      ch[c].total += len;
      lc_values_set_off(dst, r + 1, ch[c].total);
    }
  }
  /* decode the children that are not stored as is */
  for (size_t c = 0; c < n_children && !rc; c++) {
    if (ch[c].direct) continue;
    if (ch[c].fixed)
      rc = lc_pvf_decode(ch[c].enc, ch[c].tmp.data, in->n, (uint64_t)ch[c].width * 8, &out[c], 1,
                         err);
    else
      rc = lc_pvv_decode(ch[c].enc, &ch[c].tmp, &out[c], 1, err);
  }
  for (size_t c = 0; c < n_children; c++) lc_values_free(&ch[c].tmp);
  lc_free(ch);
  if (rc)
    for (size_t c = 0; c < n_children; c++) lc_values_free(&out[c]);
  return rc;
}
