/* Lance file format 2.0 reader (footer (0,3) / (2,0)).
 *
 * 2.0 stores one column per schema field in pre-order (parents included);
 * each page's encoding is a lance.encodings.ArrayEncoding tree. This reader
 * materialises a top-level field once per reader (all pages of its columns,
 * decoded into one Arrow array of the field's type) and serves reads / takes
 * by slicing it. See file-format-2.0 spec part A. */
#include "file/v20_internal.h"

#include <strings.h>

#include "arrow/arrow.h"
#include "file/encodings/encodings.h"

typedef Lance__Encodings__ArrayEncoding AEnc;

/* ---- page buffers -------------------------------------------------------- */

typedef struct page_ctx {
  lc_file *f;
  uint32_t col;
  size_t page;
  const lc_page_info *pi;
  uint8_t **bufs;  /* lazily loaded page buffers */
  uint8_t **extra; /* column / file buffers loaded on demand */
  size_t n_extra;
} page_ctx;

static int corrupt(page_ctx *c, lancec_error *err, const char *msg) {
  return lc_err(err, LANCEC_ECORRUPT, "%s: column %u page %zu: %s", c->f->path, c->col, c->page, msg);
}

static int get_buffer(page_ctx *c, const Lance__Encodings__Buffer *b, const uint8_t **data, uint64_t *len,
                      lancec_error *err) {
  if (!b) return corrupt(c, err, "encoding without a buffer reference");
  uint32_t idx = b->has_buffer_index ? b->buffer_index : 0;
  int type = b->has_buffer_type ? (int)b->buffer_type : 0;
  uint64_t off, sz;
  if (type == 0) {
    if (idx >= c->pi->n_buffers) return corrupt(c, err, "page buffer index out of range");
    if (!c->bufs[idx]) {
      off = c->pi->buf_off[idx], sz = c->pi->buf_size[idx];
      uint8_t *m = lc_malloc(sz ? sz : 1);
      if (!m) return lc_err(err, LANCEC_ENOMEM, "out of memory");
      int rc = lc_file_read_at(c->f, off, sz, m, "2.0 page buffer", err);
      if (rc) {
        lc_free(m);
        return rc;
      }
      c->bufs[idx] = m;
    }
    *data = c->bufs[idx];
    *len = c->pi->buf_size[idx];
    return 0;
  }
  if (type == 1) {
    const Lance__File__V2__ColumnMetadata *pb = c->f->cols[c->col].pb;
    if (idx >= pb->n_buffer_offsets || idx >= pb->n_buffer_sizes)
      return corrupt(c, err, "column buffer index out of range");
    off = pb->buffer_offsets[idx], sz = pb->buffer_sizes[idx];
  } else if (type == 2) {
    if (idx >= c->f->n_gbufs) return corrupt(c, err, "file buffer index out of range");
    off = c->f->gbo[2 * idx], sz = c->f->gbo[2 * idx + 1];
  } else {
    return corrupt(c, err, "unknown buffer type");
  }
  uint8_t **nx = lc_realloc(c->extra, (c->n_extra + 1) * sizeof(uint8_t *));
  if (!nx) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  c->extra = nx;
  uint8_t *m = lc_malloc(sz ? sz : 1);
  if (!m) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  c->extra[c->n_extra++] = m;
  LC_TRY(lc_file_read_at(c->f, off, sz, m, "2.0 buffer", err));
  *data = m;
  *len = sz;
  return 0;
}

static void page_ctx_free(page_ctx *c) {
  if (c->bufs)
    for (size_t i = 0; i < c->pi->n_buffers; i++) lc_free(c->bufs[i]);
  lc_free(c->bufs);
  for (size_t i = 0; i < c->n_extra; i++) lc_free(c->extra[i]);
  lc_free(c->extra);
}

/* ---- small helpers ------------------------------------------------------- */

static int oom(lancec_error *err) {
  return lc_err(err, LANCEC_ENOMEM, "out of memory");
}

static int64_t count_nulls(const uint8_t *v, int64_t n) {
  if (!v) return 0;
  int64_t c = 0;
  for (int64_t i = 0; i < n; i++) c += !lc_bit_get(v, i);
  return c;
}

/* bits of one value of a fixed-width type (0 = not fixed width) */
static uint64_t fixed_bits(const lc_field *f) {
  switch (f->type) {
    case LC_T_BOOL:
      return 1;
    case LC_T_INT8:
    case LC_T_UINT8:
      return 8;
    case LC_T_INT16:
    case LC_T_UINT16:
    case LC_T_HALF:
      return 16;
    case LC_T_INT32:
    case LC_T_UINT32:
    case LC_T_FLOAT:
    case LC_T_DATE32:
    case LC_T_TIME32:
      return 32;
    case LC_T_INT64:
    case LC_T_UINT64:
    case LC_T_DOUBLE:
    case LC_T_DATE64:
    case LC_T_TIME64:
    case LC_T_TIMESTAMP:
    case LC_T_DURATION:
      return 64;
    case LC_T_DECIMAL128:
      return 128;
    case LC_T_DECIMAL256:
      return 256;
    case LC_T_FIXED_BINARY:
      return f->width > 0 ? 8ull * (uint64_t)f->width : 0;
    default:
      return 0;
  }
}

static uint64_t key_bits(lc_type_id t) {
  switch (t) {
    case LC_T_INT8:
    case LC_T_UINT8:
      return 8;
    case LC_T_INT16:
    case LC_T_UINT16:
      return 16;
    case LC_T_INT32:
    case LC_T_UINT32:
      return 32;
    case LC_T_INT64:
    case LC_T_UINT64:
      return 64;
    default:
      return 0;
  }
}

/* Decode a (maybe Nullable{no_nulls}-wrapped) Flat / FixedSizeBinary of n
 * values with `bits` bits each into a fresh buffer of ceil(n*bits/8) bytes. */
