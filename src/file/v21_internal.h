/* File formats 2.1 / 2.2: shared state of the field reader, the page
 * decoders (v21_page.c), the level unraveller (repdef.c) and the Arrow
 * assembly (assemble.c). */
#ifndef LC_V21_INTERNAL_H
#define LC_V21_INTERNAL_H

#include "arrow/arrow.h"
#include "file/encodings/encodings.h"
#include "file/file_internal.h"
#include "lance_encodings21.pb-c.h"

#define V21_MAX_LAYERS 32
#define V21_MAX_KIDS 64

typedef Lance__Encodings21__PageLayout v21_layout_pb;

/* ---- values ---------------------------------------------------------- */

typedef enum v21_vkind { VK_NONE = 0, VK_FIXED, VK_VAR } v21_vkind;

/* How a column's items are accumulated. */
typedef struct v21_vdesc {
  v21_vkind kind;
  uint64_t bits;  /* FIXED: bits per item (whole FSL row, packed struct row) */
  int ow;         /* VAR: output offset width in bytes (4 or 8) */
  int n_fsl;      /* FSL layers inside the item */
  uint64_t fsl_dim[LC_MAX_FSL_DEPTH];
  uint64_t item_bits; /* innermost item bits (FSL) */
} v21_vdesc;

typedef struct v21_acc v21_acc;
struct v21_acc {
  v21_vdesc vd;
  /* levels, canonical codes */
  lc_buf rep, def;
  bool def_on;
  uint64_t n_levels;
  /* items */
  uint64_t n_items;
  lc_buf data; /* FIXED bytes / bitmap; VAR value bytes */
  lc_buf offs; /* VAR: (n_items + 1) offsets of vd.ow bytes */
  lc_buf fslv[LC_MAX_FSL_DEPTH];
  bool fslv_on[LC_MAX_FSL_DEPTH];
  /* dictionary output (Arrow dictionary fields): items are u64 indices in
   * `data`, the dictionary entries accumulate in *dict */
  v21_acc *dict;
  /* variable packed struct / blob v2: per-child accumulators */
  size_t n_kids;
  v21_acc *kids;
};

/* ---- unravelled structure of one column's levels -------------------- */

typedef struct v21_unravel {
  int L;
  uint64_t count[V21_MAX_LAYERS];
  uint8_t *valid[V21_MAX_LAYERS]; /* NULL = all valid */
  int64_t nulls[V21_MAX_LAYERS];
  int64_t *offs[V21_MAX_LAYERS]; /* list layers: count + 1 offsets */
} v21_unravel;

/* ---- column (one physical column owned by a field) ----------------- */

typedef enum v21_ckind {
  CK_PLAIN = 0,   /* primitive / string / FSL / dictionary leaf */
  CK_PACKED,      /* packed struct (fixed PackedStruct or VariablePackedStruct) */
  CK_BLOB_LEGACY, /* large_binary with lance-encoding:blob */
  CK_BLOB_V2,     /* lance.blob.v2 struct{data, uri} */
  CK_EMPTY_STRUCT
} v21_ckind;

typedef struct v21_layer {
  const lc_field *node;
  bool is_list;
  uint32_t fsl_dim; /* FSL<struct> item layer: slots per row */
} v21_layer;

typedef struct v21_chunk {
  uint64_t off, size;          /* within buffer 1 */
  uint64_t first_item, n_items;
  uint64_t first_row, starts;  /* rows starting in the chunk (with repetition) */
} v21_chunk;

enum { PL_NONE = 0, PL_MINI, PL_FULLZIP, PL_CONST, PL_BLOB };

