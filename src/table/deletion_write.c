/* Writing deletion files (table-format.md §7.1-7.2, §1.6):
 * `.arrow` = Arrow IPC file with one non-nullable uint32 column `row_id`
 * (the uncompressed template of file-format-2.0-legacy-and-aux.md §C.7),
 * `.bin` = portable 32-bit roaring bitmap (CRoaring, cookie 12346). */
#include <inttypes.h>
#include <roaring/roaring.h>

#include "table/table_write.h"

/* clang-format off */
/* Schema message flatbuffer (120 bytes), §C.7. */
static const uint8_t k_schema_fb[120] = {
    0x10, 0, 0, 0,                                                 /* root → 16 */
    0x0a, 0, 0x0c, 0, 0x04, 0, 0x06, 0, 0x08, 0, 0, 0,             /* Message vtable */
    0x0c, 0, 0, 0, 0x04, 0, 0x01, 0,                               /* table: V5, Schema */
    0x0c, 0, 0, 0,                                                 /* header → 36 */
    0x08, 0, 0x08, 0, 0, 0, 0x04, 0,                               /* Schema vtable */
    0x08, 0, 0, 0, 0x04, 0, 0, 0,                                  /* Schema table; fields → 44 */
    0x01, 0, 0, 0, 0x14, 0, 0, 0,                                  /* 1 field → 68 */
    0x10, 0, 0x14, 0, 0x04, 0, 0, 0, 0x10, 0, 0x08, 0, 0, 0, 0x0c, 0, /* Field vtable */
    0x10, 0, 0, 0,                                                 /* Field soffset */
    0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x24, 0, 0, 0,                   /* name, type, children */
    0x02, 0, 0, 0,                                                 /* type_type Int */
    0x06, 0, 0, 0, 'r', 'o', 'w', '_', 'i', 'd', 0, 0,             /* "row_id" */
    0x08, 0, 0x08, 0, 0x04, 0, 0, 0,                               /* Int vtable */
    0x08, 0, 0, 0, 0x20, 0, 0, 0,                                  /* Int{32, unsigned} */
    0, 0, 0, 0,                                                    /* children: [] */
};

/* RecordBatch message flatbuffer (136 bytes); B at 32, n at 56 and 80, 4n at 128. */
static const uint8_t k_batch_fb[136] = {
    0x10, 0, 0, 0,
    0x0c, 0, 0x18, 0, 0x04, 0, 0x06, 0, 0x08, 0, 0x10, 0,
    0x0c, 0, 0, 0, 0x04, 0, 0x03, 0,
    0x1c, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,                                   /* 32: bodyLength */
    0x0a, 0, 0x14, 0, 0x04, 0, 0x0c, 0, 0x10, 0, 0, 0,
    0x0c, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,                                   /* 56: length */
    0x0c, 0, 0, 0, 0x20, 0, 0, 0,
    0, 0, 0, 0,
    0x01, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,           /* 80: FieldNode(n, 0) */
    0, 0, 0, 0,
    0x02, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,           /* validity (0, 0) */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,           /* values (0, 4n) at 120 */
};

/* Footer flatbuffer (160 bytes); Block at 136: offset 136, metaDataLength 144, bodyLength B at 152. */
static const uint8_t k_footer_fb[160] = {
    0x10, 0, 0, 0,
    0x0c, 0, 0x14, 0, 0x10, 0, 0x04, 0, 0x08, 0, 0x0c, 0,
    0x0c, 0, 0, 0,
    0x18, 0, 0, 0, 0x68, 0, 0, 0, 0x68, 0, 0, 0,
    0x04, 0, 0, 0,
    0x08, 0, 0x08, 0, 0, 0, 0x04, 0,
    0x08, 0, 0, 0, 0x04, 0, 0, 0,
    0x01, 0, 0, 0, 0x14, 0, 0, 0,
    0x10, 0, 0x14, 0, 0x04, 0, 0, 0, 0x10, 0, 0x08, 0, 0, 0, 0x0c, 0,
    0x10, 0, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x24, 0, 0, 0, 0x02, 0, 0, 0,
    0x06, 0, 0, 0, 'r', 'o', 'w', '_', 'i', 'd', 0, 0,
    0x08, 0, 0x08, 0, 0x04, 0, 0, 0,
    0x08, 0, 0, 0, 0x20, 0, 0, 0,
    0, 0, 0, 0,
    0, 0, 0, 0,
    0x01, 0, 0, 0,
    0x88, 0, 0, 0, 0, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0, 0, /* Block: offset 136, metaDataLength 144 */
    0, 0, 0, 0, 0, 0, 0, 0,                               /* 152: bodyLength */
};
/* clang-format on */

