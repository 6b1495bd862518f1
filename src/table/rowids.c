/* Stable row ids (table-format.md §4.9, §7.4): decode a fragment's
 * RowIdSequence into one id per physical row. */
#include <inttypes.h>

#include "table/table.h"

static int u64_array(const Lance__Table__EncodedU64Array *a, uint64_t **vals, size_t *n,
                     lancec_error *err) {
  *vals = NULL;
  *n = 0;
  if (!a) return lc_err(err, LANCEC_ECORRUPT, "row id sequence: missing array");
  size_t w;
  uint64_t base = 0;
  const ProtobufCBinaryData *b;
  switch (a->array_case) {
    case LANCE__TABLE__ENCODED_U64_ARRAY__ARRAY_U16_ARRAY:
      w = 2, base = a->u16_array->base_value, b = &a->u16_array->offsets;
      break;
    case LANCE__TABLE__ENCODED_U64_ARRAY__ARRAY_U32_ARRAY:
      w = 4, base = a->u32_array->base_value, b = &a->u32_array->offsets;
      break;
    case LANCE__TABLE__ENCODED_U64_ARRAY__ARRAY_U64_ARRAY:
      w = 8, b = &a->u64_array->values;
      break;
    default:
      return lc_err(err, LANCEC_ECORRUPT, "row id sequence: array without a width");
  }
  if (b->len % w) return lc_err(err, LANCEC_ECORRUPT, "row id sequence: %zu bytes is not a multiple of %zu", b->len, w);
  size_t cnt = b->len / w;
  uint64_t *v = lc_malloc((cnt ? cnt : 1) * sizeof(uint64_t));
  if (!v) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t i = 0; i < cnt; i++) {
    const uint8_t *p = b->data + i * w;
    uint64_t x = 0;
    for (size_t k = 0; k < w; k++) x |= (uint64_t)p[k] << (8 * k);
    v[i] = base + x;
  }
  *vals = v;
  *n = cnt;
  return 0;
}

static int push(uint64_t *out, uint64_t n, uint64_t *pos, uint64_t v, lancec_error *err) {
  if (*pos >= n) return lc_err(err, LANCEC_ECORRUPT, "row id sequence holds more ids than the fragment's %" PRIu64 " rows", n);
  out[(*pos)++] = v;
  return 0;
}

