/* Data-file writer for file format 2.0 (footer (0,3);
 * shared/spec/file-format-2.0-legacy-and-aux.md part A).
 *
 * 2.0 stores one column per schema field in pre-order, parents included
 * (A.4): a struct has a header column (one page of `struct {}`, written at
 * finish) followed by its children's columns, a list has an offsets column
 * followed by its item's columns, and fixed-size lists, dictionaries and
 * packed structs are one column each. Every column buffers the values that
 * reach it (the items of non-null lists, the rows of structs) and encodes a
 * page once about 8 MiB are pending, independently of the other columns, as
 * Lance 2.0 does. Page encodings are the ones Lance 2.0 writes (A.6.10):
 *
 *   fixed width / bool    Nullable{no_nulls | some_nulls | all_nulls}(Flat)
 *   fixed_size_list       Nullable(FixedSizeList(dim, Nullable(... Flat))),
 *                         one validity per layer
 *   utf8 / binary         Binary{u64 end offsets, null = end + adjustment;
 *                         bytes Flat(8), zstd / FSST when the field asks}
 *   utf8, >= 100 values,  Dictionary{u8 indices (0 = null), Binary items}
 *   < 100 distinct
 *   Arrow dictionary      Dictionary{keys in the Arrow key width, items in
 *                         the value type's encoding + a null item for nulls}
 *   list / large_list     List{u64 end offsets, null = end + N + 1, N}
 *   struct                header page `struct {}`; null structs are refused
 *                         (2.0 has no struct validity; Lance refuses them too)
 *   packed struct         PackedStruct (rows of the children, row-major)
 *   legacy blob           PackedStruct{position, size} + payload buffers
 *
 * The container (FileDescriptor, column metadata, footer) is writer.c's. */
#include <strings.h>

#include "arrow/arrow.h"
#include "file/file.h"
#include "file/writer_internal.h"

#define OOM(err) lc_err(err, LANCEC_ENOMEM, "out of memory")
#define W20_MAX_FSL 8
#define W20_SLICE 16384

typedef enum {
  C20_FIXED = 0, /* fixed-width values, bits % 8 == 0 */
  C20_BOOL,
  C20_VAR,    /* utf8 / binary (32- or 64-bit Arrow offsets) */
  C20_DICT,   /* Arrow dictionary: materialised values, re-keyed per page */
  C20_FSL,    /* fixed_size_list (nested) of fixed width / bool */
  C20_LIST,   /* list / large_list offsets */
  C20_STRUCT, /* header column */
  C20_PACKED, /* packed struct */
  C20_NULL,   /* null type */
  C20_BLOB    /* legacy blob (large_binary + lance-encoding:blob) */
} c20_kind;

enum { Z_OMIT = 0, Z_NONE, Z_ZSTD, Z_FSST }; /* Binary bytes compression */

/* Validity of the pending page's values: materialised once a null appears. */
typedef struct vbits {
  lc_buf b;
  bool mat;
  uint64_t n, nulls;
} vbits;

typedef struct w20col {
  const lc_field *f;
  c20_kind kind;
  unsigned bits;  /* FIXED / FSL leaf / fixed DICT value: bits per value (1 = bool) */
  unsigned bytes; /* PACKED: bytes per row */
  bool large;     /* VAR, BLOB, DICT of var: 64-bit Arrow offsets */
  bool auto_dict; /* utf8: automatic dictionary when it applies */
  bool dict_var;  /* DICT: variable-width values */
  int comp;       /* VAR: Z_* */
  bool has_level;
  int level;
  /* FSL: dims per layer (outer first) and cumulative products */
  int fsl_levels;
  uint64_t fsl_dims[W20_MAX_FSL], fsl_cum[W20_MAX_FSL];
  /* DICT */
  lc_type_id key_type;
  unsigned key_bits;
  uint64_t key_max;
  /* PACKED */
  unsigned *pk_bytes;
  size_t pk_n;
  /* ---- the pending page ---- */
  vbits v;               /* rows (FSL), values, lists */
  vbits iv[W20_MAX_FSL]; /* FSL: validity of each layer's items */
  lc_buf vals;           /* FIXED / FSL / PACKED / fixed DICT bytes, BOOL bitmap, VAR bytes */
  lc_buf ends;           /* VAR / var DICT / BLOB: u64 end per value; LIST: u64 end per list */
  uint64_t items;        /* LIST: items referenced by the pending page */
  uint64_t total;        /* values fed so far (STRUCT header length) */
  size_t n_pages;
  lc_pbw pages; /* serialized ColumnMetadata.pages entries */
} w20col;

struct lc_w20 {
  w20col *cols;
  size_t n_cols;
};

/* ---- small helpers ---- */

/* a non-NULL base for empty byte buffers (no arithmetic on NULL) */
static const uint8_t k_empty[1];
static const uint8_t *bytes_of(const lc_buf *b) {
  return b->data ? b->data : k_empty;
}

static int ensure(lc_buf *b, size_t bytes) {
  if (b->cap >= bytes) return 0;
  return lc_buf_reserve(b, bytes - b->len);
}

static const char *meta_get(const lc_field *f, const char *key) {
  for (size_t i = 0; i < f->n_metadata; i++)
    if (f->metadata[i].key && strcmp(f->metadata[i].key, key) == 0) return (const char *)f->metadata[i].value;
  return NULL;
}

static inline const uint8_t *validity_of(const struct ArrowArray *a) {
  return a->null_count != 0 && a->n_buffers > 0 && a->buffers ? (const uint8_t *)a->buffers[0] : NULL;
}

static inline int64_t off_at(const void *offs, bool large, int64_t i) {
  if (large) return ((const int64_t *)offs)[i];
  return ((const int32_t *)offs)[i];
}

/* Append `len` validity bits of `bm` from bit `off` (bm NULL: all valid). */
static int vb_feed(vbits *v, const uint8_t *bm, int64_t off, int64_t len) {
  if (len <= 0) return 0;
  int64_t zeros = bm ? lc_bits_count_zero(bm, off, len) : 0;
  if (zeros && !v->mat) {
    size_t nb = lc_bitmap_bytes((int64_t)v->n);
    if (ensure(&v->b, nb + 64)) return -1;
    memset(v->b.data, 0xff, nb);
    v->b.len = nb;
    v->mat = true;
  }
  if (v->mat) {
    size_t need = lc_bitmap_bytes((int64_t)v->n + len);
    if (ensure(&v->b, need + 8)) return -1;
    /* bits past n are kept 1 (until nw_begin clears them for the page), so
     * valid runs need no work */
    if (v->b.len < need) memset(v->b.data + v->b.len, 0xff, need - v->b.len);
    if (zeros) lc_bits_copy(v->b.data, (int64_t)v->n, bm, off, len);
    v->b.len = need;
  }
  v->n += (uint64_t)len;
  v->nulls += (uint64_t)zeros;
  return 0;
}