static int decode_raw(page_ctx *c, const AEnc *e, uint64_t n, uint64_t bits, uint8_t **out,
                      lancec_error *err) {
  *out = NULL;
  if (!e) return corrupt(c, err, "missing encoding");
  while (e->array_encoding_case == LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_NULLABLE && e->nullable &&
         e->nullable->nullability_case == LANCE__ENCODINGS__NULLABLE__NULLABILITY_NO_NULLS) {
    e = e->nullable->no_nulls ? e->nullable->no_nulls->values : NULL;
    if (!e) return corrupt(c, err, "empty no_nulls encoding");
  }
  if (e->array_encoding_case == LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_FIXED_SIZE_BINARY &&
      e->fixed_size_binary) {
    uint64_t w = e->fixed_size_binary->byte_width;
    if (w == 0 || bits != 8 * w) return corrupt(c, err, "fixed-size binary width mismatch");
    uint64_t nn;
    if (lc_mul_overflow_u64(n, w, &nn)) return corrupt(c, err, "length overflow");
    return decode_raw(c, e->fixed_size_binary->bytes, nn, 8, out, err);
  }
  if (e->array_encoding_case != LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_FLAT || !e->flat) {
    if (e->array_encoding_case == LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_BITPACKED ||
        e->array_encoding_case == LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_BITPACKED_FOR_NON_NEG)
      return lc_err(err, LANCEC_EUNSUPPORTED,
                    "%s: column %u page %zu: 2.0 bitpacked encoding is not supported", c->f->path, c->col,
                    c->page);
    return lc_err(err, LANCEC_EUNSUPPORTED,
                  "%s: column %u page %zu: unexpected 2.0 encoding %d for fixed-width values", c->f->path,
                  c->col, c->page, (int)e->array_encoding_case);
  }
  const Lance__Encodings__Flat *fl = e->flat;
  uint64_t fb = fl->has_bits_per_value ? fl->bits_per_value : 0;
  if (fb != bits)
    return lc_err(err, LANCEC_ECORRUPT, "%s: column %u page %zu: flat bits_per_value %llu, expected %llu",
                  c->f->path, c->col, c->page, (unsigned long long)fb, (unsigned long long)bits);
  uint64_t need;
  if (bits == 1)
    need = (n + 7) / 8;
  else {
    if (bits % 8 || lc_mul_overflow_u64(n, bits / 8, &need)) return corrupt(c, err, "bad flat width");
  }
  const uint8_t *d;
  uint64_t len;
  LC_TRY(get_buffer(c, fl->buffer, &d, &len, err));
  uint8_t *dec = NULL;
  if (fl->compression && fl->compression->scheme && strcasecmp(fl->compression->scheme, "none") != 0) {
    int scheme;
    if (strcasecmp(fl->compression->scheme, "zstd") == 0)
      scheme = 2;
    else if (strcasecmp(fl->compression->scheme, "lz4") == 0)
      scheme = 1;
    else
      return lc_err(err, LANCEC_EUNSUPPORTED, "%s: column %u page %zu: compression scheme '%s'", c->f->path,
                    c->col, c->page, fl->compression->scheme);
    size_t dl;
    LC_TRY(lc_general_decompress(scheme, d, (size_t)len, &dec, &dl, err));
    d = dec;
    len = dl;
  }
  if (len < need) {
    lc_free(dec);
    return corrupt(c, err, "flat buffer is shorter than its values");
  }
  uint8_t *o = lc_malloc_aligned(need ? need : 1);
  if (!o) {
    lc_free(dec);
    return oom(err);
  }
  if (need) memcpy(o, d, need);
  lc_free(dec);
  *out = o;
  return 0;
}

/* AND `v` (n bits) into a's validity and recount nulls (types with validity). */
static int apply_validity(struct ArrowArray *a, const uint8_t *v, int64_t n, lancec_error *err) {
  if (a->n_buffers < 1 || n == 0) return 0;
  uint8_t *cur = (uint8_t *)a->buffers[0];
  if (!cur) {
    cur = lc_malloc_aligned(lc_bitmap_bytes(n));
    if (!cur) return oom(err);
    memcpy(cur, v, lc_bitmap_bytes(n));
    lc_array_set_buffer(a, 0, cur);
  } else {
    for (size_t i = 0; i < lc_bitmap_bytes(n); i++) cur[i] &= v[i];
  }
  a->null_count = count_nulls(cur, n);
  return 0;
}

static int decode_page(page_ctx *c, const AEnc *e, const lc_field *f, uint64_t n, struct ArrowArray *out,
                       lancec_error *err);

/* Binary (page-local u64 end offsets with null_adjustment) -> string/binary array. */
static int decode_binary(page_ctx *c, const Lance__Encodings__Binary *b, const lc_field *f, uint64_t n,
                         const lc_fsst_table *fsst, struct ArrowArray *out, lancec_error *err) {
  uint8_t *idx = NULL, *bytes = NULL, *valid = NULL, *data = NULL;
  void *offs = NULL;
  int rc = decode_raw(c, b->indices, n, 64, &idx, err);
  if (rc) goto fail;
  uint64_t adj = b->has_null_adjustment ? b->null_adjustment : 0;
  /* bytes length: the flat buffer size (whole buffer) */
  const AEnc *be = b->bytes;
  while (be && be->array_encoding_case == LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_NULLABLE &&
         be->nullable && be->nullable->nullability_case == LANCE__ENCODINGS__NULLABLE__NULLABILITY_NO_NULLS &&
         be->nullable->no_nulls)
    be = be->nullable->no_nulls->values;
  if (!be || be->array_encoding_case != LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_FLAT || !be->flat) {
    rc = corrupt(c, err, "binary bytes are not a flat encoding");
    goto fail;
  }
  /* total = max end */
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t v = lc_le64(idx + 8 * i);
    uint64_t end = (adj && v >= adj) ? v - adj : v;
    if (end > total) total = end;
  }
  rc = decode_raw(c, be, total, 8, &bytes, err);
  if (rc) goto fail;
  /* FSST: decode each value */
  bool large = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY;
  valid = lc_malloc_aligned(lc_bitmap_bytes((int64_t)n) + 1);
  offs = lc_malloc_aligned((n + 1) * (large ? 8 : 4));
  if (!valid || !offs) {
    rc = oom(err);
    goto fail;
  }
  memset(valid, 0xff, lc_bitmap_bytes((int64_t)n) + 1);
  uint64_t prev = 0, outpos = 0;
  size_t cap = 0;
  if (fsst && fsst->enabled) {
    cap = total * 8 + 1;
    data = lc_malloc_aligned(cap);
  } else {
    data = lc_malloc_aligned(total ? total : 1);
    if (data && total) memcpy(data, bytes, total);
  }
  if (!data) {
    rc = oom(err);
    goto fail;
  }
  int64_t nulls = 0;
  if (large)
    ((int64_t *)offs)[0] = 0;
  else
    ((int32_t *)offs)[0] = 0;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t v = lc_le64(idx + 8 * i);
    bool isnull = adj && v >= adj;
    uint64_t end = isnull ? v - adj : v;
    if (end < prev || end > total) {
      rc = corrupt(c, err, "binary offsets are not monotonic or exceed the bytes");
      goto fail;
    }
    if (isnull) {
      lc_bit_clear(valid, (int64_t)i);
      nulls++;
    }
    if (fsst && fsst->enabled) {
      size_t dl;
      rc = lc_fsst_decode(fsst, bytes + prev, (size_t)(end - prev), data + outpos, (size_t)(cap - outpos),
                          &dl, err);
      if (rc) goto fail;
      outpos += dl;
    } else {
      outpos = end;
    }
    if (large)
      ((int64_t *)offs)[i + 1] = (int64_t)outpos;
    else {
      if (outpos > INT32_MAX) {
        rc = corrupt(c, err, "string data exceeds 2 GiB for a 32-bit offset type");
        goto fail;
      }
      ((int32_t *)offs)[i + 1] = (int32_t)outpos;
    }
    prev = end;
  }
  rc = lc_array_init(out, 3, 0);
  if (rc) {
    rc = oom(err);
    goto fail;
  }
  out->length = (int64_t)n;
  out->null_count = nulls;
  if (nulls)
    lc_array_set_buffer(out, 0, valid);
  else
    lc_free(valid);
  lc_array_set_buffer(out, 1, offs);
  lc_array_set_buffer(out, 2, data);
  lc_free(idx);
  lc_free(bytes);
  return 0;
