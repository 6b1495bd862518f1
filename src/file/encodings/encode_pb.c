/* Hand-written protobuf output and CompressiveEncoding builders. */
#include "file/encodings/encoders.h"

void lc_pbw_free(lc_pbw *p) {
  lc_buf_free(&p->b);
  p->oom = false;
}

void lc_pb_raw(lc_pbw *p, const void *data, size_t n) {
  if (n && lc_buf_append(&p->b, data, n)) p->oom = true;
}

void lc_pb_varint(lc_pbw *p, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    tmp[n++] = b | (v ? 0x80 : 0);
  } while (v);
  lc_pb_raw(p, tmp, n);
}

void lc_pb_tag(lc_pbw *p, unsigned field, unsigned wt) { lc_pb_varint(p, ((uint64_t)field << 3) | wt); }

void lc_pb_uint(lc_pbw *p, unsigned field, uint64_t v, bool always) {
  if (!v && !always) return;
  lc_pb_tag(p, field, 0);
  lc_pb_varint(p, v);
}

void lc_pb_bytes(lc_pbw *p, unsigned field, const void *data, size_t n) {
  lc_pb_tag(p, field, 2);
  lc_pb_varint(p, n);
  lc_pb_raw(p, data, n);
}

void lc_pb_msg(lc_pbw *p, unsigned field, const lc_pbw *sub) {
  if (sub->oom) p->oom = true;
  lc_pb_bytes(p, field, sub->b.data, sub->b.len);
}

void lc_pb_packed(lc_pbw *p, unsigned field, const uint64_t *v, size_t n) {
  if (!n) return;
  lc_pbw t = {0};
  for (size_t i = 0; i < n; i++) lc_pb_varint(&t, v[i]);
  lc_pb_msg(p, field, &t);
  lc_pbw_free(&t);
}

/* CompressiveEncoding{ field: inner } */
static void ce_wrap(lc_pbw *out, unsigned field, const lc_pbw *inner) { lc_pb_msg(out, field, inner); }

void lc_ce_flat(lc_pbw *out, uint64_t bits) {
  lc_pbw f = {0};
  lc_pb_uint(&f, 1, bits, false);
  ce_wrap(out, 1, &f);
  lc_pbw_free(&f);
}

void lc_ce_variable(lc_pbw *out, unsigned offset_bits) {
  lc_pbw fl = {0}, v = {0};
  lc_ce_flat(&fl, offset_bits);
  lc_pb_msg(&v, 1, &fl);
  ce_wrap(out, 2, &v);
  lc_pbw_free(&fl);
  lc_pbw_free(&v);
}

void lc_ce_inline_bp(lc_pbw *out, unsigned t) {
  lc_pbw b = {0};
  lc_pb_uint(&b, 1, t, false);
  ce_wrap(out, 5, &b);
  lc_pbw_free(&b);
}

void lc_ce_ool_bp(lc_pbw *out, unsigned t, unsigned w) {
  lc_pbw b = {0}, fl = {0};
  lc_pb_uint(&b, 1, t, false);
  lc_ce_flat(&fl, w);
  lc_pb_msg(&b, 3, &fl);
  ce_wrap(out, 4, &b);
  lc_pbw_free(&b);
  lc_pbw_free(&fl);
}

void lc_ce_fsl(lc_pbw *out, uint64_t dim, bool has_validity, const lc_pbw *inner) {
  lc_pbw f = {0};
  lc_pb_uint(&f, 1, dim, false);
  lc_pb_msg(&f, 2, inner);
  lc_pb_uint(&f, 3, has_validity ? 1 : 0, false);
  ce_wrap(out, 11, &f);
  lc_pbw_free(&f);
}

void lc_ce_general(lc_pbw *out, int scheme, bool has_level, int level, const lc_pbw *inner) {
  lc_pbw bc = {0}, g = {0};
  lc_pb_uint(&bc, 1, (uint64_t)scheme, false);
  if (has_level) lc_pb_uint(&bc, 2, (uint64_t)(int64_t)level, true);
  lc_pb_msg(&g, 1, &bc);
  lc_pb_msg(&g, 3, inner);
  ce_wrap(out, 10, &g);
  lc_pbw_free(&bc);
  lc_pbw_free(&g);
}

void lc_ce_fsst(lc_pbw *out, const uint8_t *table, size_t table_len, const lc_pbw *values) {
  lc_pbw f = {0};
  lc_pb_bytes(&f, 1, table, table_len);
  lc_pb_msg(&f, 2, values);
  ce_wrap(out, 6, &f);
  lc_pbw_free(&f);
}