/* Append one bit (valid or not). */
static int vb_put(vbits *v, bool valid) {
  uint8_t one = valid ? 1 : 0;
  return vb_feed(v, valid ? NULL : &one, 0, 1);
}

static void vb_reset(vbits *v) {
  v->b.len = 0;
  v->mat = false;
  v->n = v->nulls = 0;
}

static bool vb_valid(const vbits *v, uint64_t i) {
  return !v->mat || lc_bit_get(v->b.data, (int64_t)i);
}

/* ---- lance.encodings.ArrayEncoding builders (prost field order) ---- */

static void pb_buffer(lc_pbw *out, unsigned field, unsigned idx) {
  lc_pbw b = {0};
  lc_pb_uint(&b, 1, idx, false);
  lc_pb_msg(out, field, &b);
  lc_pbw_free(&b);
}

/* ArrayEncoding{flat{bits, buffer idx [, compression]}} */
static void ae_flat(lc_pbw *out, uint64_t bits, unsigned idx, const char *scheme, bool has_level, int level) {
  lc_pbw fl = {0};
  lc_pb_uint(&fl, 1, bits, false);
  pb_buffer(&fl, 2, idx);
  if (scheme) {
    lc_pbw cz = {0};
    lc_pb_bytes(&cz, 1, scheme, strlen(scheme));
    if (has_level) lc_pb_uint(&cz, 2, (uint64_t)(int64_t)level, true);
    lc_pb_msg(&fl, 3, &cz);
    lc_pbw_free(&cz);
  }
  lc_pb_msg(out, 1, &fl);
  lc_pbw_free(&fl);
}

/* Nullable{no_nulls{values}} (validity NULL, all false), some_nulls{validity, values}
 * or all_nulls{} (all true). */
static void ae_nullable(lc_pbw *out, const lc_pbw *validity, const lc_pbw *values, bool all) {
  lc_pbw n = {0}, v = {0};
  if (all) {
    lc_pb_msg(&n, 3, &v);
  } else if (!validity) {
    lc_pb_msg(&v, 1, values);
    lc_pb_msg(&n, 1, &v);
  } else {
    lc_pb_msg(&v, 1, validity);
    lc_pb_msg(&v, 2, values);
    lc_pb_msg(&n, 2, &v);
  }
  lc_pb_msg(out, 2, &n);
  lc_pbw_free(&n);
  lc_pbw_free(&v);
}

static void ae_no_nulls_flat(lc_pbw *out, uint64_t bits, unsigned idx) {
  lc_pbw fl = {0};
  ae_flat(&fl, bits, idx, NULL, false, 0);
  ae_nullable(out, NULL, &fl, false);
  lc_pbw_free(&fl);
}

static void ae_binary(lc_pbw *out, const lc_pbw *indices, const lc_pbw *bytes, uint64_t adj) {
  lc_pbw b = {0};
  lc_pb_msg(&b, 1, indices);
  lc_pb_msg(&b, 2, bytes);
  lc_pb_uint(&b, 3, adj, false);
  lc_pb_msg(out, 6, &b);
  lc_pbw_free(&b);
}

/* ---- pages ---- */

typedef struct page20 {
  const void *data[2 * W20_MAX_FSL + 4];
  size_t len[2 * W20_MAX_FSL + 4];
  unsigned n;
  lc_pbw enc; /* ArrayEncoding */
} page20;

static unsigned pg_buf(page20 *p, const void *data, size_t len) {
  p->data[p->n] = data;
  p->len[p->n] = len;
  return p->n++;
}

/* Write the page's buffers (each padded to 64) and append its Page entry. */
static int emit_page(lc_file_writer *w, w20col *c, page20 *p, uint64_t length, lancec_error *err) {
  uint64_t pos[2 * W20_MAX_FSL + 4], size[2 * W20_MAX_FSL + 4];
  for (unsigned i = 0; i < p->n; i++) {
    LC_TRY(lc_w_write_buffer(w, p->data[i], p->len[i], &pos[i], err));
    size[i] = p->len[i];
  }
  lc_pbw pg = {0}, enc = {0}, direct = {0}, any = {0};
  static const char url[] = "/lance.encodings.ArrayEncoding";
  lc_pb_bytes(&any, 1, url, sizeof url - 1);
  lc_pb_msg(&any, 2, &p->enc);
  lc_pb_msg(&direct, 1, &any);
  lc_pb_msg(&enc, 2, &direct);
  lc_pb_packed(&pg, 1, pos, p->n);
  lc_pb_packed(&pg, 2, size, p->n);
  lc_pb_uint(&pg, 3, length, false);
  lc_pb_msg(&pg, 4, &enc);
  lc_pb_msg(&c->pages, 2, &pg);
  int rc = c->pages.oom || p->enc.oom ? OOM(err) : 0;
  lc_pbw_free(&pg), lc_pbw_free(&enc), lc_pbw_free(&direct), lc_pbw_free(&any);
  c->n_pages++;
  return rc;
}

/* Nullable wrapper of a pending validity around `inner` (which the caller
 * builds after calling this for the validity buffer index). */
typedef struct nwrap {
  bool all, some;
  unsigned vidx;
} nwrap;

static nwrap nw_begin(page20 *p, vbits *v, uint64_t count) {
  nwrap r = {0};
  if (v->nulls >= count) {
    r.all = true; /* also for count == 0, as Lance writes empty pages */
  } else if (v->nulls) {
    r.some = true;
    if (count & 7) v->b.data[count >> 3] &= (uint8_t)((1u << (count & 7)) - 1); /* zero padding bits */
    r.vidx = pg_buf(p, v->b.data, lc_bitmap_bytes((int64_t)count));
  }
  return r;
}

static void nw_end(lc_pbw *out, const nwrap *r, const lc_pbw *inner) {
  if (r->some) {
    lc_pbw val = {0};
    ae_flat(&val, 1, r->vidx, NULL, false, 0);
    ae_nullable(out, &val, inner, false);
    lc_pbw_free(&val);
  } else {
    ae_nullable(out, NULL, inner, r->all);
  }
}

/* Binary over n values (value i = data[end_{i-1}, ends[i]); null values
 * have no bytes and store end + A). Appends the indices to *idx_buf and
 * returns the encoding in out. */
