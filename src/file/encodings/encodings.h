/* Compressive encodings of file formats 2.1 / 2.2 (file-format-2.1.md §4,
 * file-format-2.2.md §6-7): one decoder per scheme, one dispatcher per
 * context. Every decoder treats its input as hostile: sizes and counts are
 * checked before use and a violation returns LANCEC_ECORRUPT with a message
 * naming the encoding and what did not fit; an encoding that is valid but
 * not allowed in a context returns LANCEC_EUNSUPPORTED ("unknown encoding").
 *
 * Contexts:
 *  - mini-block: decode one chunk's value buffers into the chunk's items;
 *  - block: decode one opaque buffer into a known number of values
 *    (rep/def levels, dictionaries, 2.2 constant-page levels);
 *  - per-value: full-zip values, each independently decodable.      */
#ifndef LC_ENCODINGS_H
#define LC_ENCODINGS_H

#include "common/common.h"
#include "lance_encodings21.pb-c.h"

typedef Lance__Encodings21__CompressiveEncoding lc_cenc;

#define LC_MAX_FSL_DEPTH 8

typedef enum lc_values_kind { LC_VALUES_FIXED = 1, LC_VALUES_VARIABLE = 2 } lc_values_kind;

/* Decoded values. Buffers are owned (lc_free) unless `borrowed_data` is set:
 * a caller may pre-set `data` + `data_cap` (FIXED only) to have the decoder
 * write straight into its own memory; then the decoder sets borrowed_data
 * and lc_values_free leaves `data` alone. An `out` passed to a decoder
 * must be zeroed apart from such a preset (lc_values v = {0}); on error the
 * decoders leave it empty (lc_values_free is still safe to call). A FIXED
 * result of 0 bits per value (Constant without value) means all null. */
typedef struct lc_values {
  lc_values_kind kind;
  uint64_t n; /* number of values */
  /* FIXED: bits per value; 1 = LSB-first bitmap starting at bit 0, else a
   * multiple of 8. data holds ceil(n * bits / 8) bytes. */
  uint64_t bits_per_value;
  /* VARIABLE: n + 1 offsets of offset_bits (32 or 64) bits, offsets[0] = 0,
   * into data (offsets[n] bytes). */
  int offset_bits;
  uint8_t *offsets;
  uint8_t *data;
  size_t data_len;
  size_t data_cap;
  bool borrowed_data;
  /* FixedSizeList item validity: fsl_validity[k] is the validity of the
   * items of FSL layer k (outermost k = 0), n * (d_0*...*d_k) bits, or NULL
   * when that layer has no validity. n_fsl = number of FSL layers seen. */
  int n_fsl;
  uint64_t fsl_dim[LC_MAX_FSL_DEPTH];
  uint8_t *fsl_validity[LC_MAX_FSL_DEPTH];
  /* Deferred FSST (random access): when the caller sets defer_fsst_ok
   * before a mini-block decode whose top encoding is FSST, the values stay
   * FSST-compressed (VARIABLE, codes) and fsst_table (owned) holds the
   * symbols; lc_fsst_slice decodes just the values a take needs. */
  bool defer_fsst_ok;
  void *fsst_table;
  const lc_cenc *fsst_enc;
} lc_values;

/* Exact decoded size of deferred-FSST values [lo, lo + n); false if a value
 * has an undefined code or a trailing escape. */
LC_INTERNAL bool lc_fsst_slice_size(const lc_values *v, uint64_t lo, uint64_t n, uint64_t *size);
/* Decode deferred-FSST value i into dst (cap bytes); *len = its size. */
LC_INTERNAL int lc_fsst_value(const lc_values *v, uint64_t i, uint8_t *dst, size_t cap, size_t *len,
                              lancec_error *err);
/* Decode values [lo, lo + n) of deferred-FSST values into out (VARIABLE). */
LC_INTERNAL int lc_fsst_slice(const lc_values *v, uint64_t lo, uint64_t n, lc_values *out, lancec_error *err);

LC_INTERNAL void lc_values_free(lc_values *v);

/* Mini-block context: decode the value buffers of one chunk into n_items
 * values. bufs/sizes are the chunk's value buffers in order (num_buffers of
 * the layout). Dictionary pages decode indices with this too. */
LC_INTERNAL int lc_decode_miniblock(const lc_cenc *enc, const uint8_t *const *bufs,
                                    const uint64_t *sizes, size_t n_bufs, uint64_t n_items,
                                    lc_values *out, lancec_error *err);

