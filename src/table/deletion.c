/* Deletion files (table-format.md §7, file-format-2.0-legacy-and-aux.md §C-D):
 * Arrow IPC files with one uint32 column `row_id` (read with a small
 * bounds-checked flatbuffer walker, ZSTD body compression supported) and
 * portable 32-bit Roaring bitmaps (CRoaring). */
#include <inttypes.h>
#include <roaring/roaring.h>
#include <stdio.h>
#include <zstd.h>

#include "table/table.h"

#define LC_DELETION_DEFAULT_MAX ((uint64_t)1 << 30)

/* ---- flatbuffer walker -------------------------------------------------------- */

typedef struct fb {
  const uint8_t *b;
  size_t n;
} fb;

typedef struct fbt {
  const fb *buf;
  size_t pos;    /* table start */
  size_t vt;     /* vtable start */
  uint16_t vt_size;
  uint16_t t_size;
} fbt;

static bool fb_table_at(const fb *f, size_t pos, fbt *t) {
  if (pos > f->n || f->n - pos < 4) return false;
  int64_t vt = (int64_t)pos - (int64_t)(int32_t)lc_le32(f->b + pos);
  if (vt < 0 || (uint64_t)vt > f->n || f->n - (size_t)vt < 4) return false;
  uint16_t vs = lc_le16(f->b + vt), ts = lc_le16(f->b + vt + 2);
  if (vs < 4 || (vs & 1) || (size_t)vt + vs > f->n || ts < 4 || pos + ts > f->n) return false;
  *t = (fbt){f, pos, (size_t)vt, vs, ts};
  return true;
}

static bool fb_root(const fb *f, fbt *t) {
  if (f->n < 4) return false;
  return fb_table_at(f, lc_le32(f->b), t);
}

/* Offset of `slot` inside the table (0 = absent); false if malformed. */
static bool fb_slot(const fbt *t, int slot, size_t size, size_t *off) {
  size_t e = 4 + 2 * (size_t)slot;
  *off = 0;
  if (e + 2 > t->vt_size) return true;
  uint16_t o = lc_le16(t->buf->b + t->vt + e);
  if (o == 0) return true;
  if ((size_t)o + size > t->t_size) return false;
  *off = t->pos + o;
  return true;
}

static bool fb_i64(const fbt *t, int slot, int64_t def, int64_t *v) {
  size_t o;
  if (!fb_slot(t, slot, 8, &o)) return false;
  *v = o ? (int64_t)lc_le64(t->buf->b + o) : def;
  return true;
}
static bool fb_i32(const fbt *t, int slot, int32_t def, int32_t *v) {
  size_t o;
  if (!fb_slot(t, slot, 4, &o)) return false;
  *v = o ? (int32_t)lc_le32(t->buf->b + o) : def;
  return true;
}
static bool fb_i16(const fbt *t, int slot, int16_t def, int16_t *v) {
  size_t o;
  if (!fb_slot(t, slot, 2, &o)) return false;
  *v = o ? (int16_t)lc_le16(t->buf->b + o) : def;
  return true;
}
static bool fb_u8(const fbt *t, int slot, uint8_t def, uint8_t *v) {
  size_t o;
  if (!fb_slot(t, slot, 1, &o)) return false;
  *v = o ? t->buf->b[o] : def;
  return true;
}

/* Reference slot → absolute position of the target (0 and *present=false if absent). */
static bool fb_ref(const fbt *t, int slot, size_t *target, bool *present) {
  size_t o;
  *present = false;
  if (!fb_slot(t, slot, 4, &o)) return false;
  if (!o) return true;
  uint64_t tg = (uint64_t)o + lc_le32(t->buf->b + o);
  if (tg >= t->buf->n) return false;
  *target = (size_t)tg;
  *present = true;
  return true;
}

static bool fb_sub_table(const fbt *t, int slot, fbt *out, bool *present) {
  size_t tg;
  if (!fb_ref(t, slot, &tg, present)) return false;
  if (!*present) return true;
  return fb_table_at(t->buf, tg, out);
}

