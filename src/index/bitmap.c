/* Bitmap scalar index (docs/indices.md, table-format.md §12.4).
 *
 * _indices/<uuid>/bitmap_page_lookup.lance: keys (value type; one null key
 * when the column has nulls) and bitmaps (binary): one row per distinct
 * value, the rows holding it as a serialized row-address map:
 *   u32 n; n x { u32 fragment id, u32 size, size bytes of a portable 32-bit
 *   Roaring bitmap of offsets } (size 0 = every row of the fragment).
 *
 * The query is evaluated on the keys; the bitmaps of the keys where it is
 * TRUE are read and merged. */
#include <inttypes.h>
#include <stdio.h>

#include "index/index_internal.h"

typedef struct bm_keys {
  char *path;
  lc_file *file;
  lc_schema *schema;
  lc_file_colmap_storage cms;
  lc_file_colmap cm;
  const lc_field *keys_f, *bitmaps_f;
  struct ArrowArray keys;
} bm_keys;

static void keys_drop(void *p) {
  bm_keys *k = p;
  if (!k) return;
  lc_array_release(&k->keys);
  lc_file_colmap_free(&k->cms);
  lc_schema_free(k->schema);
  lc_file_free(k->file);
  lc_free(k->path);
  lc_free(k);
}

static bool key_type_ok(const lc_field *f) {
  switch (f->type) {
    case LC_T_DICT:
    case LC_T_STRUCT:
    case LC_T_LIST:
    case LC_T_LARGE_LIST:
    case LC_T_FIXED_LIST:
    case LC_T_MAP:
    case LC_T_NULL:
      return false;
    default:
      return true;
  }
}

static int load_keys(bm_keys *k, const lc_index_seg *seg, lancec_error *err) {
  k->path = lc_path_join(seg->dir, "bitmap_page_lookup.lance");
  if (!k->path) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  LC_TRY(lc_index_open_file(&k->file, &k->schema, seg->io, seg->dir, "bitmap_page_lookup.lance", err));
  k->keys_f = lc_schema_find_name(k->schema, "keys");
  k->bitmaps_f = lc_schema_find_name(k->schema, "bitmaps");
  if (!k->keys_f || !k->bitmaps_f ||
      (k->bitmaps_f->type != LC_T_BINARY && k->bitmaps_f->type != LC_T_LARGE_BINARY))
    return lc_err(err, LANCEC_ECORRUPT, "%s: expected columns keys, bitmaps (binary)", k->path);
  if (!key_type_ok(k->keys_f)) {
    char b[128];
    return lc_err(err, LANCEC_EUNSUPPORTED, "%s: Bitmap over %s keys", k->path,
                  lc_field_type_string(k->keys_f, b, sizeof b));
  }
  LC_TRY(lc_file_colmap_from_schema(k->schema, &k->cms, &k->cm, err));
  lc_field_reader *r = NULL;
  LC_TRY(lc_field_reader_new(&r, k->file, k->keys_f, &k->cm, err));
  int rc = lc_field_reader_read(r, 0, lc_file_num_rows(k->file), &k->keys, err);
  lc_field_reader_free(r);
  if (!rc && k->keys.length != (int64_t)lc_file_num_rows(k->file))
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: keys has %" PRId64 " rows, file has %" PRIu64, k->path,
                k->keys.length, lc_file_num_rows(k->file));
  return rc;
}