static int binary_enc(page20 *p, const uint64_t *ends, uint64_t n, const vbits *v, const uint8_t *bytes,
                      size_t nbytes, lc_buf *idx_buf, lc_pbw *out, const char *scheme, bool has_level,
                      int level, lancec_error *err) {
  uint64_t total = n ? ends[n - 1] : 0;
  uint64_t adj = n ? total + 1 : 0;
  idx_buf->len = 0;
  if (ensure(idx_buf, (size_t)n * 8 + 8)) return OOM(err);
  for (uint64_t i = 0; i < n; i++) {
    uint64_t e = ends[i];
    if (v && !vb_valid(v, i)) e += adj;
    lc_st64(idx_buf->data + 8 * i, e);
  }
  idx_buf->len = (size_t)n * 8;
  lc_pbw ix = {0}, by = {0};
  ae_no_nulls_flat(&ix, 64, pg_buf(p, idx_buf->data, idx_buf->len));
  ae_flat(&by, 8, pg_buf(p, bytes, nbytes), scheme, has_level, level);
  ae_binary(out, &ix, &by, adj);
  lc_pbw_free(&ix);
  lc_pbw_free(&by);
  return 0;
}

static void col_reset(w20col *c) {
  vb_reset(&c->v);
  for (int k = 0; k < W20_MAX_FSL; k++) vb_reset(&c->iv[k]);
  c->vals.len = c->ends.len = 0;
  c->items = 0;
}

static int flush_var(lc_file_writer *w, w20col *c, lancec_error *err) {
  uint64_t n = c->v.n;
  const uint64_t *ends = (const uint64_t *)c->ends.data;
  page20 p = {0};
  lc_buf idx = {0}, dd = {0}, de = {0}, cz = {0}, fd = {0}, fe = {0}, ci = {0};
  uint32_t *keys = NULL;
  int rc = 0;
  /* automatic dictionary: utf8, >= 100 values, < 100 distinct non-null values */
  if (c->auto_dict && n >= 100) {
    uint64_t nn = n - c->v.nulls;
    keys = lc_malloc((size_t)(nn ? nn : 1) * sizeof(uint32_t));
    if (!keys || ensure(&ci, (size_t)(nn ? nn : 1) * 8)) {
      rc = OOM(err);
      goto out;
    }
    uint64_t *cends = (uint64_t *)ci.data;
    for (uint64_t i = 0, k = 0; i < n; i++)
      if (vb_valid(&c->v, i)) cends[k++] = ends[i];
    size_t card = 0;
    int r = lc_dict_build_var(bytes_of(&c->vals), cends, (size_t)nn, 99, keys, &dd, &de, &card);
    if (r < 0) {
      rc = OOM(err);
      goto out;
    }
    if (r == 0) {
      uint8_t *ix = lc_malloc((size_t)n + 1);
      if (!ix) {
        rc = OOM(err);
        goto out;
      }
      for (uint64_t i = 0, k = 0; i < n; i++) ix[i] = vb_valid(&c->v, i) ? (uint8_t)(keys[k++] + 1) : 0;
      lc_pbw ie = {0}, items = {0}, d = {0};
      ae_no_nulls_flat(&ie, 8, pg_buf(&p, ix, (size_t)n));
      if (card == 0) {
        /* every value null: one null item */
        static const uint64_t zero = 0;
        vbits nul = {.mat = true, .n = 1, .nulls = 1};
        uint8_t bit = 0;
        nul.b.data = &bit;
        rc = binary_enc(&p, &zero, 1, &nul, dd.data, 0, &idx, &items, NULL, false, 0, err);
        card = 1;
      } else {
        rc = binary_enc(&p, (const uint64_t *)de.data, card, NULL, dd.data, dd.len, &idx, &items, NULL, false,
                        0, err);
      }
      if (!rc) {
        lc_pb_msg(&d, 1, &ie);
        lc_pb_msg(&d, 2, &items);
        lc_pb_uint(&d, 3, card, false);
        lc_pb_msg(&p.enc, 7, &d);
        rc = emit_page(w, c, &p, n, err);
      }
      lc_pbw_free(&ie), lc_pbw_free(&items), lc_pbw_free(&d), lc_pbw_free(&p.enc);
      lc_free(ix);
      goto out;
    }
  }
  {
    const uint8_t *bytes = c->vals.data;
    size_t nbytes = c->vals.len;
    const uint64_t *bends = ends;
    const char *scheme = NULL;
    lc_pbw bin = {0};
    uint8_t table[2312];
    bool fsst = c->comp == Z_FSST;
    if (fsst && nbytes < 32768) {
      /* Lance leaves less than 32 KiB as is: a table without symbols that
       * says "not compressed" (file-format-2.0 A.6.9) */
      memset(table, 0, sizeof table);
      lc_st64(table, 0x4653535400000000ull);
    } else if (fsst) {
      if (lc_fsst_compress(c->vals.data, ends, (size_t)n, table, &fd, &fe)) {
        rc = OOM(err);
        goto out;
      }
      bytes = fd.data;
      nbytes = fd.len;
      bends = (const uint64_t *)fe.data;
    } else if (c->comp == Z_ZSTD) {
      rc = lc_enc_zstd_frame(c->vals.data, c->vals.len, c->has_level ? c->level : 0, &cz, err);
      if (rc) goto out;
      bytes = cz.data;
      nbytes = cz.len;
      scheme = "zstd";
    } else if (c->comp == Z_NONE) {
      scheme = "none";
    }
    /* the indices count the stored (maybe FSST-coded) bytes */
    rc = binary_enc(&p, bends, n, &c->v, bytes, nbytes, &idx, &bin, scheme, c->has_level, c->level, err);
    if (!rc) {
      if (fsst) {
        lc_pbw fs = {0};
        lc_pb_msg(&fs, 1, &bin);
        lc_pb_bytes(&fs, 2, table, sizeof table);
        lc_pb_msg(&p.enc, 8, &fs);
        lc_pbw_free(&fs);
      } else {
        lc_pb_raw(&p.enc, bin.b.data, bin.b.len);
        if (bin.oom) p.enc.oom = true;
      }
      rc = emit_page(w, c, &p, n, err);
    }
    lc_pbw_free(&bin);
    lc_pbw_free(&p.enc);
  }
out:
  lc_free(keys);
  lc_buf_free(&idx), lc_buf_free(&dd), lc_buf_free(&de), lc_buf_free(&cz), lc_buf_free(&fd), lc_buf_free(&fe);
  lc_buf_free(&ci);
  return rc;
}

/* Arrow dictionary: the page's values (materialised while feeding) get a
 * first-appearance dictionary; null rows point at a null item appended at
 * the end (as Lance does for Arrow dictionaries, A.6.4). */
