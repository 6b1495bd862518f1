/* Private helpers shared by the compressive-encoding decoders (one .c file
 * per scheme, dispatch.c ties them together). Not part of the contract in
 * encodings.h; nothing outside src/file/encodings/ includes this. */
#ifndef LC_ENC_INTERNAL_H
#define LC_ENC_INTERNAL_H

#include "file/encodings/encodings.h"

/* Nesting limit for encodings (General{Fsst{Variable}} is depth 3; hostile
 * protobufs could nest arbitrarily). */
#define LC_ENC_MAX_DEPTH 16
/* Sanity cap on the bytes one decode may produce from a count that comes
 * from outside the buffer (levels, items): 4 GiB. */
#define LC_ENC_MAX_OUTPUT ((uint64_t)1 << 32)

#define LC_CASE(x) LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_##x
#define LC_SCHEME_LZ4 LANCE__ENCODINGS21__COMPRESSION_SCHEME__COMPRESSION_ALGORITHM_LZ4
#define LC_SCHEME_ZSTD LANCE__ENCODINGS21__COMPRESSION_SCHEME__COMPRESSION_ALGORITHM_ZSTD

/* ---- errors: every message starts with the encoding's name ---- */
LC_INTERNAL int lc_enc_corrupt(lancec_error *err, const lc_cenc *enc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
LC_INTERNAL int lc_enc_unsupported(lancec_error *err, const lc_cenc *enc, const char *ctx);
LC_INTERNAL int lc_enc_nomem(lancec_error *err, const lc_cenc *enc);

/* ---- lc_values plumbing ---- */
/* Reset `v` for a decode, keeping a caller-preset data/data_cap (marked
 * borrowed so that lc_values_free never frees it). */
LC_INTERNAL void lc_values_prepare(lc_values *v);
/* Make `out` FIXED with n values of `bits` bits and a data buffer of
 * ceil(n*bits/8) bytes: the preset buffer when big enough, else a fresh one.
 * Checks the size against LC_ENC_MAX_OUTPUT. */
LC_INTERNAL int lc_values_alloc_fixed(lc_values *out, uint64_t n, uint64_t bits, const lc_cenc *enc,
                                      lancec_error *err);
/* Make `out` VARIABLE: n+1 offsets of offset_bits and data_len data bytes
 * (+ `slack` spare bytes past data_len). */
LC_INTERNAL int lc_values_alloc_variable(lc_values *out, uint64_t n, int offset_bits,
                                         uint64_t data_len, size_t slack, const lc_cenc *enc,
                                         lancec_error *err);
/* Move the value buffers of src (FIXED or VARIABLE, no FSL fields) into dst,
 * keeping dst's FSL fields; src is left empty. */
LC_INTERNAL void lc_values_move(lc_values *dst, lc_values *src);
/* Offset i of a VARIABLE value set. */
static inline uint64_t lc_values_off(const lc_values *v, uint64_t i) {
  if (v->offset_bits == 64) return lc_le64(v->offsets + 8 * i);
  return lc_le32(v->offsets + 4 * i);
}
static inline void lc_values_set_off(lc_values *v, uint64_t i, uint64_t o) {
  if (v->offset_bits == 64) lc_st64(v->offsets + 8 * i, o);
  else lc_st32(v->offsets + 4 * i, (uint32_t)o);
}
/* Check a VARIABLE input: offsets_bits 32/64, offsets[0] may be non-zero,
 * non-decreasing, last offset <= data_len. */
LC_INTERNAL int lc_values_check_variable(const lc_values *v, const lc_cenc *enc, lancec_error *err);

/* Bits of a Flat child (e.g. the `values` of OutOfLineBitpacking). */
LC_INTERNAL int lc_enc_flat_bits(const lc_cenc *parent, const lc_cenc *child, uint64_t *bits,
                                 lancec_error *err);
/* Unsupported BufferCompression attached to Flat/Variable/InlineBitpacking. */
LC_INTERNAL bool lc_enc_bufcomp_set(const Lance__Encodings21__BufferCompression *bc);

/* ---- recursive dispatchers (depth = nesting level) ---- */
LC_INTERNAL int lc_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs, const uint64_t *sizes,
                             size_t n_bufs, uint64_t n, lc_values *out, int depth,
                             lancec_error *err);