int lc_deletion_encode_arrow(const uint32_t *rows, size_t n, uint8_t **out, size_t *len, lancec_error *err) {
  *out = NULL;
  *len = 0;
  if (n == 0) return lc_err(err, LANCEC_EINVAL, "a deletion file needs at least one row");
  if (n > (size_t)INT32_MAX / 4)
    return lc_err(err, LANCEC_EINVAL, "too many rows for a .arrow deletion file");
  uint64_t body = ((uint64_t)n * 4 + 7) & ~(uint64_t)7;
  size_t total = 458 + (size_t)body;
  uint8_t *p = lc_calloc(1, total);
  if (!p) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  memcpy(p, "ARROW1", 6);
  /* schema message at 8 */
  lc_st32(p + 8, 0xffffffffu);
  lc_st32(p + 12, 120);
  memcpy(p + 16, k_schema_fb, 120);
  /* record batch message at 136 */
  lc_st32(p + 136, 0xffffffffu);
  lc_st32(p + 140, 136);
  uint8_t *rb = p + 144;
  memcpy(rb, k_batch_fb, 136);
  lc_st64(rb + 32, body);
  lc_st64(rb + 56, n);
  lc_st64(rb + 80, n);
  lc_st64(rb + 128, (uint64_t)n * 4);
  /* body at 280 */
  for (size_t i = 0; i < n; i++) lc_st32(p + 280 + 4 * i, rows[i]);
  size_t q = 280 + (size_t)body;
  lc_st32(p + q, 0xffffffffu); /* end-of-stream marker */
  lc_st32(p + q + 4, 0);
  memcpy(p + q + 8, k_footer_fb, 160);
  lc_st64(p + q + 8 + 152, body);
  lc_st32(p + q + 168, 160);
  memcpy(p + q + 172, "ARROW1", 6);
  *out = p;
  *len = total;
  return 0;
}