int lc_index_bitmap_load(lc_icache_obj **out, const lc_index_seg *seg, lc_index_cache *cache,
                         lancec_error *err) {
  *out = NULL;
  char *key = lc_sprintf("%s/bitmap", seg->uuid);
  if (!key) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  lc_icache_obj *o = lc_icache_get(cache, key);
  if (o) {
    lc_free(key);
    *out = o;
    return 0;
  }
  bm_keys *k = lc_calloc(1, sizeof *k);
  if (!k) {
    lc_free(key);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  int rc = load_keys(k, seg, err);
  if (rc) {
    keys_drop(k);
    lc_free(key);
    return rc;
  }
  uint64_t bytes = sizeof *k + lc_index_array_bytes(k->keys_f, &k->keys) + 4096;
  o = lc_icache_put(cache, key, k, bytes, keys_drop);
  lc_free(key);
  if (!o) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  *out = o;
  return 0;
}

const lc_field *lc_index_bitmap_field(const lc_icache_obj *o) {
  return ((const bm_keys *)o->p)->keys_f;
}

/* Merge one serialized row-address map into acc. */
static int merge_treemap(const uint8_t *d, size_t len, const char *path, int64_t key_row, lc_index_acc *acc,
                         lancec_error *err) {
  size_t pos = 0;
  if (len < 4)
    return lc_err(err, LANCEC_ECORRUPT, "%s: bitmap of key #%" PRId64 " is truncated", path, key_row);
  uint32_t n = lc_le32(d);
  pos = 4;
  for (uint32_t e = 0; e < n; e++) {
    if (len - pos < 8)
      return lc_err(err, LANCEC_ECORRUPT, "%s: bitmap of key #%" PRId64 " is truncated (entry %u of %u)",
                    path, key_row, e, n);
    uint32_t frag = lc_le32(d + pos), size = lc_le32(d + pos + 4);
    pos += 8;
    if (len - pos < size)
      return lc_err(err, LANCEC_ECORRUPT, "%s: bitmap of key #%" PRId64 ", fragment %u: %u bytes, %zu left",
                    path, key_row, frag, size, len - pos);
    if (acc->rid) { /* stable row ids: the "fragment" is the high half of the id */
      int rc = size == 0 ? lc_index_acc_add_high(acc, frag, err) : 0;
      if (size) {
        char name[64];
        snprintf(name, sizeof name, "bitmap of key #%" PRId64 ", ids %u:*", key_row, frag);
        uint32_t *rows = NULL;
        size_t cnt = 0;
        uint64_t lim = acc->max_ids < ((uint64_t)1 << 32) ? acc->max_ids : (uint64_t)1 << 32;
        rc = lc_deletion_parse_bitmap_limit(d + pos, size, name, lim, &rows, &cnt, err);
        for (size_t i = 0; i < cnt && !rc; i++)
          rc = lc_index_acc_add_id(acc, (uint64_t)frag << 32 | rows[i], path, err);
        lc_free(rows);
        if (rc && !strstr(err ? err->message : "", path)) lc_err_prefix(err, "%s: ", path);
      }
      if (rc) return rc;
      pos += size;
      continue;
    }
    ptrdiff_t slot = lc_index_acc_slot(acc, frag);
    if (slot >= 0 && acc->covers[slot]) {
      roaring_bitmap_t **bm = &acc->rows[slot];
      if (!*bm && !(*bm = roaring_bitmap_create())) return lc_err(err, LANCEC_ENOMEM, "out of memory");
      uint64_t phys = acc->frag_rows[slot];
      if (size == 0) { /* the whole fragment */
        if (phys) roaring_bitmap_add_range(*bm, 0, phys);
      } else {
        char name[64];
        snprintf(name, sizeof name, "bitmap of key #%" PRId64 ", fragment %u", key_row, frag);
        uint32_t *rows = NULL;
        size_t cnt = 0;
        int rc = lc_deletion_parse_bitmap_limit(d + pos, size, name, phys, &rows, &cnt, err);
        if (!rc && cnt && rows[cnt - 1] >= phys)
          rc = lc_err(err, LANCEC_ECORRUPT, "%s: row %u beyond the %" PRIu64 " rows of fragment %u", name,
                      rows[cnt - 1], phys, frag);
        if (!rc && cnt) roaring_bitmap_add_many(*bm, cnt, rows);
        lc_free(rows);
        if (rc) {
          lc_err_prefix(err, "%s: ", path);
          return rc;
        }
      }
    }
    pos += size;
  }
  return 0;
}

int lc_index_bitmap_search(lc_icache_obj *keys, const lc_index_seg *seg, lc_index_cache *cache,
                           const lc_index_query *q, lc_index_acc *acc, uint64_t *parts_read,
                           uint64_t *parts_total, lancec_error *err) {
  (void)seg, (void)cache;
  const bm_keys *k = keys->p;
  int64_t n = k->keys.length;
  *parts_total += (uint64_t)n;
  if (n == 0) return 0;
  uint8_t *keep = lc_malloc(lc_bitmap_bytes(n));
  if (!keep) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  int rc = lc_index_eval(q->bound, q->field, &k->keys, keep, err);
  uint64_t *rows = NULL;
  size_t nrows = 0;
  if (!rc) {
    rows = lc_malloc((size_t)n * sizeof *rows);
    if (!rows) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    for (int64_t i = 0; i < n && !rc; i++)
      if (lc_bit_get(keep, i)) rows[nrows++] = (uint64_t)i;
  }
  lc_free(keep);
  if (rc || nrows == 0) {
    lc_free(rows);
    return rc;
  }
  *parts_read += nrows;
  lc_field_reader *r = NULL;
  struct ArrowArray b = {0};
  rc = lc_field_reader_new(&r, k->file, k->bitmaps_f, &k->cm, err);
  if (!rc) rc = lc_field_reader_take(r, rows, nrows, &b, err);
  lc_field_reader_free(r);
  if (!rc && b.length != (int64_t)nrows)
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: bitmaps: took %zu rows, got %" PRId64, k->path, nrows, b.length);
  bool large = k->bitmaps_f->type == LC_T_LARGE_BINARY;
  for (size_t i = 0; i < nrows && !rc; i++) {
    int64_t j = b.offset + (int64_t)i;
    if (b.null_count && b.buffers[0] && !lc_bit_get((const uint8_t *)b.buffers[0], j)) continue;
    int64_t s, e;
    if (large) {
      s = ((const int64_t *)b.buffers[1])[j];
      e = ((const int64_t *)b.buffers[1])[j + 1];
    } else {
      s = ((const int32_t *)b.buffers[1])[j];
      e = ((const int32_t *)b.buffers[1])[j + 1];
    }
    if (s < 0 || e < s) {
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: bitmaps: bad offsets", k->path);
      break;
    }
    rc = merge_treemap((const uint8_t *)b.buffers[2] + s, (size_t)(e - s), k->path, (int64_t)rows[i], acc,
                       err);
  }
  lc_array_release(&b);
  lc_free(rows);
  return rc;
}
