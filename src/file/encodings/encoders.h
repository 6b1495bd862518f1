/* Encoders for file formats 2.1 / 2.2 (the inverse of encodings.h) and a
 * tiny protobuf writer for the page / column metadata the writer emits.
 * Protobuf messages are written by hand (field order and default omission as
 * Lance/prost writes them: ascending field numbers, zero scalars omitted,
 * packed repeated scalars). */
#ifndef LC_ENCODERS_H
#define LC_ENCODERS_H

#include "common/common.h"

/* ---- protobuf writer (sticky out-of-memory flag) ---- */
typedef struct lc_pbw {
  lc_buf b;
  bool oom;
} lc_pbw;

LC_INTERNAL void lc_pbw_free(lc_pbw *p);
LC_INTERNAL void lc_pb_raw(lc_pbw *p, const void *data, size_t n);
LC_INTERNAL void lc_pb_varint(lc_pbw *p, uint64_t v);
LC_INTERNAL void lc_pb_tag(lc_pbw *p, unsigned field, unsigned wire_type);
/* varint field; omitted when v == 0 unless `always` */
LC_INTERNAL void lc_pb_uint(lc_pbw *p, unsigned field, uint64_t v, bool always);
LC_INTERNAL void lc_pb_bytes(lc_pbw *p, unsigned field, const void *data, size_t n);
LC_INTERNAL void lc_pb_msg(lc_pbw *p, unsigned field, const lc_pbw *sub); /* length-delimited */
/* packed repeated varints (omitted when n == 0) */
LC_INTERNAL void lc_pb_packed(lc_pbw *p, unsigned field, const uint64_t *v, size_t n);

/* ---- lance.encodings21.CompressiveEncoding builders (append one message) ---- */
LC_INTERNAL void lc_ce_flat(lc_pbw *out, uint64_t bits);
LC_INTERNAL void lc_ce_variable(lc_pbw *out, unsigned offset_bits);
LC_INTERNAL void lc_ce_inline_bp(lc_pbw *out, unsigned t);
LC_INTERNAL void lc_ce_ool_bp(lc_pbw *out, unsigned t, unsigned w);
LC_INTERNAL void lc_ce_fsl(lc_pbw *out, uint64_t dim, bool has_validity, const lc_pbw *inner);
/* scheme 1 = LZ4, 2 = ZSTD; level written only when has_level */
LC_INTERNAL void lc_ce_general(lc_pbw *out, int scheme, bool has_level, int level,
                               const lc_pbw *inner);

LC_INTERNAL void lc_ce_fsst(lc_pbw *out, const uint8_t *table, size_t table_len, const lc_pbw *values);

/* ---- bit packing (FastLanes, file-format-2.1.md §4.2) ---- */
static inline unsigned lc_bitlen64(uint64_t v) { return v ? 64u - (unsigned)__builtin_clzll(v) : 0u; }

/* Bit width (bit length of the OR, values as unsigned T-bit words) of n values. */
LC_INTERNAL unsigned lc_bp_width(const void *vals, size_t n, unsigned t);
/* InlineBitpacking: one group of n <= 1024 values of T bits at `vals` (any
 * alignment) -> [W as a T-bit word][1024*W/T packed words] at out (room for
 * T/8 + 128*T bytes). Returns the bytes written. */
LC_INTERNAL size_t lc_enc_inline_bp(const void *vals, size_t n, unsigned t, uint8_t *out);
/* OutOfLineBitpacking{16, Flat{w}} of n u16 levels: full groups packed, the
 * tail packed or raw by Lance's rule. out needs room for 2*n + 128*16 bytes.
 * Returns bytes written. */
LC_INTERNAL size_t lc_enc_ool_levels(const uint16_t *lv, size_t n, unsigned w, uint8_t *out);

/* ---- general compression framing (§4.8) ---- */
/* Append u64 LE raw length + one zstd frame of `in` to out. */
LC_INTERNAL int lc_enc_zstd_frame(const uint8_t *in, size_t n, int level, lc_buf *out,
                                  lancec_error *err);

/* ---- dictionary (§3.4.5) ---- */
/* Build a first-appearance dictionary of n variable-width values (value i =
 * data[start_i, ends[i]), start_0 = 0). Gives up (returns 1) as soon as more
 * than max_card distinct values are seen. On success (0) indices[i] is the
 * entry of value i, *card the entry count, dict_data/dict_ends hold the
 * entries (ends as u64). -1 on out of memory. */
LC_INTERNAL int lc_dict_build_var(const uint8_t *data, const uint64_t *ends, size_t n,
                                  size_t max_card, uint32_t *indices, lc_buf *dict_data,
                                  lc_buf *dict_ends, size_t *card);

/* ---- FSST (§4.4) ---- */
/* Compress n values (value i = data[start_i, ends[i])) into out_data /
 * out_ends (u64 end offsets relative to out_data's start) and fill the
 * 2312-byte Lance symbol table. 0 or -1 (out of memory). */
LC_INTERNAL int lc_fsst_compress(const uint8_t *data, const uint64_t *ends, size_t n, uint8_t table[2312],
                                 lc_buf *out_data, lc_buf *out_ends);

#endif