static int flush_dict(lc_file_writer *w, w20col *c, lancec_error *err) {
  uint64_t n = c->v.n, nn = n - c->v.nulls;
  unsigned vb = c->bits / 8;
  page20 p = {0};
  lc_buf ce = {0}, dd = {0}, de = {0}, idx = {0}, kb = {0};
  uint32_t *keys = lc_malloc((size_t)(nn ? nn : 1) * sizeof(uint32_t));
  int rc = 0;
  if (!keys || ensure(&ce, (size_t)(nn ? nn : 1) * 8) || ensure(&kb, (size_t)n * (c->key_bits / 8) + 8)) {
    rc = OOM(err);
    goto out;
  }
  /* compact the non-null values (their end offsets; fixed width: i * width) */
  uint64_t *cends = (uint64_t *)ce.data;
  const uint64_t *ends = (const uint64_t *)c->ends.data;
  uint8_t *fixed = NULL;
  if (!c->dict_var) {
    fixed = lc_malloc((size_t)nn * vb + 1);
    if (!fixed) {
      rc = OOM(err);
      goto out;
    }
  }
  for (uint64_t i = 0, k = 0; i < n; i++) {
    if (!vb_valid(&c->v, i)) continue;
    if (c->dict_var) {
      cends[k] = ends[i];
    } else {
      memcpy(fixed + k * vb, c->vals.data + i * vb, vb);
      cends[k] = (k + 1) * vb;
    }
    k++;
  }
  size_t max_card = (size_t)(nn < c->key_max + 1 ? nn : c->key_max + 1);
  size_t card = 0;
  int r = lc_dict_build_var(c->dict_var ? bytes_of(&c->vals) : fixed, cends, (size_t)nn, max_card, keys, &dd,
                            &de, &card);
  lc_free(fixed);
  if (r < 0) {
    rc = OOM(err);
    goto out;
  }
  bool has_null = c->v.nulls > 0;
  uint64_t n_items = card + (has_null ? 1 : 0);
  if (r > 0 || (n_items && n_items - 1 > c->key_max)) {
    rc = lc_err(err, LANCEC_EUNSUPPORTED,
                "column '%s': a page needs %llu dictionary items, more than its key type indexes", c->f->name,
                (unsigned long long)n_items);
    goto out;
  }
  unsigned kbytes = c->key_bits / 8;
  for (uint64_t i = 0, k = 0; i < n; i++) {
    uint64_t key = vb_valid(&c->v, i) ? keys[k++] : card;
    uint8_t *d = kb.data + i * kbytes;
    switch (kbytes) {
      case 1:
        d[0] = (uint8_t)key;
        break;
      case 2:
        lc_st16(d, (uint16_t)key);
        break;
      case 4:
        lc_st32(d, (uint32_t)key);
        break;
      default:
        lc_st64(d, key);
        break;
    }
  }
  kb.len = (size_t)n * kbytes;
  lc_pbw ie = {0}, items = {0}, d = {0};
  ae_no_nulls_flat(&ie, c->key_bits, pg_buf(&p, kb.data, kb.len));
  /* the item validity: entries valid, the appended null item not */
  vbits iv = {0};
  if (vb_feed(&iv, NULL, 0, (int64_t)card) || (has_null && vb_put(&iv, false))) {
    rc = OOM(err);
  } else if (c->dict_var) {
    /* the null item has no bytes: its end repeats the last entry's */
    uint64_t last = card ? ((const uint64_t *)de.data)[card - 1] : 0;
    if (has_null && lc_buf_append(&de, &last, 8)) rc = OOM(err);
    if (!rc)
      rc = binary_enc(&p, (const uint64_t *)de.data, n_items, &iv, dd.data, dd.len, &idx, &items, NULL, false,
                      0, err);
  } else {
    if (has_null && lc_buf_append_zeros(&dd, vb)) rc = OOM(err);
    if (!rc) {
      nwrap nw = nw_begin(&p, &iv, n_items);
      lc_pbw fl = {0};
      if (!nw.all) ae_flat(&fl, c->bits, pg_buf(&p, dd.data, dd.len), NULL, false, 0);
      nw_end(&items, &nw, &fl);
      lc_pbw_free(&fl);
    }
  }
  if (!rc) {
    lc_pb_msg(&d, 1, &ie);
    lc_pb_msg(&d, 2, &items);
    lc_pb_uint(&d, 3, n_items, false);
    lc_pb_msg(&p.enc, 7, &d);
    rc = emit_page(w, c, &p, n, err);
  }
  lc_buf_free(&iv.b);
  lc_pbw_free(&ie), lc_pbw_free(&items), lc_pbw_free(&d), lc_pbw_free(&p.enc);
out:
  lc_free(keys);
  lc_buf_free(&ce), lc_buf_free(&dd), lc_buf_free(&de), lc_buf_free(&idx), lc_buf_free(&kb);
  return rc;
}

/* FixedSizeList: Nullable_rows(FSL(d0, Nullable_0(FSL(d1, ... Nullable_{L-1}(Flat))))) */
static void fsl_enc(page20 *p, w20col *c, int layer, lc_pbw *out) {
  vbits *v = layer < 0 ? &c->v : &c->iv[layer];
  uint64_t count = layer < 0 ? c->v.n : c->v.n * c->fsl_cum[layer];
  nwrap nw = nw_begin(p, v, count);
  lc_pbw inner = {0};
  if (!nw.all) {
    if (layer == c->fsl_levels - 1) {
      ae_flat(&inner, c->bits, pg_buf(p, c->vals.data, c->vals.len), NULL, false, 0);
    } else {
      lc_pbw items = {0}, f = {0};
      fsl_enc(p, c, layer + 1, &items);
      lc_pb_uint(&f, 1, c->fsl_dims[layer + 1], false);
      lc_pb_msg(&f, 2, &items);
      lc_pb_msg(&inner, 3, &f);
      lc_pbw_free(&items);
      lc_pbw_free(&f);
    }
  }
  nw_end(out, &nw, &inner);
  lc_pbw_free(&inner);
}