fail:
  lc_free(idx);
  lc_free(bytes);
  lc_free(valid);
  lc_free(offs);
  lc_free(data);
  return rc;
}

static bool is_var(const lc_field *f) {
  return f->type == LC_T_STRING || f->type == LC_T_LARGE_STRING || f->type == LC_T_BINARY ||
         f->type == LC_T_LARGE_BINARY;
}

static int decode_dictionary(page_ctx *c, const Lance__Encodings__Dictionary *d, const lc_field *f,
                             uint64_t n, struct ArrowArray *out, lancec_error *err) {
  uint64_t ni = d->has_num_dictionary_items ? d->num_dictionary_items : 0;
  struct ArrowArray items = {0};
  uint8_t *keys = NULL;
  int rc;
  if (f->type == LC_T_DICT) {
    uint64_t kb = key_bits(f->dict_key);
    if (!kb || !f->dict_value) return corrupt(c, err, "bad dictionary key type");
    rc = decode_raw(c, d->indices, n, kb, &keys, err);
    if (rc) return rc;
    rc = decode_page(c, d->items, f->dict_value, ni, &items, err);
    if (rc) goto fail;
    uint8_t *valid = lc_malloc_aligned(lc_bitmap_bytes((int64_t)n) + 1);
    if (!valid) {
      rc = oom(err);
      goto fail;
    }
    memset(valid, 0xff, lc_bitmap_bytes((int64_t)n) + 1);
    const uint8_t *iv = items.n_buffers > 0 ? items.buffers[0] : NULL;
    int64_t nulls = 0;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t k;
      switch (kb) {
        case 8:
          k = keys[i];
          break;
        case 16:
          k = lc_le16(keys + 2 * i);
          break;
        case 32:
          k = lc_le32(keys + 4 * i);
          break;
        default:
          k = lc_le64(keys + 8 * i);
          break;
      }
      if (k >= ni) {
        lc_free(valid);
        rc = corrupt(c, err, "dictionary index out of range");
        goto fail;
      }
      if (iv && !lc_bit_get(iv, (int64_t)k)) {
        lc_bit_clear(valid, (int64_t)i);
        nulls++;
      }
    }
    rc = lc_array_init(out, 2, 0);
    if (rc) {
      lc_free(valid);
      rc = oom(err);
      goto fail;
    }
    out->length = (int64_t)n;
    out->null_count = nulls;
    if (nulls)
      lc_array_set_buffer(out, 0, valid);
    else
      lc_free(valid);
    lc_array_set_buffer(out, 1, keys);
    keys = NULL;
    if (lc_array_set_dictionary(out, &items)) {
      rc = oom(err);
      lc_array_release(out);
      goto fail;
    }
    return 0;
  }
  if (!is_var(f)) return corrupt(c, err, "dictionary encoding on a non-string field");
  /* automatic flavour: u8 indices, 0 = null, k -> items[k-1] */
  rc = decode_raw(c, d->indices, n, 8, &keys, err);
  if (rc) return rc;
  rc = decode_page(c, d->items, f, ni, &items, err);
  if (rc) goto fail;
  for (uint64_t i = 0; i < n; i++)
    if (keys[i] > ni) {
      rc = corrupt(c, err, "dictionary index out of range");
      goto fail;
    }
  if (ni == 0) {
    rc = lc_array_make_nulls(f, (int64_t)n, out, err);
    goto done;
  }
  {
    /* gather items[k-1] per row (k = 0: null, no bytes) */
    bool large = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY;
    const uint8_t *iv = items.buffers[0];
    const uint8_t *idata = items.buffers[2];
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
      if (!keys[i]) continue;
      uint64_t k = keys[i] - 1;
      uint64_t s0 = large ? (uint64_t)((const int64_t *)items.buffers[1])[k]
                          : (uint64_t)((const int32_t *)items.buffers[1])[k];
      uint64_t s1 = large ? (uint64_t)((const int64_t *)items.buffers[1])[k + 1]
                          : (uint64_t)((const int32_t *)items.buffers[1])[k + 1];
      total += s1 - s0;
    }
    if (!large && total > INT32_MAX) {
      rc = corrupt(c, err, "dictionary-decoded strings exceed 2 GiB");
      goto fail;
    }
    uint8_t *valid = lc_malloc_aligned(lc_bitmap_bytes((int64_t)n) + 1);
    void *offs = lc_malloc_aligned((n + 1) * (large ? 8 : 4));
    uint8_t *data = lc_malloc_aligned(total + 1);
    if (!valid || !offs || !data || lc_array_init(out, 3, 0)) {
      lc_free(valid);
      lc_free(offs);
      lc_free(data);
      rc = oom(err);
      goto fail;
    }
    memset(valid, 0xff, lc_bitmap_bytes((int64_t)n) + 1);
    uint64_t pos = 0;
    int64_t nulls = 0;
    if (large)
      ((int64_t *)offs)[0] = 0;
    else
      ((int32_t *)offs)[0] = 0;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t k = keys[i];
      if (k == 0 || (iv && !lc_bit_get(iv, (int64_t)(k - 1)))) {
        lc_bit_clear(valid, (int64_t)i);
        nulls++;
      } else {
        k--;
        uint64_t s0 = large ? (uint64_t)((const int64_t *)items.buffers[1])[k]
                            : (uint64_t)((const int32_t *)items.buffers[1])[k];
        uint64_t s1 = large ? (uint64_t)((const int64_t *)items.buffers[1])[k + 1]
                            : (uint64_t)((const int32_t *)items.buffers[1])[k + 1];
        memcpy(data + pos, idata + s0, s1 - s0);
        pos += s1 - s0;
      }
      if (large)
        ((int64_t *)offs)[i + 1] = (int64_t)pos;
      else
        ((int32_t *)offs)[i + 1] = (int32_t)pos;
    }
    out->length = (int64_t)n;
    out->null_count = nulls;
    if (nulls)
      lc_array_set_buffer(out, 0, valid);
    else
      lc_free(valid);
    lc_array_set_buffer(out, 1, offs);
    lc_array_set_buffer(out, 2, data);
    rc = 0;
  }
