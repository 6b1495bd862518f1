/* Internals of the data-file writer (writer.c: API, schema, shredding,
 * container; writer_page.c: page layouts and chunking; writer_v20.c: file
 * format 2.0). */
#ifndef LC_WRITER_INTERNAL_H
#define LC_WRITER_INTERNAL_H

#include "file/encodings/encoders.h"
#include "file/file_writer.h"

#define WMAXD 32

enum { WN_STRUCT = 0, WN_LIST, WN_LARGE_LIST, WN_MAP, WN_LEAF };
/* WV_BLOB1: legacy blob (large_binary + lance-encoding:blob): values
 * gathered as WV_VAR, written as BlobLayout (2.1 §3.7). WV_BLOB2: blob v2
 * struct{data, uri} (2.2): the data child gathered as WV_VAR, written as
 * inline payloads + a full-zip VariablePackedStruct descriptor page (2.2 §8.3). */
typedef enum { WV_FIXED = 0, WV_BOOL, WV_VAR, WV_FSL, WV_NULL, WV_EMPTY, WV_PACKED, WV_BLOB1, WV_BLOB2 } wv_kind;

typedef struct wcol {
  int top;   /* top-level field index */
  int depth; /* path nodes, outer first; node[depth-1] is the leaf */
  const lc_field *node[WMAXD];
  int child_idx[WMAXD]; /* struct: which child is on the path */
  int ntype[WMAXD];
  uint16_t raw_null[WMAXD], raw_empty[WMAXD], replevel[WMAXD];
  int max_rep;
  uint16_t vis_max; /* raw def codes <= vis_max have an item slot */
  wv_kind vk;
  unsigned bytes;    /* FIXED: bytes per value; FSL: bytes per item */
  uint64_t dim;      /* FSL: items per row (all FSL levels multiplied) */
  int fsl_levels;    /* FSL nesting depth */
  uint64_t fsl_dims[8]; /* per FSL level, outer first */
  uint64_t fsl_cum[8];  /* cumulative dims: fsl_cum[k] = fsl_dims[0] * ... * fsl_dims[k] */
  unsigned pk_bytes[WMAXD]; /* PACKED: bytes of each child (row-major rows) */
  int pk_n;
  int off_bits;      /* VAR: 32 or 64 */
  int blob_data, blob_uri; /* BLOB2: child index of data / uri (-1: none) */
  bool blob_large;   /* BLOB2: data child is large_binary */
  bool is_dict, is_string;
  unsigned key_bytes; /* dict: Arrow key width */
  uint64_t key_max;   /* dict: largest index the key type holds */
  /* ---- the page being accumulated ---- */
  lc_buf rep, def;   /* u16 levels (def = raw codes, materialised lazily) */
  lc_buf vals;       /* FIXED/FSL bytes, BOOL bitmap, VAR bytes */
  lc_buf ends;       /* VAR: u64 end offset per item */
  /* FSL: per layer k (outer first) an item validity bitmap of
   * n_items * fsl_cum[k] bits, materialised lazily once layer k's items
   * (the elements of FSL layer k) can be null */
  lc_buf fslval[8];
  bool fslval_mat[8];
  bool def_mat;
  uint64_t n_levels, n_items, n_rows, max_len;
  bool seen_null[WMAXD], seen_empty[WMAXD];
  uint64_t first_row;
  lc_pbw pages; /* serialized ColumnMetadata.pages entries */
} wcol;

typedef struct lc_w20 lc_w20; /* file format 2.0 state (writer_v20.c) */

struct lc_file_writer {
  lc_io_writer *iow;
  const lc_schema *schema;
  uint16_t major, minor;
  wcol *cols;
  size_t n_cols;
  uint64_t rows, pos, buffered;
  bool failed;
  /* shredding scratch */
  lc_buf s_rep[2], s_def[2], s_idx[2];
  /* page scratch */
  lc_buf p_a, p_b, p_c;
  lc_w20 *v20; /* non-NULL: a 2.0 file (cols unused) */
};

#define W_PAGE_BYTES ((size_t)8 << 20)

/* writer_page.c */
LC_INTERNAL int lc_w_flush_page(lc_file_writer *w, wcol *c, lancec_error *err);
/* writer.c */
LC_INTERNAL int lc_w_write_buffer(lc_file_writer *w, const void *data, size_t len, uint64_t *pos,
                                  lancec_error *err);
/* Everything after the data: global buffer 0 (the FileDescriptor), one
 * ColumnMetadata per column (ColumnEncoding `values`, or `blob{inner{values}}`
 * where blob[k]; then the serialized Page entries pages[k]), the CMO / GBO
 * tables and the footer with version (fmajor, fminor); closes the io writer. */
LC_INTERNAL int lc_w_finish_container(lc_file_writer *w, const lc_pbw *const *pages, const bool *blob,
                                      size_t n_cols, uint16_t fmajor, uint16_t fminor, lancec_error *err);

/* writer_v20.c: file format 2.0 (footer (0,3)), same API contract */
LC_INTERNAL int lc_w20_new(lc_file_writer *w, lancec_error *err); /* sets w->v20 */
LC_INTERNAL int lc_w20_write(lc_file_writer *w, const struct ArrowArray *batch, lancec_error *err);
LC_INTERNAL int lc_w20_finish(lc_file_writer *w, lancec_error *err); /* last pages + container */
LC_INTERNAL uint64_t lc_w20_pending(const lc_file_writer *w);
LC_INTERNAL void lc_w20_free(lc_w20 *s);

#endif