/* The prepared (cached) state of the page a column is positioned in. */
typedef struct v21_page {
  size_t idx; /* page index, SIZE_MAX = none */
  int kind;
  const lc_page_info *pi;
  /* levels of this page */
  int n_layers;
  uint16_t max_rep;
  uint16_t page_max_def, page_vis_def; /* page code space */
  uint16_t defmap[2 * V21_MAX_LAYERS + 1]; /* page code -> canonical code */
  bool has_rep, has_def;
  /* data window over the main data buffer */
  uint64_t data_off, data_size; /* the buffer in the file */
  uint8_t *win;
  uint64_t win_lo, win_len;
  size_t win_cap;
  /* mini-block */
  const Lance__Encodings21__MiniBlockLayout *mb;
  bool large;
  size_t n_chunks;
  v21_chunk *chunks;
  bool has_dict;
  lc_values dict;
  uint64_t n_dict;
  uint64_t dict_base, dict_epoch; /* where the dictionary sits in the output dictionary */
  bool no_repidx;                 /* repetition without an index: scan from chunk 0 */
  /* decoded chunk cache */
  size_t cc_idx; /* SIZE_MAX = none */
  uint16_t *cc_rep, *cc_def;
  size_t cc_lcap;
  uint64_t cc_levels, cc_items;
  lc_values cc_vals;
  bool cc_has_vals;
  /* full-zip */
  const Lance__Encodings21__FullZipLayout *fz;
  uint8_t *repidx;
  int repidx_w;
  int cw_bytes;
  uint32_t bits_def;
  /* constant / all-null */
  const Lance__Encodings21__ConstantLayout *cl;
  uint16_t *crep, *cdef;
  uint64_t c_levels;
  uint64_t *row_start; /* rows + 1 level positions (with repetition) */
  bool c_has_value;
  uint8_t *c_value; /* FIXED: the value bytes; VAR: the bytes */
  size_t c_value_len;
  /* blob (legacy) */
  const Lance__Encodings21__BlobLayout *bl;
  v21_acc *blob_desc; /* descriptors (FIXED 128) */
} v21_page;

typedef struct v21_col {
  lc_file *file;
  const lc_field *field; /* the owner field */
  int32_t col;           /* physical column */
  v21_ckind kind;
  int L;
  v21_layer layers[V21_MAX_LAYERS]; /* outer first */
  uint64_t row_mult;                /* FSL<struct> ancestors: page rows per table row */
  uint16_t max_rep;
  uint16_t canon_max_def, canon_vis_def;
  uint8_t stop[2 * V21_MAX_LAYERS + 1];  /* canonical code -> stopping layer (outer idx), L = valid */
  bool empty_code[2 * V21_MAX_LAYERS + 1];
  uint16_t base_inner[V21_MAX_LAYERS];   /* canonical base of layer (outer index) */
  bool is_dict_out;                      /* Arrow dictionary output */
  v21_acc acc;
  v21_unravel un;
  v21_page pg;
  bool scan; /* current call is a scan (read ahead) rather than a take */
  uint64_t epoch; /* bumped whenever the accumulator is cleared */
  /* temporaries reused across calls */
  lc_buf t_rep, t_def, t_data, t_offs, t_present;
} v21_col;

/* ---- reader tree ----------------------------------------------------- */

typedef struct v21_node v21_node;
struct v21_node {
  const lc_field *f;
  int col;     /* index into reader->cols when the node owns a column, else -1 */
  int rep_col; /* a present column in the subtree (structure source), -1 none */
  int depth;   /* layer index of this node (outer first) */
  v21_node *kids;
  size_t n_kids;
};

typedef struct v21_reader {
  lc_field_reader base;
  const lc_field *field;
  v21_node root;
  v21_col *cols;
  size_t n_cols;
} v21_reader;

/* v21_page.c */
LC_INTERNAL int v21_col_read(v21_col *c, uint64_t start, uint64_t count, lancec_error *err);
LC_INTERNAL void v21_page_reset(v21_page *pg);
LC_INTERNAL void v21_page_free(v21_page *pg); /* reset + release the data window */
LC_INTERNAL int v21_layout_decode(lc_file *f, uint32_t col, size_t page, v21_layout_pb **out,
                                  lancec_error *err);

/* accumulators (v21_page.c) */
LC_INTERNAL void v21_acc_init(v21_acc *a, const v21_vdesc *vd);
LC_INTERNAL void v21_acc_clear(v21_acc *a); /* empty, keep capacity */
LC_INTERNAL void v21_acc_free(v21_acc *a);

/* repdef.c */
LC_INTERNAL int v21_col_setup_levels(v21_col *c, lancec_error *err);
LC_INTERNAL int v21_page_defmap(v21_col *c, v21_page *pg, const Lance__Encodings21__RepDefLayer *layers,
                                size_t n_layers, lancec_error *err);
LC_INTERNAL int v21_unravel_col(v21_col *c, lancec_error *err);
LC_INTERNAL void v21_unravel_free(v21_unravel *u);

/* field_reader.c */
LC_INTERNAL int v21_vdesc_of(const lc_field *f, v21_vdesc *vd, lancec_error *err);

/* assemble.c */
LC_INTERNAL int v21_assemble(v21_reader *r, v21_node *node, uint64_t n, struct ArrowArray *out,
                             lancec_error *err);

/* error helper: "<path>: column C page P: " prefix */
#define V21_ERR(c, code, fmt, ...)                                                           \
  lc_err(err, code, "%s: column %d page %zu: " fmt, (c)->file->path, (int)(c)->col,          \
         (c)->pg.idx, ##__VA_ARGS__)

#endif