done:
fail:
  lc_free(keys);
  lc_array_release(&items);
  return rc;
}

static int decode_packed_struct(page_ctx *c, const Lance__Encodings__PackedStruct *ps, const lc_field *f,
                                uint64_t n, struct ArrowArray *out, lancec_error *err) {
  if (f->type != LC_T_STRUCT || ps->n_inner != f->n_children)
    return corrupt(c, err, "packed struct does not match the field's children");
  uint64_t row = 0;
  for (size_t i = 0; i < f->n_children; i++) {
    uint64_t b = fixed_bits(f->children[i]);
    if (!b || b % 8)
      return lc_err(err, LANCEC_EUNSUPPORTED, "%s: packed struct child '%s' is not byte-width fixed",
                    c->f->path, f->children[i]->name);
    row += b / 8;
  }
  const uint8_t *d;
  uint64_t len, need;
  LC_TRY(get_buffer(c, ps->buffer, &d, &len, err));
  if (lc_mul_overflow_u64(row, n, &need) || len < need)
    return corrupt(c, err, "packed struct buffer too short");
  LC_TRY(lc_array_init(out, 1, (int64_t)f->n_children) ? oom(err) : 0);
  out->length = (int64_t)n;
  uint64_t pos = 0;
  for (size_t i = 0; i < f->n_children; i++) {
    const lc_field *ch = f->children[i];
    uint64_t w = fixed_bits(ch) / 8;
    struct ArrowArray *a = out->children[i];
    uint8_t *v = lc_malloc_aligned(w * n + 1);
    if (!v || lc_array_init(a, 2, 0)) {
      lc_free(v);
      lc_array_release(out);
      return oom(err);
    }
    for (uint64_t r = 0; r < n; r++) memcpy(v + r * w, d + r * row + pos, w);
    a->length = (int64_t)n;
    lc_array_set_buffer(a, 1, v);
    pos += w;
  }
  return 0;
}

static int decode_page(page_ctx *c, const AEnc *e, const lc_field *f, uint64_t n, struct ArrowArray *out,
                       lancec_error *err) {
  memset(out, 0, sizeof(*out));
  if (!e) return corrupt(c, err, "missing array encoding");
  if (n > (uint64_t)INT64_MAX / 8) return corrupt(c, err, "page length too large");
  switch (e->array_encoding_case) {
    case LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_NULLABLE: {
      const Lance__Encodings__Nullable *nl = e->nullable;
      if (!nl) return corrupt(c, err, "empty nullable encoding");
      switch (nl->nullability_case) {
        case LANCE__ENCODINGS__NULLABLE__NULLABILITY_NO_NULLS:
          if (!nl->no_nulls) return corrupt(c, err, "empty no_nulls");
          return decode_page(c, nl->no_nulls->values, f, n, out, err);
        case LANCE__ENCODINGS__NULLABLE__NULLABILITY_ALL_NULLS:
          return lc_array_make_nulls(f, (int64_t)n, out, err);
        case LANCE__ENCODINGS__NULLABLE__NULLABILITY_SOME_NULLS: {
          if (!nl->some_nulls) return corrupt(c, err, "empty some_nulls");
          uint8_t *v;
          LC_TRY(decode_raw(c, nl->some_nulls->validity, n, 1, &v, err));
          int rc = decode_page(c, nl->some_nulls->values, f, n, out, err);
          if (!rc && f->type != LC_T_NULL) rc = apply_validity(out, v, (int64_t)n, err);
          lc_free(v);
          if (rc) lc_array_release(out);
          return rc;
        }
        default:
          return corrupt(c, err, "nullable encoding without a variant");
      }
    }
    case LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_BINARY:
      if (!is_var(f) || !e->binary) return corrupt(c, err, "binary encoding on a non-binary field");
      return decode_binary(c, e->binary, f, n, NULL, out, err);
    case LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_FSST: {
      if (!is_var(f) || !e->fsst || !e->fsst->binary ||
          e->fsst->binary->array_encoding_case != LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_BINARY ||
          !e->fsst->binary->binary)
        return corrupt(c, err, "bad fsst encoding");
      lc_fsst_table t;
      LC_TRY(lc_fsst_table_parse(&t, e->fsst->symbol_table.data, e->fsst->symbol_table.len, err));
      return decode_binary(c, e->fsst->binary->binary, f, n, &t, out, err);
    }
    case LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_DICTIONARY:
      if (!e->dictionary) return corrupt(c, err, "empty dictionary encoding");
      return decode_dictionary(c, e->dictionary, f, n, out, err);
    case LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_PACKED_STRUCT:
      if (!e->packed_struct) return corrupt(c, err, "empty packed struct");
      return decode_packed_struct(c, e->packed_struct, f, n, out, err);
    case LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_FIXED_SIZE_LIST: {
      const Lance__Encodings__FixedSizeList *fl = e->fixed_size_list;
      if (f->type != LC_T_FIXED_LIST || !fl || f->n_children != 1 || f->width <= 0 ||
          fl->dimension != (uint32_t)f->width)
        return corrupt(c, err, "fixed-size list encoding does not match the field");
      uint64_t ni;
      if (lc_mul_overflow_u64(n, (uint64_t)f->width, &ni)) return corrupt(c, err, "length overflow");
      if (lc_array_init(out, 1, 1)) return oom(err);
      out->length = (int64_t)n;
      int rc = decode_page(c, fl->items, f->children[0], ni, out->children[0], err);
      if (rc) lc_array_release(out);
      return rc;
    }
    case LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_FLAT:
    case LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_FIXED_SIZE_BINARY:
    case LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_BITPACKED:
    case LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_BITPACKED_FOR_NON_NEG: {
      if (f->type == LC_T_NULL) return lc_array_make_nulls(f, (int64_t)n, out, err);
      uint64_t bits = fixed_bits(f);
      if (!bits) return corrupt(c, err, "fixed-width encoding on a variable-width field");
      uint8_t *v;
      LC_TRY(decode_raw(c, e, n, bits, &v, err));
      if (lc_array_init(out, 2, 0)) {
        lc_free(v);
        return oom(err);
      }
      out->length = (int64_t)n;
      lc_array_set_buffer(out, 1, v);
      return 0;
    }
    case LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_CONSTANT: {
      const Lance__Encodings__Constant *k = e->constant;
      uint64_t bits = fixed_bits(f);
      if (!k || !bits || bits % 8 || !k->has_value || k->value.len != bits / 8)
        return lc_err(err, LANCEC_EUNSUPPORTED, "%s: column %u page %zu: unsupported constant encoding",
                      c->f->path, c->col, c->page);
      uint64_t w = bits / 8;
      uint8_t *v = lc_malloc_aligned(n * w + 1);
      if (!v) return oom(err);
      for (uint64_t i = 0; i < n; i++) memcpy(v + i * w, k->value.data, w);
      if (lc_array_init(out, 2, 0)) {
        lc_free(v);
        return oom(err);
      }
      out->length = (int64_t)n;
      lc_array_set_buffer(out, 1, v);
      return 0;
    }
    default:
      return lc_err(err, LANCEC_EUNSUPPORTED,
                    "%s: column %u page %zu: 2.0 array encoding %d is not supported", c->f->path, c->col,
                    c->page, (int)e->array_encoding_case);
  }
}