static int flush_col(lc_file_writer *w, w20col *c, lancec_error *err) {
  uint64_t n = c->v.n;
  page20 p = {0};
  int rc = 0;
  switch (c->kind) {
    case C20_VAR:
      rc = flush_var(w, c, err);
      break;
    case C20_DICT:
      rc = flush_dict(w, c, err);
      break;
    case C20_FIXED:
    case C20_BOOL:
    case C20_NULL: {
      nwrap nw = c->kind == C20_NULL ? (nwrap){.all = true} : nw_begin(&p, &c->v, n);
      lc_pbw fl = {0};
      if (!nw.all) ae_flat(&fl, c->bits, pg_buf(&p, c->vals.data, c->vals.len), NULL, false, 0);
      nw_end(&p.enc, &nw, &fl);
      lc_pbw_free(&fl);
      rc = emit_page(w, c, &p, n, err);
      break;
    }
    case C20_FSL: {
      /* layer -1 = the rows, whose items are FSL layer 0 */
      lc_pbw items = {0}, f = {0}, inner = {0};
      nwrap nw = nw_begin(&p, &c->v, n);
      if (!nw.all) {
        fsl_enc(&p, c, 0, &items);
        lc_pb_uint(&f, 1, c->fsl_dims[0], false);
        lc_pb_msg(&f, 2, &items);
        lc_pb_msg(&inner, 3, &f);
      }
      nw_end(&p.enc, &nw, &inner);
      lc_pbw_free(&items), lc_pbw_free(&f), lc_pbw_free(&inner);
      rc = emit_page(w, c, &p, n, err);
      break;
    }
    case C20_LIST: {
      /* u64 end per list; a null list stores end + N + 1 */
      uint64_t adj = c->items + 1;
      uint64_t *e = (uint64_t *)c->ends.data;
      for (uint64_t i = 0; i < n; i++)
        if (!vb_valid(&c->v, i)) e[i] += adj;
      lc_pbw off = {0}, l = {0};
      ae_no_nulls_flat(&off, 64, pg_buf(&p, c->ends.data, c->ends.len));
      lc_pb_msg(&l, 1, &off);
      lc_pb_uint(&l, 2, adj, false);
      lc_pb_uint(&l, 3, c->items, false);
      lc_pb_msg(&p.enc, 4, &l);
      lc_pbw_free(&off), lc_pbw_free(&l);
      rc = emit_page(w, c, &p, n, err);
      break;
    }
    case C20_PACKED:
    case C20_BLOB: {
      /* rows of the children, row-major; blob rows are (position, size) */
      lc_pbw ps = {0};
      size_t nk = c->kind == C20_BLOB ? 2 : c->pk_n;
      for (size_t k = 0; k < nk; k++) {
        lc_pbw ch = {0};
        ae_no_nulls_flat(&ch, c->kind == C20_BLOB ? 64 : 8ull * c->pk_bytes[k], 0);
        lc_pb_msg(&ps, 1, &ch);
        lc_pbw_free(&ch);
      }
      lc_buf rows = {0};
      const void *rdata = c->vals.data;
      size_t rlen = c->vals.len;
      if (c->kind == C20_BLOB) {
        /* each non-empty payload is its own buffer, written before the page;
         * rows are (absolute position, size), (0, 0) empty, (1, 0) null */
        const uint64_t *ends = (const uint64_t *)c->ends.data;
        if (ensure(&rows, (size_t)n * 16 + 16)) rc = OOM(err);
        for (uint64_t i = 0; i < n && !rc; i++) {
          uint64_t s = i ? ends[i - 1] : 0, len = ends[i] - s, pos = 0;
          if (!vb_valid(&c->v, i)) {
            pos = 1;
          } else if (len) {
            rc = lc_w_write_buffer(w, c->vals.data + s, (size_t)len, &pos, err);
          }
          lc_st64(rows.data + 16 * i, pos);
          lc_st64(rows.data + 16 * i + 8, len);
        }
        rows.len = (size_t)n * 16;
        rdata = rows.data;
        rlen = rows.len;
      }
      pb_buffer(&ps, 2, pg_buf(&p, rdata, rlen));
      lc_pb_msg(&p.enc, 9, &ps);
      lc_pbw_free(&ps);
      if (!rc) rc = emit_page(w, c, &p, n, err);
      lc_buf_free(&rows);
      break;
    }
    case C20_STRUCT: {
      lc_pbw s = {0};
      lc_pb_msg(&p.enc, 5, &s);
      rc = emit_page(w, c, &p, c->total, err);
      break;
    }
  }
  lc_pbw_free(&p.enc);
  col_reset(c);
  return rc;
}

static size_t col_pending(const w20col *c) {
  size_t b = c->vals.len + c->ends.len + c->v.b.len;
  for (int k = 0; k < c->fsl_levels; k++) b += c->iv[k].b.len;
  return b;
}

/* ---- feeding Arrow arrays ---- */

/* Index ranges [start, start + len) into an array's buffers (the array's
 * own offset included). */
typedef struct rng {
  int64_t start, len;
} rng;

static int rng_push(lc_buf *b, int64_t start, int64_t len) {
  if (len <= 0) return 0;
  if (b->len) {
    rng *last = (rng *)(b->data + b->len - sizeof(rng));
    if (last->start + last->len == start) {
      last->len += len;
      return 0;
    }
  }
  rng r = {start, len};
  return lc_buf_append(b, &r, sizeof r);
}

static int null_struct(const w20col *c, int64_t nulls, lancec_error *err) {
  return lc_err(
      err, LANCEC_EUNSUPPORTED,
      "struct field '%s' has %lld null value(s), but file format 2.0 does not store struct validity; "
      "use 2.1 or later",
      c->f->name, (long long)nulls);
}

static int feed(lc_file_writer *w, size_t *ci, const struct ArrowArray *a, const rng *r, size_t nr,
                lancec_error *err);

static int feed_var(w20col *c, const struct ArrowArray *a, const rng *r, size_t nr, lancec_error *err) {
  const uint8_t *bm = validity_of(a);
  const void *offs = a->buffers[1];
  const uint8_t *src = a->buffers[2];
  for (size_t k = 0; k < nr; k++) {
    int64_t s = r[k].start, len = r[k].len;
    uint64_t base = c->v.n;
    if (ensure(&c->ends, c->ends.len + (size_t)len * 8) || vb_feed(&c->v, bm, s, len)) return OOM(err);
    uint64_t *ends = (uint64_t *)(c->ends.data + c->ends.len);
    uint64_t end = c->vals.len;
    bool nulls = c->v.mat && lc_bits_count_zero(c->v.b.data, (int64_t)base, len);
    if (!nulls) {
      int64_t s0 = off_at(offs, c->large, s), s1 = off_at(offs, c->large, s + len);
      if (s1 > s0 && lc_buf_append(&c->vals, src + s0, (size_t)(s1 - s0))) return OOM(err);
      for (int64_t i = 0; i < len; i++) ends[i] = end + (uint64_t)(off_at(offs, c->large, s + i + 1) - s0);
    } else {
      for (int64_t i = 0; i < len; i++) {
        if (lc_bit_get(c->v.b.data, (int64_t)base + i)) {
          int64_t s0 = off_at(offs, c->large, s + i), s1 = off_at(offs, c->large, s + i + 1);
          if (s1 > s0 && lc_buf_append(&c->vals, src + s0, (size_t)(s1 - s0))) return OOM(err);
          end += (uint64_t)(s1 - s0);
        }
        ends[i] = end;
      }
    }
    c->ends.len += (size_t)len * 8;
  }
  return 0;
}

/* Arrow dictionary: materialise each row's value (bytes + end, or the fixed
 * width bytes); a null key or a null value is a null row. */