int lc_deletion_encode_bitmap(const uint32_t *rows, size_t n, uint8_t **out, size_t *len, lancec_error *err) {
  *out = NULL;
  *len = 0;
  roaring_bitmap_t *bm = roaring_bitmap_create();
  if (!bm) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  roaring_bitmap_add_many(bm, n, rows);
  size_t sz = roaring_bitmap_portable_size_in_bytes(bm);
  uint8_t *p = lc_malloc(sz ? sz : 1);
  if (!p) {
    roaring_bitmap_free(bm);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  size_t w = roaring_bitmap_portable_serialize(bm, (char *)p);
  roaring_bitmap_free(bm);
  if (w != sz) {
    lc_free(p);
    return lc_err(err, LANCEC_EINTERNAL, "roaring serialisation wrote %zu of %zu bytes", w, sz);
  }
  *out = p;
  *len = sz;
  return 0;
}

int lc_deletion_write(lc_io *io, const char *root, uint64_t frag_id, uint64_t read_version,
                      const uint32_t *rows, size_t n, Lance__Table__DeletionFile *df, lancec_error *err) {
  bool bitmap = n > LC_DELETION_ARROW_MAX;
  uint8_t *bytes = NULL;
  size_t len = 0;
  if (bitmap)
    LC_TRY(lc_deletion_encode_bitmap(rows, n, &bytes, &len, err));
  else
    LC_TRY(lc_deletion_encode_arrow(rows, n, &bytes, &len, err));
  uint64_t id;
  lc_random_bytes(&id, sizeof(id));
  if (id == 0) id = 1;
  char *rel = lc_sprintf("_deletions/%" PRIu64 "-%" PRIu64 "-%" PRIu64 ".%s", frag_id, read_version, id,
                         bitmap ? "bin" : "arrow");
  char *path = rel ? lc_path_join(root, rel) : NULL;
  lc_free(rel);
  int rc = path ? io->m->put(io, path, bytes, len, err) : lc_err(err, LANCEC_ENOMEM, "out of memory");
  lc_free(path);
  lc_free(bytes);
  if (rc) return rc;
  lance__table__deletion_file__init(df);
  df->has_file_type = bitmap;
  df->file_type = bitmap ? LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__BITMAP
                         : LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__ARROW_ARRAY;
  df->has_read_version = read_version != 0;
  df->read_version = read_version;
  df->has_id = true;
  df->id = id;
  df->has_num_deleted_rows = true;
  df->num_deleted_rows = n;
  return 0;
}

/* ---- a Delete commit from physical offsets ---------------------------------- */

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Sorted union of two sorted distinct arrays. */
static uint32_t *merge_sorted(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, size_t *n) {
  uint32_t *o = lc_malloc((na + nb) * sizeof(uint32_t) + 4);
  if (!o) return NULL;
  size_t i = 0, j = 0, k = 0;
  while (i < na || j < nb) {
    uint32_t v;
    if (j >= nb || (i < na && a[i] < b[j]))
      v = a[i++];
    else if (i >= na || b[j] < a[i])
      v = b[j++];
    else {
      v = a[i++];
      j++;
    }
    o[k++] = v;
  }
  *n = k;
  return o;
}

int lc_delete_offsets(lc_io *io, const char *root, const lc_manifest *m, const uint64_t *frag_ids,
                      uint32_t *const *offsets, const size_t *n_offsets, size_t n_frags,
                      const char *predicate, lancec_write_result *result, bool *retryable,
                      lancec_error *err) {
  if (retryable) *retryable = false;
  lc_arena a = {0};
  Lance__Table__DataFragment **updated = lc_arena_alloc(&a, (n_frags + 1) * sizeof(*updated));
  uint64_t *gone = lc_arena_alloc(&a, (n_frags + 1) * sizeof(*gone));
  if (!updated || !gone) {
    lc_arena_free(&a);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  size_t n_updated = 0, n_gone = 0;
  uint64_t newly = 0;
  int rc = 0;
  for (size_t i = 0; i < n_frags && rc == 0; i++) {
    if (!n_offsets[i]) continue;
    const Lance__Table__DataFragment *f = NULL;
    for (size_t k = 0; k < m->pb->n_fragments && !f; k++)
      if (m->pb->fragments[k]->id == frag_ids[i]) f = m->pb->fragments[k];
    if (!f) {
      rc = lc_err(err, LANCEC_EINVAL, "fragment %" PRIu64 " is not in version %" PRIu64, frag_ids[i],
                  m->version);
      break;
    }
    uint64_t phys = f->physical_rows;
    uint32_t *mine = lc_malloc(n_offsets[i] * sizeof(uint32_t));
    if (!mine) {
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      break;
    }
    memcpy(mine, offsets[i], n_offsets[i] * sizeof(uint32_t));
    qsort(mine, n_offsets[i], sizeof(uint32_t), cmp_u32);
    size_t nm = 0;
    for (size_t k = 0; k < n_offsets[i]; k++)
      if (k == 0 || mine[k] != mine[k - 1]) mine[nm++] = mine[k];
    if (nm && mine[nm - 1] >= phys) {
      rc = lc_err(err, LANCEC_EINVAL, "row offset %u is outside fragment %" PRIu64 " (%" PRIu64 " rows)",
                  mine[nm - 1], f->id, phys);
      lc_free(mine);
      break;
    }
    uint32_t *old = NULL;
    size_t nold = 0;
    if (f->deletion_file) rc = lc_deletion_read(io, root, m, f, &old, &nold, err);
    size_t nall = 0;
    uint32_t *all = rc ? NULL : merge_sorted(old, nold, mine, nm, &nall);
    if (!rc && !all) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    lc_free(mine);
    lc_free(old);
    if (rc) break;
    if (nall == nold) { /* nothing new in this fragment */
      lc_free(all);
      continue;
    }
    newly += nall - nold;
    if (nall >= phys) {
      gone[n_gone++] = f->id;
      lc_free(all);
      continue;
    }
    Lance__Table__DataFragment *uf = lc_arena_memdup(&a, f, sizeof(*f));
    Lance__Table__DeletionFile *df = lc_arena_alloc(&a, sizeof(*df));
    if (!uf || !df) {
      lc_free(all);
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      break;
    }
    rc = lc_deletion_write(io, root, f->id, m->version, all, nall, df, err);
    lc_free(all);
    if (rc) break;
    uf->deletion_file = df;
    updated[n_updated++] = uf;
  }
  if (rc == 0 && newly == 0) {
    if (result) {
      rc = lc_write_result_fill(io, root, m->version, 1024, result, err);
      result->num_rows = 0;
    }
    lc_arena_free(&a);
    return rc;
  }
  if (rc == 0) {
    lc_commit_op op = {0};
    op.kind = LC_TXN_DELETE;
    op.read_version = m->version;
    op.updated_fragments = updated;
    op.n_updated = n_updated;
    op.deleted_fragment_ids = gone;
    op.n_deleted_ids = n_gone;
    op.predicate = predicate;
    lc_commit_result cr;
    rc = lc_commit(io, root, &op, NULL, &cr, err);
    if (rc == LANCEC_ECONFLICT && retryable) *retryable = cr.retryable;
    if (rc == 0 && result) {
      rc = lc_write_result_fill(io, root, cr.version, 1024, result, err);
      result->num_rows = newly;
    }
  }
  lc_arena_free(&a);
  return rc;
}