/* ---- columns ------------------------------------------------------------- */

typedef struct v20_state {
  AEnc ***encs; /* [col][page] decoded ArrayEncoding (owned) */
} v20_state;

static const char k_array_url[] = "/lance.encodings.ArrayEncoding";

static int v20_init(lc_file *f, lancec_error *err) {
  v20_state *st = lc_calloc(1, sizeof(*st));
  if (!st) return oom(err);
  f->fmt_state = st;
  st->encs = lc_calloc(f->n_columns ? f->n_columns : 1, sizeof(AEnc **));
  if (!st->encs) return oom(err);
  for (uint32_t c = 0; c < f->n_columns; c++) {
    lc_column_info *ci = &f->cols[c];
    st->encs[c] = lc_calloc(ci->n_pages ? ci->n_pages : 1, sizeof(AEnc *));
    if (!st->encs[c]) return oom(err);
    for (size_t p = 0; p < ci->n_pages; p++) {
      uint8_t *val;
      size_t len;
      void *any;
      int rc = lc_file_unwrap_any(f, ci->pb->pages[p]->encoding, k_array_url, &val, &len, &any, err);
      if (rc) {
        lc_err_prefix(err, "%s: column %u page %zu: ", f->path, c, p);
        return rc;
      }
      st->encs[c][p] = lance__encodings__array_encoding__unpack(NULL, len, val);
      lancec__wkt__any__free_unpacked(any, NULL);
      if (!st->encs[c][p])
        return lc_err(err, LANCEC_ECORRUPT, "%s: column %u page %zu: undecodable ArrayEncoding", f->path, c,
                      p);
    }
  }
  return 0;
}

static void v20_fini(lc_file *f) {
  v20_state *st = f->fmt_state;
  if (!st) return;
  if (st->encs) {
    for (uint32_t c = 0; c < f->n_columns; c++) {
      if (!st->encs[c]) continue;
      for (size_t p = 0; p < f->cols[c].n_pages; p++)
        if (st->encs[c][p]) lance__encodings__array_encoding__free_unpacked(st->encs[c][p], NULL);
      lc_free(st->encs[c]);
    }
    lc_free(st->encs);
  }
  lc_free(st);
  f->fmt_state = NULL;
}

typedef struct v20_reader {
  lc_field_reader base;
  const lc_field *field;
  lc_file_colmap_storage own;
  lc_file_colmap map;
  bool have;
  struct ArrowArray all;
  /* page-wise path for fields stored in one column (no list / struct):
   * the most recently decoded page is cached */
  int paged_col; /* -1: materialise the whole field instead */
  size_t cur_page;
  bool have_page;
  struct ArrowArray page;
} v20_reader;

static int col_of(const v20_reader *r, int32_t id) {
  for (size_t i = 0; i < r->map.n; i++)
    if (r->map.field_ids[i] == id) return r->map.column_indices[i];
  return -1;
}

static int page_new(page_ctx *pc, lc_file *f, uint32_t col, size_t p, lancec_error *err) {
  memset(pc, 0, sizeof(*pc));
  pc->f = f, pc->col = col, pc->page = p, pc->pi = &f->cols[col].pages[p];
  pc->bufs = lc_calloc(pc->pi->n_buffers ? pc->pi->n_buffers : 1, sizeof(uint8_t *));
  return pc->bufs ? 0 : oom(err);
}

static int concat_release(const lc_field *f, struct ArrowArray *parts, size_t n, struct ArrowArray *out,
                          lancec_error *err) {
  int rc;
  if (n == 1) {
    lc_array_move(&parts[0], out);
    return 0;
  }
  const struct ArrowArray **pp = lc_calloc(n ? n : 1, sizeof(*pp));
  if (!pp)
    rc = oom(err);
  else {
    for (size_t i = 0; i < n; i++) pp[i] = &parts[i];
    rc = lc_array_concat(f, (const struct ArrowArray *const *)pp, n, out, err);
    lc_free(pp);
  }
  for (size_t i = 0; i < n; i++) lc_array_release(&parts[i]);
  return rc;
}

/* Merge per-page dictionary arrays: concatenate dictionaries, shift keys. */
static int concat_dicts(const lc_field *f, struct ArrowArray *parts, size_t n, struct ArrowArray *out,
                        lancec_error *err) {
  int rc = 0;
  int64_t total = 0, dtotal = 0;
  const struct ArrowArray **dd = lc_calloc(n ? n : 1, sizeof(*dd));
  if (!dd) return oom(err);
  for (size_t i = 0; i < n; i++) {
    total += parts[i].length;
    dd[i] = parts[i].dictionary;
  }
  struct ArrowArray dict = {0};
  rc = lc_array_concat(f->dict_value, (const struct ArrowArray *const *)dd, n, &dict, err);
  lc_free(dd);
  if (rc) goto out;
  uint64_t kb = key_bits(f->dict_key) / 8;
  uint8_t *keys = lc_malloc_aligned((size_t)(total * (int64_t)kb) + 1);
  uint8_t *valid = lc_malloc_aligned(lc_bitmap_bytes(total) + 1);
  if (!keys || !valid || lc_array_init(out, 2, 0)) {
    lc_free(keys);
    lc_free(valid);
    lc_array_release(&dict);
    rc = oom(err);
    goto out;
  }
  memset(valid, 0xff, lc_bitmap_bytes(total) + 1);
  int64_t row = 0, nulls = 0;
  for (size_t i = 0; i < n; i++) {
    const struct ArrowArray *a = &parts[i];
    const uint8_t *k = a->buffers[1];
    const uint8_t *v = a->buffers[0];
    for (int64_t j = 0; j < a->length; j++, row++) {
      uint64_t x;
      switch (kb) {
        case 1:
          x = k[j];
          break;
        case 2:
          x = lc_le16(k + 2 * j);
          break;
        case 4:
          x = lc_le32(k + 4 * j);
          break;
        default:
          x = lc_le64(k + 8 * j);
          break;
      }
      x += (uint64_t)dtotal;
      bool ok = kb == 8 || x < (1ull << (8 * kb - 1));
      if (!ok) {
        rc = lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': merged dictionary too large for its key type",
                    f->name);
      }
      switch (kb) {
        case 1:
          keys[row] = (uint8_t)x;
          break;
        case 2:
          lc_st16(keys + 2 * row, (uint16_t)x);
          break;
        case 4:
          lc_st32(keys + 4 * row, (uint32_t)x);
          break;
        default:
          lc_st64(keys + 8 * row, x);
          break;
      }
      if (v && !lc_bit_get(v, j)) {
        lc_bit_clear(valid, row);
        nulls++;
      }
    }
    dtotal += a->dictionary ? a->dictionary->length : 0;
  }
  out->length = total;
  out->null_count = nulls;
  lc_array_set_buffer(out, 1, keys);
  if (nulls)
    lc_array_set_buffer(out, 0, valid);
  else
    lc_free(valid);
  if (lc_array_set_dictionary(out, &dict)) {
    lc_array_release(&dict);
    rc = oom(err);
  }
  if (rc) lc_array_release(out);