/* Vector slot: count and position of the first element (elements of `esize`). */
static bool fb_vector(const fbt *t, int slot, size_t esize, uint32_t *count, size_t *elems,
                      bool *present) {
  size_t tg;
  *count = 0;
  if (!fb_ref(t, slot, &tg, present)) return false;
  if (!*present) return true;
  if (t->buf->n - tg < 4) return false;
  uint32_t c = lc_le32(t->buf->b + tg);
  if ((uint64_t)c * esize > t->buf->n - tg - 4) return false;
  *count = c;
  *elems = tg + 4;
  return true;
}

/* Table element i of a vector of tables. */
static bool fb_vector_table(const fb *f, size_t elems, uint32_t i, fbt *out) {
  size_t p = elems + 4 * (size_t)i;
  uint64_t tg = (uint64_t)p + lc_le32(f->b + p);
  if (tg >= f->n) return false;
  return fb_table_at(f, (size_t)tg, out);
}

static bool fb_string_eq(const fbt *t, int slot, const char *s) {
  size_t tg;
  bool present;
  if (!fb_ref(t, slot, &tg, &present) || !present) return false;
  if (t->buf->n - tg < 4) return false;
  uint32_t l = lc_le32(t->buf->b + tg);
  if (l > t->buf->n - tg - 4) return false;
  return l == strlen(s) && !memcmp(t->buf->b + tg + 4, s, l);
}

/* ---- helpers ------------------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Sort and de-duplicate in place; returns the new length. */
static size_t sort_unique(uint32_t *v, size_t n) {
  bool sorted = true;
  for (size_t i = 1; i < n && sorted; i++) sorted = v[i - 1] < v[i];
  if (!sorted) qsort(v, n, sizeof(*v), cmp_u32);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (k == 0 || v[k - 1] != v[i]) v[k++] = v[i];
  return k;
}

/* ---- Arrow IPC ---------------------------------------------------------------------- */

#define BAD(...) lc_err(err, LANCEC_ECORRUPT, __VA_ARGS__)

static int check_schema(const fbt *footer, const char *name, lancec_error *err) {
  fbt schema, field, type;
  bool present;
  if (!fb_sub_table(footer, 1, &schema, &present) || !present)
    return BAD("%s: deletion file footer has no schema", name);
  int16_t endian;
  if (!fb_i16(&schema, 0, 0, &endian) || endian != 0)
    return BAD("%s: deletion file is not little-endian", name);
  uint32_t nf;
  size_t elems;
  if (!fb_vector(&schema, 1, 4, &nf, &elems, &present) || nf != 1)
    return BAD("%s: deletion file schema must have exactly one field (row_id: uint32)", name);
  if (!fb_vector_table(schema.buf, elems, 0, &field))
    return BAD("%s: deletion file schema field is malformed", name);
  uint8_t nullable, type_type;
  if (!fb_string_eq(&field, 0, "row_id"))
    return BAD("%s: deletion file column is not named 'row_id'", name);
  if (!fb_u8(&field, 1, 0, &nullable) || !fb_u8(&field, 2, 0, &type_type))
    return BAD("%s: deletion file schema field is malformed", name);
  if (type_type != 2 || !fb_sub_table(&field, 3, &type, &present) || !present)
    return BAD("%s: deletion file column 'row_id' is not an integer column", name);
  int32_t bits;
  uint8_t is_signed;
  if (!fb_i32(&type, 0, 0, &bits) || !fb_u8(&type, 1, 0, &is_signed) || bits != 32 || is_signed)
    return BAD("%s: deletion file column 'row_id' is not uint32", name);
  if (nullable) return BAD("%s: deletion file column 'row_id' must not be nullable", name);
  size_t dict;
  if (!fb_ref(&field, 4, &dict, &present) || present)
    return BAD("%s: deletion file column 'row_id' must not be dictionary-encoded", name);
  uint32_t nc;
  if (!fb_vector(&field, 5, 4, &nc, &elems, &present) || nc != 0)
    return BAD("%s: deletion file column 'row_id' must not have children", name);
  return 0;
}