/* Block context: decode one buffer into exactly n_values values
 * (dictionary items, levels). Accepts 2.2 framed Rle and General. */
LC_INTERNAL int lc_decode_block(const lc_cenc *enc, const uint8_t *buf, uint64_t size,
                                uint64_t n_values, lc_values *out, lancec_error *err);

/* Levels: block-decode into n u16 values written to out[0..n). `enc` NULL
 * means raw u16 (size must be 2n). */
LC_INTERNAL int lc_decode_levels(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                                 uint16_t *out, lancec_error *err);

/* Per-value context, fixed width: `in` holds n values of `stored_bits`
 * bits each as zipped in the page (FSL: validity bytes then item bytes per
 * value). Produces FIXED values (with fsl_validity where applicable). */
LC_INTERNAL int lc_decode_pervalue_fixed(const lc_cenc *enc, const uint8_t *in, uint64_t n,
                                         uint64_t stored_bits, lc_values *out, lancec_error *err);

/* Per-value context, variable width: `in` is VARIABLE (the stored bytes of
 * each value); output VARIABLE with each value decoded (Variable = copy,
 * Fsst = decompress, General = zstd/lz4 unframe, nested as given). */
LC_INTERNAL int lc_decode_pervalue_variable(const lc_cenc *enc, const lc_values *in,
                                            lc_values *out, lancec_error *err);

/* 2.2 VariablePackedStruct: split each value of `in` (VARIABLE, one per
 * non-null row) into the children (out[0..n_children), FIXED or VARIABLE,
 * each with in->n values). n_children must equal the encoding's field count. */
LC_INTERNAL int lc_decode_variable_packed_struct(const lc_cenc *enc, const lc_values *in,
                                                 size_t n_children, lc_values *out,
                                                 lancec_error *err);

/* ---- building blocks, exposed for tests, the writer and benchmarks ---- */

/* FastLanes: unpack one 1024-value group of width w from `packed`
 * (1024*w/T words of T bits) into out[1024] values of T bits
 * (T = 8,16,32,64). */
LC_INTERNAL void lc_fastlanes_unpack8(const uint8_t *packed, unsigned w, uint8_t *out);
LC_INTERNAL void lc_fastlanes_unpack16(const uint16_t *packed, unsigned w, uint16_t *out);
LC_INTERNAL void lc_fastlanes_unpack32(const uint32_t *packed, unsigned w, uint32_t *out);
LC_INTERNAL void lc_fastlanes_unpack64(const uint64_t *packed, unsigned w, uint64_t *out);
/* and the inverse (for the writer and round-trip tests) */
LC_INTERNAL void lc_fastlanes_pack8(const uint8_t *in, unsigned w, uint8_t *packed);
LC_INTERNAL void lc_fastlanes_pack16(const uint16_t *in, unsigned w, uint16_t *packed);
LC_INTERNAL void lc_fastlanes_pack32(const uint32_t *in, unsigned w, uint32_t *packed);
LC_INTERNAL void lc_fastlanes_pack64(const uint64_t *in, unsigned w, uint64_t *packed);

/* FSST: decode with a 2312-byte Lance symbol table. `dst` must have room
 * for 8 * src_len bytes; returns bytes written via *dst_len. */
typedef struct lc_fsst_table {
  uint64_t symbols[256];
  uint8_t lens[256];
  bool enabled; /* switch bit: false = values are stored uncompressed */
} lc_fsst_table;
LC_INTERNAL int lc_fsst_table_parse(lc_fsst_table *t, const uint8_t *bytes, size_t len,
                                    lancec_error *err);
LC_INTERNAL int lc_fsst_decode(const lc_fsst_table *t, const uint8_t *src, size_t src_len,
                               uint8_t *dst, size_t dst_cap, size_t *dst_len, lancec_error *err);

/* General compression framing (2.1 §4.8): ZSTD = u64 LE raw length + zstd
 * frame (bare frame also accepted); LZ4 = u32 LE raw length + raw block.
 * Allocates *out (lc_malloc). scheme: 1 = LZ4, 2 = ZSTD. */
LC_INTERNAL int lc_general_decompress(int scheme, const uint8_t *in, size_t in_len, uint8_t **out,
                                      size_t *out_len, lancec_error *err);

/* Name of an encoding for messages ("InlineBitpacking{32}"). */
LC_INTERNAL const char *lc_cenc_name(const lc_cenc *enc, char *buf, size_t cap);

#endif