static int feed_dict(w20col *c, const struct ArrowArray *a, const rng *r, size_t nr, lancec_error *err) {
  const struct ArrowArray *d = a->dictionary;
  if (!d) return lc_err(err, LANCEC_ETYPE, "column '%s': dictionary array without a dictionary", c->f->name);
  const uint8_t *kbm = validity_of(a), *dbm = validity_of(d);
  const void *kbuf = a->buffers[1];
  unsigned vb = c->bits / 8;
  for (size_t k = 0; k < nr; k++) {
    for (int64_t p = r[k].start; p < r[k].start + r[k].len; p++) {
      bool valid = !kbm || lc_bit_get(kbm, p);
      int64_t di = -1;
      if (valid) {
        int64_t key;
        switch (c->key_type) {
          case LC_T_INT8:
            key = ((const int8_t *)kbuf)[p];
            break;
          case LC_T_UINT8:
            key = ((const uint8_t *)kbuf)[p];
            break;
          case LC_T_INT16:
            key = ((const int16_t *)kbuf)[p];
            break;
          case LC_T_UINT16:
            key = ((const uint16_t *)kbuf)[p];
            break;
          case LC_T_INT32:
            key = ((const int32_t *)kbuf)[p];
            break;
          case LC_T_UINT32:
            key = ((const uint32_t *)kbuf)[p];
            break;
          case LC_T_UINT64:
            key = (int64_t)((const uint64_t *)kbuf)[p];
            break;
          default:
            key = ((const int64_t *)kbuf)[p];
            break;
        }
        if (key < 0 || key >= d->length)
          return lc_err(err, LANCEC_ETYPE, "column '%s': dictionary key %lld out of range", c->f->name,
                        (long long)key);
        di = d->offset + key;
        if (dbm && !lc_bit_get(dbm, di)) valid = false;
      }
      if (vb_put(&c->v, valid)) return OOM(err);
      if (c->dict_var) {
        uint64_t end = c->vals.len;
        if (valid) {
          int64_t s0 = off_at(d->buffers[1], c->large, di), s1 = off_at(d->buffers[1], c->large, di + 1);
          if (s1 > s0 && lc_buf_append(&c->vals, (const uint8_t *)d->buffers[2] + s0, (size_t)(s1 - s0)))
            return OOM(err);
          end += (uint64_t)(s1 - s0);
        }
        if (lc_buf_append(&c->ends, &end, 8)) return OOM(err);
      } else if (valid) {
        if (lc_buf_append(&c->vals, (const uint8_t *)d->buffers[1] + (size_t)di * vb, vb)) return OOM(err);
      } else if (lc_buf_append_zeros(&c->vals, vb)) {
        return OOM(err);
      }
    }
  }
  return 0;
}

static int feed_fsl(w20col *c, const struct ArrowArray *a, const rng *r, size_t nr, lancec_error *err) {
  const struct ArrowArray *arr[W20_MAX_FSL + 1];
  arr[0] = a;
  for (int l = 0; l < c->fsl_levels; l++) {
    if (arr[l]->n_children < 1 || !arr[l]->children[0])
      return lc_err(err, LANCEC_ETYPE, "column '%s': fixed_size_list child missing", c->f->name);
    arr[l + 1] = arr[l]->children[0];
  }
  const struct ArrowArray *leaf = arr[c->fsl_levels];
  for (size_t k = 0; k < nr; k++) {
    int64_t s = r[k].start, len = r[k].len;
    if (vb_feed(&c->v, validity_of(a), s, len)) return OOM(err);
    int64_t at = s;
    for (int l = 0; l < c->fsl_levels; l++) {
      at = arr[l + 1]->offset + at * (int64_t)c->fsl_dims[l];
      if (vb_feed(&c->iv[l], validity_of(arr[l + 1]), at, len * (int64_t)c->fsl_cum[l])) return OOM(err);
    }
    int64_t items = len * (int64_t)c->fsl_cum[c->fsl_levels - 1];
    if (c->bits == 1) {
      uint64_t before = (c->v.n - (uint64_t)len) * c->fsl_cum[c->fsl_levels - 1]; /* bits so far */
      size_t need = lc_bitmap_bytes((int64_t)(before + (uint64_t)items));
      if (ensure(&c->vals, need + 8)) return OOM(err);
      if (c->vals.len < need) memset(c->vals.data + c->vals.len, 0, need - c->vals.len);
      lc_bits_copy(c->vals.data, (int64_t)before, leaf->buffers[1], at, items);
      c->vals.len = need;
    } else {
      size_t B = c->bits / 8;
      if (lc_buf_append(&c->vals, (const uint8_t *)leaf->buffers[1] + (size_t)at * B, (size_t)items * B))
        return OOM(err);
    }
  }
  return 0;
}