LC_INTERNAL int lc_blk_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                              lc_values *out, int depth, lancec_error *err);
LC_INTERNAL int lc_pvf_decode(const lc_cenc *enc, const uint8_t *in, uint64_t n,
                              uint64_t stored_bits, lc_values *out, int depth, lancec_error *err);
LC_INTERNAL int lc_pvv_decode(const lc_cenc *enc, const lc_values *in, lc_values *out, int depth,
                              lancec_error *err);

/* ---- per-scheme decoders ---- */
/* flat.c */
LC_INTERNAL int lc_flat_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                               lc_values *out, lancec_error *err);
LC_INTERNAL int lc_flat_pv_decode(const lc_cenc *enc, const uint8_t *in, uint64_t n,
                                  uint64_t stored_bits, lc_values *out, lancec_error *err);
/* constant.c */
LC_INTERNAL int lc_constant_decode(const lc_cenc *enc, uint64_t n, lc_values *out,
                                   lancec_error *err);
/* bitpack.c */
LC_INTERNAL int lc_inline_bitpack_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size,
                                         uint64_t n, lc_values *out, lancec_error *err);
LC_INTERNAL int lc_ool_bitpack_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size,
                                      uint64_t n, lc_values *out, lancec_error *err);
/* variable.c */
LC_INTERNAL int lc_variable_mb_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size,
                                      uint64_t n, lc_values *out, lancec_error *err);
LC_INTERNAL int lc_variable_block_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size,
                                         uint64_t n, lc_values *out, lancec_error *err);
LC_INTERNAL int lc_variable_copy(const lc_cenc *enc, const lc_values *in, lc_values *out,
                                 lancec_error *err);
/* fsst.c */
LC_INTERNAL int lc_fsst_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs,
                                  const uint64_t *sizes, size_t n_bufs, uint64_t n, lc_values *out,
                                  int depth, lancec_error *err);
LC_INTERNAL int lc_fsst_pv_decode(const lc_cenc *enc, const lc_values *in, lc_values *out,
                                  int depth, lancec_error *err);
/* rle.c */
LC_INTERNAL int lc_rle_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs,
                                 const uint64_t *sizes, size_t n_bufs, uint64_t n, lc_values *out,
                                 lancec_error *err);
LC_INTERNAL int lc_rle_block_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size,
                                    uint64_t n, lc_values *out, lancec_error *err);
/* bss.c */
LC_INTERNAL int lc_bss_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs,
                                 const uint64_t *sizes, size_t n_bufs, uint64_t n, lc_values *out,
                                 lancec_error *err);
/* general.c */
LC_INTERNAL int lc_general_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs,
                                     const uint64_t *sizes, size_t n_bufs, uint64_t n,
                                     lc_values *out, int depth, lancec_error *err);
LC_INTERNAL int lc_general_block_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size,
                                        uint64_t n, lc_values *out, int depth, lancec_error *err);
LC_INTERNAL int lc_general_pv_decode(const lc_cenc *enc, const lc_values *in, lc_values *out,
                                     int depth, lancec_error *err);
/* fsl.c */
LC_INTERNAL int lc_fsl_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs,
                                 const uint64_t *sizes, size_t n_bufs, uint64_t n, lc_values *out,
                                 int depth, lancec_error *err);
LC_INTERNAL int lc_fsl_block_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size,
                                    uint64_t n, lc_values *out, int depth, lancec_error *err);
LC_INTERNAL int lc_fsl_pv_decode(const lc_cenc *enc, const uint8_t *in, uint64_t n,
                                 uint64_t stored_bits, lc_values *out, lancec_error *err);
/* packed.c */
LC_INTERNAL int lc_packed_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs,
                                    const uint64_t *sizes, size_t n_bufs, uint64_t n,
                                    lc_values *out, int depth, lancec_error *err);

#endif