out:
  for (size_t i = 0; i < n; i++) lc_array_release(&parts[i]);
  return rc;
}

/* Decode all pages of a leaf-like column (one column holds the whole field). */
static int read_column(lc_file *f, int col, const lc_field *fld, uint64_t expect, struct ArrowArray *out,
                       lancec_error *err) {
  v20_state *st = f->fmt_state;
  lc_column_info *ci = &f->cols[col];
  if (ci->total_rows != expect)
    return lc_err(err, LANCEC_ECORRUPT, "%s: column %d (field '%s') has %llu rows, expected %llu", f->path,
                  col, fld->name, (unsigned long long)ci->total_rows, (unsigned long long)expect);
  struct ArrowArray *parts = lc_calloc(ci->n_pages ? ci->n_pages : 1, sizeof(*parts));
  if (!parts) return oom(err);
  size_t np = 0;
  int rc = 0;
  for (size_t p = 0; p < ci->n_pages; p++) {
    if (ci->pages[p].length == 0) continue;
    page_ctx pc;
    rc = page_new(&pc, f, (uint32_t)col, p, err);
    if (!rc) rc = decode_page(&pc, st->encs[col][p], fld, ci->pages[p].length, &parts[np], err);
    page_ctx_free(&pc);
    if (rc) break;
    if (parts[np].length != (int64_t)ci->pages[p].length) {
      lc_array_release(&parts[np]);
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: column %d page %zu decoded to a wrong length", f->path, col, p);
      break;
    }
    np++;
  }
  if (!rc) {
    if (np == 0)
      rc = lc_array_make_nulls(fld, 0, out, err);
    else if (fld->type == LC_T_DICT) {
      rc = concat_dicts(fld, parts, np, out, err);
      np = 0;
    } else {
      rc = concat_release(fld, parts, np, out, err);
      np = 0;
    }
  }
  for (size_t i = 0; i < np; i++) lc_array_release(&parts[i]);
  lc_free(parts);
  return rc;
}

static int materialize(v20_reader *r, const lc_field *fld, uint64_t n, struct ArrowArray *out, int depth,
                       lancec_error *err);

static int read_list(v20_reader *r, int col, const lc_field *fld, uint64_t n, struct ArrowArray *out,
                     int depth, lancec_error *err) {
  lc_file *f = r->base.file;
  v20_state *st = f->fmt_state;
  lc_column_info *ci = &f->cols[col];
  if (ci->total_rows != n)
    return lc_err(err, LANCEC_ECORRUPT, "%s: list column %d has %llu rows, expected %llu", f->path, col,
                  (unsigned long long)ci->total_rows, (unsigned long long)n);
  if (fld->n_children != 1) return lc_err(err, LANCEC_ECORRUPT, "list field without an item field");
  bool large = fld->type == LC_T_LARGE_LIST;
  int64_t *offs = lc_malloc_aligned((n + 1) * 8);
  uint8_t *valid = lc_malloc_aligned(lc_bitmap_bytes((int64_t)n) + 1);
  int rc = 0;
  if (!offs || !valid) {
    rc = oom(err);
    goto fail;
  }
  memset(valid, 0xff, lc_bitmap_bytes((int64_t)n) + 1);
  offs[0] = 0;
  uint64_t row = 0, base = 0;
  int64_t nulls = 0;
  for (size_t p = 0; p < ci->n_pages; p++) {
    uint64_t len = ci->pages[p].length;
    if (len == 0) continue;
    const AEnc *e = st->encs[col][p];
    if (e->array_encoding_case != LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_LIST || !e->list) {
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: column %d page %zu: list field without a List encoding", f->path,
                  col, p);
      goto fail;
    }
    const Lance__Encodings__List *L = e->list;
    uint64_t adj = L->has_null_offset_adjustment ? L->null_offset_adjustment : 0;
    uint64_t nitems = L->has_num_items ? L->num_items : 0;
    page_ctx pc;
    uint8_t *raw = NULL;
    rc = page_new(&pc, f, (uint32_t)col, p, err);
    if (!rc) rc = decode_raw(&pc, L->offsets, len, 64, &raw, err);
    page_ctx_free(&pc);
    if (rc) goto fail;
    uint64_t prev = 0;
    for (uint64_t i = 0; i < len; i++, row++) {
      uint64_t v = lc_le64(raw + 8 * i);
      bool isnull = adj && v >= adj;
      uint64_t end = isnull ? v - adj : v;
      if (end < prev || end > nitems) {
        lc_free(raw);
        rc = lc_err(err, LANCEC_ECORRUPT,
                    "%s: column %d page %zu: list offsets out of order or past num_items", f->path, col, p);
        goto fail;
      }
      if (isnull) {
        lc_bit_clear(valid, (int64_t)row);
        nulls++;
      }
      offs[row + 1] = (int64_t)(base + end);
      prev = end;
    }
    lc_free(raw);
    base += nitems;
  }
  if (!large && base > INT32_MAX) {
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: list has more than 2^31 items", f->path);
    goto fail;
  }
  struct ArrowArray items = {0};
  rc = materialize(r, fld->children[0], base, &items, depth + 1, err);
  if (rc) goto fail;
  if (lc_array_init(out, 2, 1)) {
    lc_array_release(&items);
    rc = oom(err);
    goto fail;
  }
  lc_array_move(&items, out->children[0]);
  out->length = (int64_t)n;
  out->null_count = nulls;
  if (nulls)
    lc_array_set_buffer(out, 0, valid);
  else
    lc_free(valid);
  if (!large) {
    int32_t *o32 = (int32_t *)offs; /* in-place narrowing, ascending index is safe */
    for (uint64_t i = 0; i <= n; i++) o32[i] = (int32_t)offs[i];
  }
  lc_array_set_buffer(out, 1, offs);
  return 0;
fail:
  lc_free(offs);
  lc_free(valid);
  return rc;
}