static int feed(lc_file_writer *w, size_t *ci, const struct ArrowArray *a, const rng *r, size_t nr,
                lancec_error *err) {
  w20col *c = &w->v20->cols[(*ci)++];
  const lc_field *f = c->f;
  int64_t count = 0;
  for (size_t k = 0; k < nr; k++) count += r[k].len;
  c->total += (uint64_t)count;
  switch (c->kind) {
    case C20_NULL:
      c->v.n += (uint64_t)count;
      c->v.nulls += (uint64_t)count;
      return 0;
    case C20_FIXED:
    case C20_BOOL: {
      const uint8_t *bm = validity_of(a);
      for (size_t k = 0; k < nr; k++) {
        uint64_t before = c->v.n;
        if (vb_feed(&c->v, bm, r[k].start, r[k].len)) return OOM(err);
        if (c->kind == C20_BOOL) {
          size_t need = lc_bitmap_bytes((int64_t)c->v.n);
          if (ensure(&c->vals, need + 8)) return OOM(err);
          if (c->vals.len < need) memset(c->vals.data + c->vals.len, 0, need - c->vals.len);
          lc_bits_copy(c->vals.data, (int64_t)before, a->buffers[1], r[k].start, r[k].len);
          c->vals.len = need;
        } else {
          size_t B = c->bits / 8;
          if (lc_buf_append(&c->vals, (const uint8_t *)a->buffers[1] + (size_t)r[k].start * B,
                            (size_t)r[k].len * B))
            return OOM(err);
        }
      }
      return 0;
    }
    case C20_VAR:
    case C20_BLOB:
      return feed_var(c, a, r, nr, err);
    case C20_DICT:
      return feed_dict(c, a, r, nr, err);
    case C20_FSL:
      return feed_fsl(c, a, r, nr, err);
    case C20_PACKED: {
      const uint8_t *bm = validity_of(a);
      for (size_t k = 0; k < nr; k++) {
        int64_t z = bm ? lc_bits_count_zero(bm, r[k].start, r[k].len) : 0;
        if (z) return null_struct(c, z, err);
      }
      for (size_t k = 0; k < nr; k++) {
        size_t at = c->vals.len;
        if (lc_buf_append_zeros(&c->vals, (size_t)r[k].len * c->bytes)) return OOM(err);
        size_t col = 0;
        for (size_t j = 0; j < c->pk_n; j++) {
          const struct ArrowArray *ch = a->children[j];
          size_t kb = c->pk_bytes[j];
          const uint8_t *src = (const uint8_t *)ch->buffers[1] + (size_t)(ch->offset + r[k].start) * kb;
          for (int64_t i = 0; i < r[k].len; i++)
            memcpy(c->vals.data + at + (size_t)i * c->bytes + col, src + i * kb, kb);
          col += kb;
        }
      }
      c->v.n += (uint64_t)count;
      return 0;
    }
    case C20_STRUCT: {
      const uint8_t *bm = validity_of(a);
      for (size_t k = 0; k < nr; k++) {
        int64_t z = bm ? lc_bits_count_zero(bm, r[k].start, r[k].len) : 0;
        if (z) return null_struct(c, z, err);
      }
      if ((size_t)a->n_children < f->n_children)
        return lc_err(err, LANCEC_ETYPE, "column '%s': struct child missing", f->name);
      lc_buf cr = {0};
      int rc = 0;
      for (size_t j = 0; j < f->n_children && !rc; j++) {
        const struct ArrowArray *ch = a->children[j];
        if (ch->offset == 0) {
          rc = feed(w, ci, ch, r, nr, err);
          continue;
        }
        cr.len = 0;
        for (size_t k = 0; k < nr && !rc; k++)
          if (rng_push(&cr, ch->offset + r[k].start, r[k].len)) rc = OOM(err);
        if (!rc) rc = feed(w, ci, ch, (const rng *)cr.data, cr.len / sizeof(rng), err);
      }
      lc_buf_free(&cr);
      return rc;
    }
    case C20_LIST: {
      const uint8_t *bm = validity_of(a);
      const void *offs = a->buffers[1];
      if (a->n_children < 1 || !a->children[0])
        return lc_err(err, LANCEC_ETYPE, "column '%s': list child missing", f->name);
      const struct ArrowArray *ch = a->children[0];
      lc_buf cr = {0};
      int rc = 0;
      for (size_t k = 0; k < nr && !rc; k++) {
        if (vb_feed(&c->v, bm, r[k].start, r[k].len) ||
            ensure(&c->ends, c->ends.len + (size_t)r[k].len * 8)) {
          rc = OOM(err);
          break;
        }
        uint64_t *ends = (uint64_t *)(c->ends.data + c->ends.len);
        for (int64_t i = 0; i < r[k].len && !rc; i++) {
          int64_t p = r[k].start + i;
          if (!bm || lc_bit_get(bm, p)) {
            int64_t s = off_at(offs, c->large, p), e = off_at(offs, c->large, p + 1);
            if (e > s) {
              c->items += (uint64_t)(e - s);
              if (rng_push(&cr, ch->offset + s, e - s)) rc = OOM(err);
            }
          }
          ends[i] = c->items;
        }
        c->ends.len += (size_t)r[k].len * 8;
      }
      if (!rc) rc = feed(w, ci, ch, (const rng *)cr.data, cr.len / sizeof(rng), err);
      lc_buf_free(&cr);
      return rc;
    }
  }
  return 0;
}

/* ---- setup ---- */

static int col_setup(w20col *c, const lc_field *f, lancec_error *err) {
  c->f = f;
  if (lc_field_is_blob_v2(f))
    return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': blob v2 columns need file format 2.2", f->name);
  if (lc_field_is_blob_legacy(f)) {
    if (f->parent)
      return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': nested legacy blob columns are not written",
                    f->name);
    c->kind = C20_BLOB;
    c->large = f->type == LC_T_LARGE_BINARY;
    return 0;
  }
  switch (f->type) {
    case LC_T_NULL:
      c->kind = C20_NULL;
      return 0;
    case LC_T_BOOL:
      c->kind = C20_BOOL, c->bits = 1;
      return 0;
    case LC_T_STRING:
    case LC_T_LARGE_STRING:
    case LC_T_BINARY:
    case LC_T_LARGE_BINARY: {
      c->kind = C20_VAR;
      c->large = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY;
      c->auto_dict = f->type == LC_T_STRING;
      const char *z = meta_get(f, "lance-encoding:compression");
      if (z && !strcasecmp(z, "zstd"))
        c->comp = Z_ZSTD;
      else if (z && !strcasecmp(z, "none"))
        c->comp = Z_NONE;
      else if (z && !strcasecmp(z, "fsst") && !c->large)
        c->comp = Z_FSST;
      const char *lv = meta_get(f, "lance-encoding:compression-level");
      if (lv && *lv && c->comp == Z_ZSTD) {
        char *end = NULL;
        long l = strtol(lv, &end, 10);
        if (end && !*end && l >= -131072 && l <= 22) c->has_level = true, c->level = (int)l;
      }
      return 0;
    }
    case LC_T_STRUCT:
      if (lc_field_is_packed_struct(f) && f->n_children > 0) {
        c->kind = C20_PACKED;
        c->pk_bytes = lc_calloc(f->n_children, sizeof(unsigned));
        if (!c->pk_bytes) return OOM(err);
        c->pk_n = f->n_children;
        for (size_t k = 0; k < f->n_children; k++) {
          const lc_field *ch = f->children[k];
          int b = lc_type_bit_width(ch);
          if (b <= 0 || b % 8 || ch->type == LC_T_FIXED_LIST || ch->nullable)
            return lc_err(err, LANCEC_EUNSUPPORTED,
                          "packed struct '%s': child '%s' must be a non-nullable fixed-width primitive",
                          f->name, ch->name);
          c->pk_bytes[k] = (unsigned)(b / 8);
          c->bytes += (unsigned)(b / 8);
        }
        return 0;
      }
      c->kind = C20_STRUCT;
      return 0;
    case LC_T_LIST:
    case LC_T_LARGE_LIST:
      if (f->n_children != 1) return lc_err(err, LANCEC_EINVAL, "list field '%s' without an item", f->name);
      c->kind = C20_LIST;
      c->large = f->type == LC_T_LARGE_LIST;
      return 0;
    case LC_T_MAP:
      return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': map needs file format 2.2", f->name);
    case LC_T_FIXED_LIST: {
      const lc_field *x = f;
      uint64_t dim = 1;
      int lv = 0;
      while (x->type == LC_T_FIXED_LIST && x->n_children == 1 && x->width > 0 && lv < W20_MAX_FSL) {
        c->fsl_dims[lv] = (uint64_t)x->width;
        dim *= (uint64_t)x->width;
        c->fsl_cum[lv] = dim;
        x = x->children[0];
        lv++;
      }
      int b = lc_type_bit_width(x);
      if (x->type == LC_T_FIXED_LIST || b <= 0 || (b > 1 && b % 8) || x->type == LC_T_DICT)
        return lc_err(err, LANCEC_EUNSUPPORTED,
                      "field '%s': fixed_size_list of %s is not written in file format 2.0", f->name,
                      lc_type_name(x->type));
      c->kind = C20_FSL;
      c->fsl_levels = lv;
      c->bits = (unsigned)b;
      return 0;
    }
    case LC_T_DICT: {
      const lc_field *v = f->dict_value;
      if (!v) return lc_err(err, LANCEC_EINVAL, "dictionary field '%s' without a value type", f->name);
      c->kind = C20_DICT;
      c->key_type = f->dict_key;
      switch (f->dict_key) {
        case LC_T_INT8:
          c->key_bits = 8, c->key_max = INT8_MAX;
          break;
        case LC_T_UINT8:
          c->key_bits = 8, c->key_max = UINT8_MAX;
          break;
        case LC_T_INT16:
          c->key_bits = 16, c->key_max = INT16_MAX;
          break;
        case LC_T_UINT16:
          c->key_bits = 16, c->key_max = UINT16_MAX;
          break;
        case LC_T_INT32:
          c->key_bits = 32, c->key_max = INT32_MAX;
          break;
        case LC_T_UINT32:
          c->key_bits = 32, c->key_max = UINT32_MAX;
          break;
        default:
          c->key_bits = 64, c->key_max = INT64_MAX;
          break;
      }
      if (lc_type_is_binary_like(v->type)) {
        c->dict_var = true;
        c->large = v->type == LC_T_LARGE_STRING || v->type == LC_T_LARGE_BINARY;
        return 0;
      }
      int b = lc_type_bit_width(v);
      if (b <= 0 || b % 8 || v->type == LC_T_FIXED_LIST)
        return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': dictionary of %s is not written", f->name,
                      lc_type_name(v->type));
      c->bits = (unsigned)b;
      return 0;
    }
    default:
      break;
  }
  int b = lc_type_bit_width(f);
  if (b <= 0 || b % 8)
    return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': type %s is not written", f->name,
                  lc_type_name(f->type));
  c->kind = C20_FIXED;
  c->bits = (unsigned)b;
  return 0;
}