int lc_deletion_parse_arrow_limit(const uint8_t *data, size_t len, const char *name,
                                  uint64_t max_rows, uint32_t **rows, size_t *n, lancec_error *err) {
  if (!name) name = "deletion file";
  *rows = NULL;
  *n = 0;
  if (!data || len < 6 + 2 + 4 + 6 || memcmp(data, "ARROW1", 6) != 0 ||
      memcmp(data + len - 6, "ARROW1", 6) != 0)
    return BAD("%s: not an Arrow IPC file (bad magic)", name);
  int32_t flen = (int32_t)lc_le32(data + len - 10);
  if (flen <= 0 || (size_t)flen > len - 10 - 8)
    return BAD("%s: Arrow footer length %d is invalid", name, flen);
  fb footer_buf = {data + len - 10 - flen, (size_t)flen};
  fbt footer;
  if (!fb_root(&footer_buf, &footer)) return BAD("%s: Arrow footer is malformed", name);
  LC_TRY(check_schema(&footer, name, err));

  uint32_t nb;
  size_t elems;
  bool present;
  if (!fb_vector(&footer, 3, 24, &nb, &elems, &present))
    return BAD("%s: Arrow footer record batch list is malformed", name);
  if (nb != 1) return BAD("%s: deletion file must hold exactly one record batch (found %u)", name, nb);
  int64_t boff = (int64_t)lc_le64(footer_buf.b + elems);
  int32_t meta_len = (int32_t)lc_le32(footer_buf.b + elems + 8);
  int64_t body_len = (int64_t)lc_le64(footer_buf.b + elems + 16);
  if (boff < 0 || meta_len < 8 || body_len < 0 || (uint64_t)boff > len ||
      (uint64_t)meta_len > len - (uint64_t)boff || (uint64_t)body_len > len - (uint64_t)boff - (uint64_t)meta_len)
    return BAD("%s: record batch block (offset %" PRId64 ") is outside the file", name, boff);

  /* the encapsulated message */
  size_t mpos = (size_t)boff;
  uint32_t first = lc_le32(data + mpos);
  size_t fbstart = first == 0xFFFFFFFFu ? mpos + 8 : mpos + 4;
  if (fbstart > (size_t)boff + (size_t)meta_len) return BAD("%s: record batch message is truncated", name);
  int32_t mlen = (int32_t)lc_le32(data + fbstart - 4);
  if (mlen <= 0 || (size_t)mlen > (size_t)boff + (size_t)meta_len - fbstart)
    return BAD("%s: record batch message length %d is invalid", name, mlen);
  fb msg_buf = {data + fbstart, (size_t)mlen};
  fbt msg, rb, comp;
  uint8_t htype;
  if (!fb_root(&msg_buf, &msg) || !fb_u8(&msg, 1, 0, &htype))
    return BAD("%s: record batch message is malformed", name);
  if (htype != 3) return BAD("%s: expected a RecordBatch message, found header type %u", name, htype);
  if (!fb_sub_table(&msg, 2, &rb, &present) || !present)
    return BAD("%s: record batch message has no header", name);
  int64_t nrows;
  if (!fb_i64(&rb, 0, 0, &nrows) || nrows < 0) return BAD("%s: record batch length is invalid", name);
  if ((uint64_t)nrows > max_rows)
    return lc_err(err, LANCEC_ECORRUPT, "%s: deletion file claims %" PRId64 " rows (limit %" PRIu64 ")",
                  name, nrows, max_rows);
  uint32_t nn, nbuf;
  size_t nodes, bufs;
  if (!fb_vector(&rb, 1, 16, &nn, &nodes, &present) || nn != 1)
    return BAD("%s: record batch must have exactly one field node", name);
  int64_t node_len = (int64_t)lc_le64(msg_buf.b + nodes);
  int64_t node_nulls = (int64_t)lc_le64(msg_buf.b + nodes + 8);
  if (node_len != nrows) return BAD("%s: field node length %" PRId64 " != batch length %" PRId64, name, node_len, nrows);
  if (node_nulls != 0) return BAD("%s: deletion file row_id column contains nulls", name);
  if (!fb_vector(&rb, 2, 16, &nbuf, &bufs, &present) || nbuf != 2)
    return BAD("%s: record batch must have two buffers (validity, values)", name);
  int64_t vo = (int64_t)lc_le64(msg_buf.b + bufs + 16), vl = (int64_t)lc_le64(msg_buf.b + bufs + 24);
  if (vo < 0 || vl < 0 || vo > body_len || vl > body_len - vo)
    return BAD("%s: values buffer (%" PRId64 ", %" PRId64 ") is outside the body", name, vo, vl);
  const uint8_t *vbuf = data + boff + meta_len + vo;
  size_t need = (size_t)nrows * 4;
  bool compressed;
  if (!fb_sub_table(&rb, 3, &comp, &compressed)) return BAD("%s: body compression is malformed", name);
  uint8_t *tmp = NULL;
  const uint8_t *vals = vbuf;
  if (compressed && vl > 0) {
    uint8_t codec, method;
    if (!fb_u8(&comp, 0, 0, &codec) || !fb_u8(&comp, 1, 0, &method))
      return BAD("%s: body compression is malformed", name);
    if (method != 0) return lc_err(err, LANCEC_EUNSUPPORTED, "%s: body compression method %u is not supported", name, method);
    if (codec != 1) return lc_err(err, LANCEC_EUNSUPPORTED, "%s: body compression codec %u is not supported (only ZSTD)", name, codec);
    if (vl < 8) return BAD("%s: compressed values buffer is too short", name);
    int64_t ulen = (int64_t)lc_le64(vbuf);
    const uint8_t *src = vbuf + 8;
    size_t srclen = (size_t)vl - 8;
    if (ulen == -1) {
      if (srclen < need) return BAD("%s: values buffer holds %zu bytes, need %zu", name, srclen, need);
      vals = src;
    } else {
      if (ulen < (int64_t)need || (uint64_t)ulen > need + 64)
        return BAD("%s: values buffer uncompressed length %" PRId64 " does not match %" PRId64 " rows", name,
                   ulen, nrows);
      unsigned long long fcs = ZSTD_getFrameContentSize(src, srclen);
      if (fcs == ZSTD_CONTENTSIZE_ERROR ||
          (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != (unsigned long long)ulen))
        return BAD("%s: values buffer is not a valid zstd frame of %" PRId64 " bytes", name, ulen);
      tmp = lc_malloc((size_t)ulen);
      if (!tmp) return lc_err(err, LANCEC_ENOMEM, "out of memory");
      size_t got = ZSTD_decompress(tmp, (size_t)ulen, src, srclen);
      if (ZSTD_isError(got) || got != (size_t)ulen) {
        lc_free(tmp);
        return BAD("%s: values buffer does not decompress (zstd: %s)", name,
                   ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short output");
      }
      vals = tmp;
    }
  } else {
    if ((size_t)vl < need) return BAD("%s: values buffer holds %" PRId64 " bytes, need %zu", name, vl, need);
  }
  uint32_t *out = lc_malloc(need ? need : 4);
  if (!out) {
    lc_free(tmp);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < (size_t)nrows; i++) out[i] = lc_le32(vals + 4 * i);
  lc_free(tmp);
  *n = sort_unique(out, (size_t)nrows);
  *rows = out;
  return 0;
}

int lc_deletion_parse_arrow(const uint8_t *data, size_t len, const char *name, uint32_t **rows,
                            size_t *n, lancec_error *err) {
  return lc_deletion_parse_arrow_limit(data, len, name, LC_DELETION_DEFAULT_MAX, rows, n, err);
}

/* ---- Roaring ------------------------------------------------------------------------- */

/* Bounds-checked walk of the portable format (RoaringFormatSpec); computes
 * the exact number of values. */
static int roaring_validate(const uint8_t *d, size_t len, const char *name, uint64_t *card_out,
                            lancec_error *err) {
  uint32_t cookie = lc_le32(d);
  size_t pos;
  uint32_t n;
  bool has_run = false;
  const uint8_t *runflags = NULL;
  if (cookie == 12346) {
    n = lc_le32(d + 4);
    pos = 8;
  } else {
    n = (cookie >> 16) + 1;
    has_run = true;
    runflags = d + 4;
    pos = 4 + (n + 7) / 8;
  }
  if (n > 65536) return BAD("%s: roaring bitmap has %u containers", name, n);
  if (pos > len || len - pos < (size_t)n * 4) return BAD("%s: roaring bitmap header is truncated", name);
  const uint8_t *desc = d + pos;
  pos += (size_t)n * 4;
  if (!has_run || n >= 4) {
    if (len - pos < (size_t)n * 4) return BAD("%s: roaring bitmap offsets are truncated", name);
    pos += (size_t)n * 4;
  }
  uint64_t total = 0;
  int32_t prev_key = -1;
  for (uint32_t i = 0; i < n; i++) {
    uint16_t key = lc_le16(desc + 4 * (size_t)i);
    uint32_t card = (uint32_t)lc_le16(desc + 4 * (size_t)i + 2) + 1;
    if ((int32_t)key <= prev_key) return BAD("%s: roaring bitmap keys are not ascending", name);
    prev_key = key;
    bool is_run = has_run && ((runflags[i / 8] >> (i % 8)) & 1);
    if (is_run) {
      if (len - pos < 2) return BAD("%s: roaring run container is truncated", name);
      uint16_t nruns = lc_le16(d + pos);
      pos += 2;
      if (len - pos < (size_t)nruns * 4) return BAD("%s: roaring run container is truncated", name);
      int32_t prev_end = -1;
      uint32_t c = 0;
      for (uint32_t k = 0; k < nruns; k++) {
        uint32_t st = lc_le16(d + pos + 4 * (size_t)k), ln = lc_le16(d + pos + 4 * (size_t)k + 2);
        if ((int32_t)st <= prev_end || st + ln > 65535)
          return BAD("%s: roaring run container has overlapping or out-of-range runs", name);
        prev_end = (int32_t)(st + ln);
        c += ln + 1;
      }
      pos += (size_t)nruns * 4;
      card = c;
    } else if (card > 4096) {
      if (len - pos < 8192) return BAD("%s: roaring bitmap container is truncated", name);
      uint32_t c = 0;
      for (size_t w = 0; w < 1024; w++) c += (uint32_t)__builtin_popcountll(lc_le64(d + pos + 8 * w));
      if (c != card)
        return BAD("%s: roaring bitmap container cardinality %u != declared %u", name, c, card);
      pos += 8192;
    } else {
      if (len - pos < (size_t)card * 2) return BAD("%s: roaring array container is truncated", name);
      int32_t prev = -1;
      for (uint32_t k = 0; k < card; k++) {
        uint16_t v = lc_le16(d + pos + 2 * (size_t)k);
        if ((int32_t)v <= prev) return BAD("%s: roaring array container is not sorted", name);
        prev = v;
      }
      pos += (size_t)card * 2;
    }
    total += card;
  }
  *card_out = total;
  return 0;
}

int lc_deletion_parse_bitmap_limit(const uint8_t *data, size_t len, const char *name,
                                   uint64_t max_rows, uint32_t **rows, size_t *n, lancec_error *err) {
  if (!name) name = "deletion file";
  *rows = NULL;
  *n = 0;
  if (!data || len < 8) return BAD("%s: roaring bitmap is too short (%zu bytes)", name, len);
  uint32_t cookie = lc_le32(data);
  if (cookie != 12346 && (cookie & 0xFFFF) != 12347)
    return BAD("%s: not a portable roaring bitmap (bad cookie 0x%08x)", name, cookie);
  /* CRoaring 0.2.66 trusts declared cardinalities (a bitset container whose
   * popcount exceeds its header overflows the output array), so the whole
   * structure is validated here first. */
  uint64_t want = 0;
  LC_TRY(roaring_validate(data, len, name, &want, err));
  if (want > max_rows)
    return BAD("%s: roaring bitmap holds %" PRIu64 " values (limit %" PRIu64 ")", name, want, max_rows);
  roaring_bitmap_t *r = roaring_bitmap_portable_deserialize_safe((const char *)data, len);
  if (!r) return BAD("%s: roaring bitmap is malformed", name);
  uint64_t card = roaring_bitmap_get_cardinality(r);
  if (card != want) {
    roaring_bitmap_free(r);
    return BAD("%s: roaring bitmap is malformed (cardinality %" PRIu64 " != %" PRIu64 ")", name, card, want);
  }
  uint32_t *out = lc_malloc(card ? (size_t)card * 4 : 4);
  if (!out) {
    roaring_bitmap_free(r);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  roaring_bitmap_to_uint32_array(r, out);
  roaring_bitmap_free(r);
  *n = sort_unique(out, (size_t)card);
  *rows = out;
  return 0;
}

int lc_deletion_parse_bitmap(const uint8_t *data, size_t len, const char *name, uint32_t **rows,
                             size_t *n, lancec_error *err) {
  return lc_deletion_parse_bitmap_limit(data, len, name, LC_DELETION_DEFAULT_MAX, rows, n, err);
}

/* ---- reading a fragment's deletion file ------------------------------------------------- */

const Lance__Table__BasePath *lc_manifest_base_path(const lc_manifest *m, uint32_t id) {
  for (size_t i = 0; m && m->pb && i < m->pb->n_base_paths; i++)
    if (m->pb->base_paths[i]->id == id) return m->pb->base_paths[i];
  return NULL;
}

const char *lc_base_path_local(const char *p) {
  if (!strncmp(p, "file://", 7)) return p + 7;
  return p;
}

char *lc_deletion_path(const char *root, const lc_manifest *m, const Lance__Table__DataFragment *frag) {
  const Lance__Table__DeletionFile *d = frag->deletion_file;
  if (!d) return NULL;
  const char *ext = d->file_type == LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__BITMAP ? "bin" : "arrow";
  char *name = lc_sprintf("%" PRIu64 "-%" PRIu64 "-%" PRIu64 ".%s", frag->id, d->read_version, d->id, ext);
  if (!name) return NULL;
  char *dir;
  if (d->has_base_id) {
    const Lance__Table__BasePath *bp = lc_manifest_base_path(m, d->base_id);
    if (!bp || !bp->path) {
      lc_free(name);
      return NULL;
    }
    dir = bp->is_dataset_root ? lc_path_join(lc_base_path_local(bp->path), "_deletions")
                              : lc_strdup(lc_base_path_local(bp->path));
  } else {
    dir = lc_path_join(root, "_deletions");
  }
  char *p = dir ? lc_path_join(dir, name) : NULL;
  lc_free(dir);
  lc_free(name);
  return p;
}

int lc_deletion_read(lc_io *io, const char *root, const lc_manifest *m,
                     const Lance__Table__DataFragment *frag, uint32_t **rows, size_t *n,
                     lancec_error *err) {
  *rows = NULL;
  *n = 0;
  const Lance__Table__DeletionFile *d = frag->deletion_file;
  if (!d) return 0;
  if (d->file_type != LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__ARROW_ARRAY &&
      d->file_type != LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__BITMAP)
    return BAD("fragment %" PRIu64 ": unknown deletion file type %d", frag->id, (int)d->file_type);
  if (d->has_base_id && !lc_manifest_base_path(m, d->base_id))
    return BAD("fragment %" PRIu64 ": deletion file refers to unknown base path id %u", frag->id, d->base_id);
  char *path = lc_deletion_path(root, m, frag);
  if (!path) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  uint8_t *data = NULL;
  size_t len = 0;
  int rc = lc_io_read_all(io, path, &data, &len, err);
  if (rc == 0) {
    uint64_t max = frag->physical_rows ? frag->physical_rows : LC_DELETION_DEFAULT_MAX;
    if (d->file_type == LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__BITMAP)
      rc = lc_deletion_parse_bitmap_limit(data, len, path, max, rows, n, err);
    else
      rc = lc_deletion_parse_arrow_limit(data, len, path, max, rows, n, err);
  }
  lc_free(data);
  if (rc == 0 && d->num_deleted_rows && *n != d->num_deleted_rows)
    rc = BAD("%s: deletion file holds %zu rows but the manifest says %" PRIu64, path, *n,
             d->num_deleted_rows);
  if (rc == 0 && *n && frag->physical_rows && (*rows)[*n - 1] >= frag->physical_rows)
    rc = BAD("%s: deleted row %u is past the end of fragment %" PRIu64 " (%" PRIu64 " rows)", path,
             (*rows)[*n - 1], frag->id, frag->physical_rows);
  if (rc) {
    lc_free(*rows);
    *rows = NULL;
    *n = 0;
  }
  lc_free(path);
  return rc;
}