/* Legacy blob column (large_binary + lance-encoding:blob): pages are
 * PackedStruct{position: u64, size: u64}; the payloads sit elsewhere in the
 * file at absolute positions. (1, 0) = null, (0, 0) = empty. */
static int read_blob(lc_file *f, int col, const lc_field *fld, uint64_t n, struct ArrowArray *out,
                     lancec_error *err) {
  static lc_field k_u64 = {.name = "u64", .id = -1, .parent_id = -1, .type = LC_T_UINT64};
  static lc_field *k_kids[2] = {&k_u64, &k_u64};
  lc_field desc = {
      .name = "blob", .id = -1, .parent_id = -1, .type = LC_T_STRUCT, .children = k_kids, .n_children = 2};
  struct ArrowArray d = {0};
  LC_TRY(read_column(f, col, &desc, n, &d, err));
  const uint64_t *pos = d.children[0]->buffers[1], *size = d.children[1]->buffers[1];
  uint64_t total = 0;
  int rc = 0;
  for (uint64_t i = 0; i < n; i++)
    if (lc_add_overflow_u64(total, size[i], &total) || total > f->size) {
      lc_array_release(&d);
      return lc_err(err, LANCEC_ECORRUPT, "%s: blob column %d: sizes exceed the file", f->path, col);
    }
  bool large = fld->type == LC_T_LARGE_BINARY;
  if (!large && total > INT32_MAX) {
    lc_array_release(&d);
    return lc_err(err, LANCEC_ECORRUPT, "%s: blob column %d: more than 2 GiB", f->path, col);
  }
  uint8_t *valid = lc_malloc_aligned(lc_bitmap_bytes((int64_t)n) + 1);
  void *offs = lc_malloc_aligned((n + 1) * (large ? 8 : 4));
  uint8_t *data = lc_malloc_aligned(total + 1);
  if (!valid || !offs || !data || lc_array_init(out, 3, 0)) {
    rc = oom(err);
    goto fail;
  }
  memset(valid, 0xff, lc_bitmap_bytes((int64_t)n) + 1);
  uint64_t at = 0;
  int64_t nulls = 0;
  if (large)
    ((int64_t *)offs)[0] = 0;
  else
    ((int32_t *)offs)[0] = 0;
  for (uint64_t i = 0; i < n; i++) {
    if (size[i] == 0 && pos[i] == 1) {
      lc_bit_clear(valid, (int64_t)i);
      nulls++;
    } else if (size[i]) {
      rc = lc_file_read_at(f, pos[i], size[i], data + at, "blob payload", err);
      if (rc) {
        lc_array_release(out);
        goto fail;
      }
      at += size[i];
    }
    if (large)
      ((int64_t *)offs)[i + 1] = (int64_t)at;
    else
      ((int32_t *)offs)[i + 1] = (int32_t)at;
  }
  out->length = (int64_t)n;
  out->null_count = nulls;
  if (nulls)
    lc_array_set_buffer(out, 0, valid);
  else
    lc_free(valid);
  lc_array_set_buffer(out, 1, offs);
  lc_array_set_buffer(out, 2, data);
  lc_array_release(&d);
  return 0;
fail:
  lc_free(valid);
  lc_free(offs);
  lc_free(data);
  lc_array_release(&d);
  return rc;
}

static int materialize(v20_reader *r, const lc_field *fld, uint64_t n, struct ArrowArray *out, int depth,
                       lancec_error *err) {
  memset(out, 0, sizeof(*out));
  if (depth > 64) return lc_err(err, LANCEC_ECORRUPT, "schema nested too deeply");
  lc_file *f = r->base.file;
  int col = col_of(r, fld->id);
  if (col >= (int)f->n_columns)
    return lc_err(err, LANCEC_ECORRUPT, "%s: field %d maps to column %d of %u", f->path, fld->id, col,
                  f->n_columns);
  if (fld->type == LC_T_STRUCT && !lc_field_is_packed_struct(fld)) {
    /* header column holds no data; struct validity is not stored in 2.0 */
    if (lc_array_init(out, 1, (int64_t)fld->n_children)) return oom(err);
    out->length = (int64_t)n;
    for (size_t i = 0; i < fld->n_children; i++) {
      int rc = materialize(r, fld->children[i], n, out->children[i], depth + 1, err);
      if (rc) {
        lc_array_release(out);
        return rc;
      }
    }
    return 0;
  }
  if (col < 0) return lc_array_make_nulls(fld, (int64_t)n, out, err);
  if (fld->type == LC_T_LIST || fld->type == LC_T_LARGE_LIST)
    return read_list(r, col, fld, n, out, depth, err);
  if (fld->type == LC_T_MAP)
    return lc_err(err, LANCEC_EUNSUPPORTED, "%s: map fields are not supported in file format 2.0", f->path);
  if (lc_field_is_blob_legacy(fld)) return read_blob(f, col, fld, n, out, err);
  return read_column(f, col, fld, n, out, err);
}

static bool v20_accepts(uint16_t major, uint16_t minor) {
  return (major == 0 && minor == 3) || (major == 2 && minor == 0);
}

static int v20_reader_new(lc_field_reader **out, lc_file *f, const lc_field *field, const lc_file_colmap *map,
                          lancec_error *err) {
  v20_reader *r = lc_calloc(1, sizeof(*r));
  if (!r) return oom(err);
  r->base.fmt = &lc_format_v20;
  r->base.file = f;
  r->field = field;
  size_t n = map ? map->n : 0;
  r->own.field_ids = lc_calloc(n ? n : 1, sizeof(int32_t));
  r->own.column_indices = lc_calloc(n ? n : 1, sizeof(int32_t));
  if (!r->own.field_ids || !r->own.column_indices) {
    lc_file_colmap_free(&r->own);
    lc_free(r);
    return oom(err);
  }
  if (n) {
    memcpy(r->own.field_ids, map->field_ids, n * sizeof(int32_t));
    memcpy(r->own.column_indices, map->column_indices, n * sizeof(int32_t));
  }
  r->own.n = n;
  r->map.field_ids = r->own.field_ids;
  r->map.column_indices = r->own.column_indices;
  r->map.n = n;
  r->paged_col = -1;
  int col = col_of(r, field->id);
  bool simple = field->type != LC_T_LIST && field->type != LC_T_LARGE_LIST && field->type != LC_T_MAP &&
                !lc_field_is_blob_legacy(field) &&
                (field->type != LC_T_STRUCT || lc_field_is_packed_struct(field));
  if (simple && col >= 0 && (uint32_t)col < f->n_columns && f->cols[col].total_rows == f->num_rows)
    r->paged_col = col;
  *out = &r->base;
  return 0;
}

static void v20_reader_free(lc_field_reader *rb) {
  v20_reader *r = (v20_reader *)rb;
  lc_array_release(&r->all);
  lc_array_release(&r->page);
  lc_file_colmap_free(&r->own);
  lc_free(r);
}