/* Pre-order walk: one column per field; FSL, dictionaries, packed structs
 * and blobs own their children. */
static int walk(lc_buf *cols, const lc_field *f, int depth, lancec_error *err) {
  if (depth > 64) return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s' is nested too deeply", f->name);
  w20col c;
  memset(&c, 0, sizeof c);
  int rc = col_setup(&c, f, err);
  if (rc || lc_buf_append(cols, &c, sizeof c)) {
    lc_free(c.pk_bytes);
    return rc ? rc : OOM(err);
  }
  if (c.kind != C20_STRUCT && c.kind != C20_LIST) return 0;
  for (size_t i = 0; i < f->n_children; i++) LC_TRY(walk(cols, f->children[i], depth + 1, err));
  return 0;
}

static void col_free(w20col *c) {
  lc_buf_free(&c->v.b);
  for (int k = 0; k < W20_MAX_FSL; k++) lc_buf_free(&c->iv[k].b);
  lc_buf_free(&c->vals);
  lc_buf_free(&c->ends);
  lc_free(c->pk_bytes);
  lc_pbw_free(&c->pages);
}

void lc_w20_free(lc_w20 *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n_cols; i++) col_free(&s->cols[i]);
  lc_free(s->cols);
  lc_free(s);
}

int lc_w20_new(lc_file_writer *w, lancec_error *err) {
  lc_w20 *s = lc_calloc(1, sizeof *s);
  if (!s) return OOM(err);
  lc_buf cols = {0};
  int rc = 0;
  for (size_t i = 0; i < w->schema->n_fields && !rc; i++) rc = walk(&cols, w->schema->fields[i], 0, err);
  s->n_cols = cols.len / sizeof(w20col);
  s->cols = (w20col *)lc_buf_steal(&cols, NULL);
  if (rc) {
    lc_w20_free(s);
    return rc;
  }
  w->v20 = s;
  return 0;
}

uint64_t lc_w20_pending(const lc_file_writer *w) {
  uint64_t b = 0;
  for (size_t i = 0; i < w->v20->n_cols; i++) b += col_pending(&w->v20->cols[i]);
  return b;
}

int lc_w20_write(lc_file_writer *w, const struct ArrowArray *batch, lancec_error *err) {
  lc_w20 *s = w->v20;
  for (int64_t r0 = 0; r0 < batch->length; r0 += W20_SLICE) {
    int64_t n = batch->length - r0 < W20_SLICE ? batch->length - r0 : W20_SLICE;
    size_t ci = 0;
    for (size_t i = 0; i < w->schema->n_fields; i++) {
      const struct ArrowArray *a = batch->children[i];
      rng r = {a->offset + batch->offset + r0, n};
      LC_TRY(feed(w, &ci, a, &r, 1, err));
    }
    for (size_t k = 0; k < s->n_cols; k++) {
      w20col *c = &s->cols[k];
      if (c->kind != C20_STRUCT && col_pending(c) >= W_PAGE_BYTES) LC_TRY(flush_col(w, c, err));
    }
    w->rows += (uint64_t)n;
  }
  return 0;
}

int lc_w20_finish(lc_file_writer *w, lancec_error *err) {
  lc_w20 *s = w->v20;
  /* the last pages; a column that got no page yet gets one (maybe empty, as
   * Lance writes for the items of lists that are all empty) unless the
   * file has no rows; struct headers are one page written last */
  if (w->rows) {
    for (size_t k = 0; k < s->n_cols; k++) {
      w20col *c = &s->cols[k];
      if (c->kind == C20_STRUCT) continue;
      if (c->v.n || c->n_pages == 0) LC_TRY(flush_col(w, c, err));
    }
    for (size_t k = 0; k < s->n_cols; k++)
      if (s->cols[k].kind == C20_STRUCT) LC_TRY(flush_col(w, &s->cols[k], err));
  }
  const lc_pbw **pages = lc_calloc(s->n_cols ? s->n_cols : 1, sizeof(*pages));
  bool *blob = lc_calloc(s->n_cols ? s->n_cols : 1, sizeof(bool));
  int rc = 0;
  if (!pages || !blob) rc = OOM(err);
  for (size_t k = 0; k < s->n_cols && !rc; k++) {
    pages[k] = &s->cols[k].pages;
    blob[k] = s->cols[k].kind == C20_BLOB;
  }
  if (!rc) rc = lc_w_finish_container(w, pages, blob, s->n_cols, 0, 3, err);
  lc_free(pages);
  lc_free(blob);
  return rc;
}