int lc_rowids_decode(const uint8_t *data, size_t len, uint64_t n_rows, uint64_t **out, lancec_error *err) {
  *out = NULL;
  Lance__Table__RowIdSequence *seq = lance__table__row_id_sequence__unpack(NULL, len, data);
  if (!seq) return lc_err(err, LANCEC_ECORRUPT, "row id sequence: not a valid RowIdSequence message");
  uint64_t *ids = lc_malloc((n_rows ? n_rows : 1) * sizeof(uint64_t));
  int rc = ids ? 0 : lc_err(err, LANCEC_ENOMEM, "out of memory");
  uint64_t pos = 0;
  for (size_t s = 0; s < seq->n_segments && rc == 0; s++) {
    const Lance__Table__U64Segment *g = seq->segments[s];
    switch (g->segment_case) {
      case LANCE__TABLE__U64_SEGMENT__SEGMENT_RANGE: {
        uint64_t a = g->range->start, b = g->range->end;
        if (b < a || b - a > n_rows - pos) {
          rc = lc_err(err, LANCEC_ECORRUPT, "row id sequence: range [%" PRIu64 ", %" PRIu64 ") does not fit the fragment", a, b);
          break;
        }
        for (uint64_t v = a; v < b; v++) ids[pos++] = v;
        break;
      }
      case LANCE__TABLE__U64_SEGMENT__SEGMENT_RANGE_WITH_HOLES: {
        uint64_t a = g->range_with_holes->start, b = g->range_with_holes->end;
        uint64_t *holes = NULL;
        size_t nh = 0;
        rc = u64_array(g->range_with_holes->holes, &holes, &nh, err);
        size_t h = 0;
        for (uint64_t v = a; v < b && rc == 0; v++) {
          while (h < nh && holes[h] < v) h++;
          if (h < nh && holes[h] == v) continue;
          rc = push(ids, n_rows, &pos, v, err);
        }
        lc_free(holes);
        break;
      }
      case LANCE__TABLE__U64_SEGMENT__SEGMENT_RANGE_WITH_BITMAP: {
        uint64_t a = g->range_with_bitmap->start, b = g->range_with_bitmap->end;
        const ProtobufCBinaryData *bm = &g->range_with_bitmap->bitmap;
        if (b < a || (b - a + 7) / 8 > bm->len) {
          rc = lc_err(err, LANCEC_ECORRUPT, "row id sequence: bitmap of %zu bytes for range [%" PRIu64 ", %" PRIu64 ")", bm->len, a, b);
          break;
        }
        for (uint64_t i = 0; i < b - a && rc == 0; i++)
          if (bm->data[i / 8] >> (i % 8) & 1) rc = push(ids, n_rows, &pos, a + i, err);
        break;
      }
      case LANCE__TABLE__U64_SEGMENT__SEGMENT_SORTED_ARRAY:
      case LANCE__TABLE__U64_SEGMENT__SEGMENT_ARRAY: {
        uint64_t *vals = NULL;
        size_t nv = 0;
        rc = u64_array(g->segment_case == LANCE__TABLE__U64_SEGMENT__SEGMENT_ARRAY ? g->array : g->sorted_array,
                       &vals, &nv, err);
        for (size_t i = 0; i < nv && rc == 0; i++) rc = push(ids, n_rows, &pos, vals[i], err);
        lc_free(vals);
        break;
      }
      default:
        rc = lc_err(err, LANCEC_ECORRUPT, "row id sequence: segment %zu has no kind", s);
    }
  }
  if (rc == 0 && pos != n_rows)
    rc = lc_err(err, LANCEC_ECORRUPT, "row id sequence holds %" PRIu64 " ids for %" PRIu64 " rows", pos, n_rows);
  lance__table__row_id_sequence__free_unpacked(seq, NULL);
  if (rc) {
    lc_free(ids);
    return rc;
  }
  *out = ids;
  return 0;
}

int lc_fragment_row_ids(const lancec_dataset *ds, const Lance__Table__DataFragment *frag, uint64_t **out,
                        lancec_error *err) {
  *out = NULL;
  int rc;
  switch (frag->row_id_sequence_case) {
    case LANCE__TABLE__DATA_FRAGMENT__ROW_ID_SEQUENCE_INLINE_ROW_IDS:
      rc = lc_rowids_decode(frag->inline_row_ids.data, frag->inline_row_ids.len, frag->physical_rows, out, err);
      break;
    case LANCE__TABLE__DATA_FRAGMENT__ROW_ID_SEQUENCE_EXTERNAL_ROW_IDS: {
      const Lance__Table__ExternalFile *x = frag->external_row_ids;
      if (!x || !x->path) return lc_err(err, LANCEC_ECORRUPT, "fragment %" PRIu64 ": external row ids without a path", frag->id);
      char *path = lc_sprintf("%s/%s", ds->root, x->path);
      if (!path) return lc_err(err, LANCEC_ENOMEM, "out of memory");
      uint8_t *buf = NULL;
      lc_io_file *fh = NULL;
      rc = x->size > ((uint64_t)1 << 32) ? lc_err(err, LANCEC_ECORRUPT, "%s: row id sequence of %" PRIu64 " bytes", path, x->size)
                                         : lc_io_open(ds->io, path, &fh, err);
      if (rc == 0) {
        buf = lc_malloc(x->size ? x->size : 1);
        rc = buf ? lc_io_read(fh, x->offset, (size_t)x->size, buf, err) : lc_err(err, LANCEC_ENOMEM, "out of memory");
      }
      if (rc == 0) rc = lc_rowids_decode(buf, (size_t)x->size, frag->physical_rows, out, err);
      if (rc) lc_err_prefix(err, "%s: ", path);
      lc_io_close(fh);
      lc_free(buf);
      lc_free(path);
      break;
    }
    default:
      return 0; /* no stable row ids: _rowid = _rowaddr */
  }
  if (rc) lc_err_prefix(err, "fragment %" PRIu64 ": ", frag->id);
  return rc;
}