static int ensure(v20_reader *r, lancec_error *err) {
  if (r->have) return 0;
  LC_TRY(materialize(r, r->field, r->base.file->num_rows, &r->all, 0, err));
  r->have = true;
  return 0;
}

/* Page `p` of the reader's column, decoded (cached). */
static int load_page(v20_reader *r, size_t p, lancec_error *err) {
  if (r->have_page && r->cur_page == p) return 0;
  lc_array_release(&r->page);
  r->have_page = false;
  lc_file *f = r->base.file;
  v20_state *st = f->fmt_state;
  lc_column_info *ci = &f->cols[r->paged_col];
  page_ctx pc;
  int rc = page_new(&pc, f, (uint32_t)r->paged_col, p, err);
  if (!rc) rc = decode_page(&pc, st->encs[r->paged_col][p], r->field, ci->pages[p].length, &r->page, err);
  page_ctx_free(&pc);
  if (rc) return rc;
  if (r->page.length != (int64_t)ci->pages[p].length) {
    lc_array_release(&r->page);
    return lc_err(err, LANCEC_ECORRUPT, "%s: column %d page %zu decoded to a wrong length", f->path,
                  r->paged_col, p);
  }
  r->cur_page = p;
  r->have_page = true;
  return 0;
}

/* first page whose rows end after `row` */
static size_t page_of(const lc_column_info *ci, uint64_t row) {
  size_t lo = 0, hi = ci->n_pages;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (ci->pages[mid].first_row + ci->pages[mid].length <= row)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int finish_parts(v20_reader *r, struct ArrowArray *parts, size_t np, struct ArrowArray *out,
                        lancec_error *err) {
  if (np == 0) return lc_array_make_nulls(r->field, 0, out, err);
  if (r->field->type == LC_T_DICT) return concat_dicts(r->field, parts, np, out, err);
  return concat_release(r->field, parts, np, out, err);
}

static int paged_read(v20_reader *r, uint64_t start, uint64_t count, struct ArrowArray *out,
                      lancec_error *err) {
  lc_column_info *ci = &r->base.file->cols[r->paged_col];
  size_t cap = 8, np = 0;
  struct ArrowArray *parts = lc_calloc(cap, sizeof(*parts));
  if (!parts) return oom(err);
  int rc = 0;
  uint64_t row = start, end = start + count;
  for (size_t p = page_of(ci, start); row < end && p < ci->n_pages; p++) {
    const lc_page_info *pi = &ci->pages[p];
    if (pi->length == 0) continue;
    uint64_t lo = row - pi->first_row;
    uint64_t hi = end - pi->first_row < pi->length ? end - pi->first_row : pi->length;
    rc = load_page(r, p, err);
    if (rc) break;
    if (np == cap) {
      struct ArrowArray *nx = lc_realloc(parts, 2 * cap * sizeof(*parts));
      if (!nx) {
        rc = oom(err);
        break;
      }
      memset(nx + cap, 0, cap * sizeof(*parts));
      parts = nx, cap *= 2;
    }
    rc = lc_array_slice(r->field, &r->page, (int64_t)lo, (int64_t)(hi - lo), &parts[np], err);
    if (rc) break;
    np++;
    row = pi->first_row + hi;
  }
  if (!rc && row != end)
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: column %d does not cover rows up to %llu", r->base.file->path,
                r->paged_col, (unsigned long long)end);
  if (!rc)
    rc = finish_parts(r, parts, np, out, err);
  else
    for (size_t i = 0; i < np; i++) lc_array_release(&parts[i]);
  lc_free(parts);
  return rc;
}

static int paged_take(v20_reader *r, const uint64_t *rows, size_t n, struct ArrowArray *out,
                      lancec_error *err) {
  lc_column_info *ci = &r->base.file->cols[r->paged_col];
  size_t cap = 8, np = 0;
  struct ArrowArray *parts = lc_calloc(cap, sizeof(*parts));
  int64_t *idx = lc_malloc((n ? n : 1) * sizeof(int64_t));
  if (!parts || !idx) {
    lc_free(parts);
    lc_free(idx);
    return oom(err);
  }
  int rc = 0;
  size_t i = 0;
  while (i < n) {
    size_t p = page_of(ci, rows[i]);
    if (p >= ci->n_pages) {
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: column %d has no page for row %llu", r->base.file->path,
                  r->paged_col, (unsigned long long)rows[i]);
      break;
    }
    const lc_page_info *pi = &ci->pages[p];
    size_t k = 0;
    while (i < n && rows[i] < pi->first_row + pi->length) idx[k++] = (int64_t)(rows[i++] - pi->first_row);
    rc = load_page(r, p, err);
    if (rc) break;
    if (np == cap) {
      struct ArrowArray *nx = lc_realloc(parts, 2 * cap * sizeof(*parts));
      if (!nx) {
        rc = oom(err);
        break;
      }
      memset(nx + cap, 0, cap * sizeof(*parts));
      parts = nx, cap *= 2;
    }
    rc = lc_array_take(r->field, &r->page, idx, (int64_t)k, &parts[np], err);
    if (rc) break;
    np++;
  }
  if (!rc)
    rc = finish_parts(r, parts, np, out, err);
  else
    for (size_t j = 0; j < np; j++) lc_array_release(&parts[j]);
  lc_free(parts);
  lc_free(idx);
  return rc;
}

static int v20_read(lc_field_reader *rb, uint64_t start, uint64_t count, struct ArrowArray *out,
                    lancec_error *err) {
  v20_reader *r = (v20_reader *)rb;
  if (r->paged_col >= 0) return paged_read(r, start, count, out, err);
  LC_TRY(ensure(r, err));
  return lc_array_slice(r->field, &r->all, (int64_t)start, (int64_t)count, out, err);
}

static int v20_take(lc_field_reader *rb, const uint64_t *rows, size_t n, struct ArrowArray *out,
                    lancec_error *err) {
  v20_reader *r = (v20_reader *)rb;
  if (r->paged_col >= 0) return paged_take(r, rows, n, out, err);
  LC_TRY(ensure(r, err));
  int64_t *idx = lc_malloc((n ? n : 1) * sizeof(int64_t));
  if (!idx) return oom(err);
  for (size_t i = 0; i < n; i++) idx[i] = (int64_t)rows[i];
  int rc = lc_array_take(r->field, &r->all, idx, (int64_t)n, out, err);
  lc_free(idx);
  return rc;
}

const lc_file_format lc_format_v20 = {
    .name = "lance-2.0",
    .accepts = v20_accepts,
    .init = v20_init,
    .fini = v20_fini,
    .reader_new = v20_reader_new,
    .reader_free = v20_reader_free,
    .read = v20_read,
    .take = v20_take,
};
