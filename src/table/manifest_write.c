/* Building manifest L+1 from manifest L and an operation
 * (table-format.md §9.3, §14.1) and serialising the manifest file (§3):
 *
 *   [u32 len + IndexSection]   copied verbatim from L (Append / Delete)
 *   u32 len + Transaction      identical to the .txn file
 *   u32 len + Manifest         (manifest_pos)
 *   i64 manifest_pos, i16 0, i16 2, "LANC"
 *
 * Messages of L are referenced, not rebuilt, so unknown fields inside them
 * survive. Proto3 presence is mimicked: plain scalars are set only when
 * non-zero; `optional` ones (max_fragment_id, transaction_section,
 * index_section) whenever they apply. */
#include <inttypes.h>
#include <roaring/roaring.h>

#include "table/table_write.h"

#define LC_KNOWN_WRITER_FLAGS                                                           \
  (LC_FLAG_DELETION_FILES | LC_FLAG_STABLE_ROW_IDS | LC_FLAG_USE_V2_FORMAT_DEPRECATED | \
   LC_FLAG_TABLE_CONFIG | LC_FLAG_BASE_PATHS | LC_FLAG_DISABLE_TRANSACTION_FILE)

static int cmp_frag(const void *a, const void *b) {
  const Lance__Table__DataFragment *x = *(Lance__Table__DataFragment *const *)a;
  const Lance__Table__DataFragment *y = *(Lance__Table__DataFragment *const *)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* A packed U64Segment::Range{start, end} inside message `seg`. */
static Lance__Table__U64Segment *range_segment(lc_arena *a, uint64_t start, uint64_t end) {
  Lance__Table__U64Segment *seg = lc_arena_alloc(a, sizeof(*seg));
  Lance__Table__U64Segment__Range *r = lc_arena_alloc(a, sizeof(*r));
  if (!seg || !r) return NULL;
  lance__table__u64_segment__init(seg);
  lance__table__u64_segment__range__init(r);
  r->has_start = start != 0;
  r->start = start;
  r->has_end = end != 0;
  r->end = end;
  seg->segment_case = LANCE__TABLE__U64_SEGMENT__SEGMENT_RANGE;
  seg->range = r;
  return seg;
}

static int pack_into(lc_arena *a, const ProtobufCMessage *msg, ProtobufCBinaryData *out) {
  size_t n = protobuf_c_message_get_packed_size(msg);
  uint8_t *p = lc_arena_alloc(a, n ? n : 1);
  if (!p) return LANCEC_ENOMEM;
  protobuf_c_message_pack(msg, p);
  out->data = p;
  out->len = n;
  return 0;
}

/* Stable row ids (§7.4): ids [next, next+rows), version runs at `version`. */
static int assign_row_ids(lc_arena *a, Lance__Table__DataFragment *f, uint64_t next, uint64_t version) {
  uint64_t rows = f->physical_rows;
  Lance__Table__RowIdSequence seq = LANCE__TABLE__ROW_ID_SEQUENCE__INIT;
  Lance__Table__U64Segment *seg = range_segment(a, next, next + rows);
  if (!seg) return LANCEC_ENOMEM;
  seq.n_segments = 1;
  seq.segments = &seg;
  LC_TRY(pack_into(a, &seq.base, &f->inline_row_ids));
  f->row_id_sequence_case = LANCE__TABLE__DATA_FRAGMENT__ROW_ID_SEQUENCE_INLINE_ROW_IDS;

  Lance__Table__RowDatasetVersionRun run = LANCE__TABLE__ROW_DATASET_VERSION_RUN__INIT;
  run.span = range_segment(a, 0, rows);
  if (!run.span) return LANCEC_ENOMEM;
  run.has_version = version != 0;
  run.version = version;
  Lance__Table__RowDatasetVersionRun *runp = &run;
  Lance__Table__RowDatasetVersionSequence vs = LANCE__TABLE__ROW_DATASET_VERSION_SEQUENCE__INIT;
  vs.n_runs = 1;
  vs.runs = &runp;
  LC_TRY(pack_into(a, &vs.base, &f->inline_created_at_versions));
  f->created_at_version_sequence_case =
      LANCE__TABLE__DATA_FRAGMENT__CREATED_AT_VERSION_SEQUENCE_INLINE_CREATED_AT_VERSIONS;
  LC_TRY(pack_into(a, &vs.base, &f->inline_last_updated_at_versions));
  f->last_updated_at_version_sequence_case =
      LANCE__TABLE__DATA_FRAGMENT__LAST_UPDATED_AT_VERSION_SEQUENCE_INLINE_LAST_UPDATED_AT_VERSIONS;
  return 0;
}

/* Shallow copy of a new fragment with its id set. */
static Lance__Table__DataFragment *frag_with_id(lc_arena *a, const Lance__Table__DataFragment *f,
                                                uint64_t id) {
  Lance__Table__DataFragment *c = lc_arena_memdup(a, f, sizeof(*f));
  if (!c) return NULL;
  c->id = id;
  c->has_id = id != 0;
  return c;
}

/* Whether index `im` still covers a fragment of the new version: -1 when
 * its coverage is unknown (no or unreadable bitmap), else 0 / 1. */
static int index_covers(const Lance__Table__IndexMetadata *im, Lance__Table__DataFragment *const *frags,
                        size_t nf) {
  if (!im->has_fragment_bitmap || im->fragment_bitmap.len == 0) return -1;
  roaring_bitmap_t *bm = roaring_bitmap_portable_deserialize_safe((const char *)im->fragment_bitmap.data,
                                                                  im->fragment_bitmap.len);
  if (!bm) return -1;
  int hit = 0;
  for (size_t i = 0; i < nf && !hit; i++)
    if (frags[i]->id <= UINT32_MAX && roaring_bitmap_contains(bm, (uint32_t)frags[i]->id)) hit = 1;
  roaring_bitmap_free(bm);
  return hit;
}

/* Delete (§9.3): drop vector index segments that no longer cover any
 * fragment; of several empty segments of one scalar index keep only the
 * oldest. Sets *section to NULL when nothing changes (copy verbatim). */
static int delete_index_section(lc_arena *a, const lc_manifest *prev,
                                Lance__Table__DataFragment *const *frags, size_t nf,
                                Lance__Table__IndexSection **section) {
  *section = NULL;
  const Lance__Table__IndexSection *is = prev->indices;
  if (!is || !is->n_indices) return 0;
  size_t n = is->n_indices;
  int *cov = lc_arena_alloc(a, n * sizeof(int));
  Lance__Table__IndexMetadata **keep = lc_arena_alloc(a, n * sizeof(*keep));
  if (!cov || !keep) return LANCEC_ENOMEM;
  for (size_t i = 0; i < n; i++) cov[i] = index_covers(is->indices[i], frags, nf);
  size_t nk = 0;
  for (size_t i = 0; i < n; i++) {
    const Lance__Table__IndexMetadata *im = is->indices[i];
    bool drop = false;
    if (cov[i] == 0) {
      const char *type = lc_index_type_name(im);
      if (!strcmp(type, "VECTOR")) {
        drop = true;
      } else if (strcmp(type, "FRAG_REUSE") && strcmp(type, "MEM_WAL")) {
        for (size_t j = 0; j < n && !drop; j++) {
          const Lance__Table__IndexMetadata *o = is->indices[j];
          if (j == i || cov[j] != 0 || !o->name || !im->name || strcmp(o->name, im->name)) continue;
          if (o->dataset_version < im->dataset_version ||
              (o->dataset_version == im->dataset_version && j < i))
            drop = true;
        }
      }
    }
    if (!drop) keep[nk++] = is->indices[i];
  }
  if (nk == n) return 0;
  Lance__Table__IndexSection *ns = lc_arena_memdup(a, is, sizeof(*is));
  if (!ns) return LANCEC_ENOMEM;
  ns->n_indices = nk;
  ns->indices = keep;
  *section = ns;
  return 0;
}

static const char *format_of(const lc_manifest *prev, const lc_commit_op *op) {
  if (op->kind == LC_TXN_OVERWRITE && op->data_format) return op->data_format;
  if (prev && prev->data_format) return prev->data_format;
  return "2.2";
}

int lc_manifest_build(const lc_manifest *prev, const lc_commit_op *op, const uint8_t *txn, size_t txn_len,
                      const char *txn_file, uint8_t **out, size_t *out_len, lancec_error *err) {
  *out = NULL;
  *out_len = 0;
  const Lance__Table__Manifest *pp = prev ? prev->pb : NULL;
  if (pp) {
    uint64_t unknown = pp->writer_feature_flags & ~(uint64_t)LC_KNOWN_WRITER_FLAGS;
    if (unknown)
      return lc_err(err, LANCEC_EUNSUPPORTED,
                    "%s: dataset needs writer feature flags 0x%" PRIx64 " that lancec does not support",
                    prev->path, unknown);
    if (pp->base.n_unknown_fields)
      return lc_err(err, LANCEC_EUNSUPPORTED,
                    "%s: manifest has %u fields unknown to lancec; refusing to write on top of it",
                    prev->path, pp->base.n_unknown_fields);
  }
  if (!pp && op->kind != LC_TXN_OVERWRITE)
    return lc_err(err, LANCEC_ENOTFOUND, "no dataset to %s",
                  op->kind == LC_TXN_APPEND ? "append to" : "delete from");

  lc_arena a = {0};
  int rc = 0;
  uint64_t version = pp ? prev->version + 1 : 1;
  bool stable = pp && (pp->reader_feature_flags & LC_FLAG_STABLE_ROW_IDS);
  Lance__Table__Manifest nm = LANCE__TABLE__MANIFEST__INIT;

  /* ---- schema ---- */
  if (op->kind == LC_TXN_OVERWRITE) {
    nm.n_fields = op->n_fields;
    nm.fields = op->fields;
    nm.n_schema_metadata = op->n_schema_metadata;
    nm.schema_metadata = op->schema_metadata;
  } else {
    nm.n_fields = pp->n_fields;
    nm.fields = pp->fields;
    nm.n_schema_metadata = pp->n_schema_metadata;
    nm.schema_metadata = pp->schema_metadata;
  }

  /* ---- fragments ---- */
  size_t n_prev = pp ? pp->n_fragments : 0;
  size_t cap = n_prev + op->n_fragments + 1;
  Lance__Table__DataFragment **frags = lc_arena_alloc(&a, cap * sizeof(*frags));
  if (!frags) goto oom;
  size_t nf = 0;
  bool have_prev_max = pp && pp->has_max_fragment_id;
  uint64_t high = have_prev_max ? pp->max_fragment_id : 0;
  bool any_id = have_prev_max;
  uint64_t next_row_id = pp ? pp->next_row_id : 0;
  if (op->kind == LC_TXN_APPEND || op->kind == LC_TXN_DELETE) {
    for (size_t i = 0; i < n_prev; i++) {
      Lance__Table__DataFragment *f = pp->fragments[i];
      if (!any_id || f->id > high) high = f->id;
      any_id = true;
      if (op->kind == LC_TXN_DELETE) {
        bool gone = false;
        for (size_t k = 0; k < op->n_deleted_ids && !gone; k++) gone = op->deleted_fragment_ids[k] == f->id;
        if (gone) continue;
        for (size_t k = 0; k < op->n_updated; k++)
          if (op->updated_fragments[k]->id == f->id) f = op->updated_fragments[k];
      }
      frags[nf++] = f;
    }
    if (op->kind == LC_TXN_DELETE) {
      /* every updated / deleted fragment must still exist in L */
      for (size_t k = 0; k < op->n_updated + op->n_deleted_ids; k++) {
        uint64_t id =
            k < op->n_updated ? op->updated_fragments[k]->id : op->deleted_fragment_ids[k - op->n_updated];
        bool found = false;
        for (size_t i = 0; i < n_prev && !found; i++) found = pp->fragments[i]->id == id;
        if (!found) {
          lc_arena_free(&a);
          return lc_err(err, LANCEC_ECONFLICT, "fragment %" PRIu64 " no longer exists in version %" PRIu64,
                        id, prev->version);
        }
      }
    }
  }
  if (op->kind == LC_TXN_APPEND || op->kind == LC_TXN_OVERWRITE) {
    uint64_t next_id = 0;
    if (op->kind == LC_TXN_APPEND && any_id) next_id = high + 1;
    for (size_t i = 0; i < op->n_fragments; i++) {
      Lance__Table__DataFragment *f = frag_with_id(&a, op->fragments[i], next_id++);
      if (!f) goto oom;
      if (stable && f->row_id_sequence_case == LANCE__TABLE__DATA_FRAGMENT__ROW_ID_SEQUENCE__NOT_SET) {
        if (assign_row_ids(&a, f, next_row_id, version)) goto oom;
        next_row_id += f->physical_rows;
      }
      if (!any_id || f->id > high) high = f->id;
      any_id = true;
      frags[nf++] = f;
    }
  }
  qsort(frags, nf, sizeof(*frags), cmp_frag);
  nm.n_fragments = nf;
  nm.fragments = frags;
  if (any_id) {
    if (high > UINT32_MAX) {
      lc_arena_free(&a);
      return lc_err(err, LANCEC_EUNSUPPORTED, "fragment id %" PRIu64 " does not fit in 32 bits", high);
    }
    nm.has_max_fragment_id = true;
    nm.max_fragment_id = (uint32_t)high;
  }

  /* ---- version, time, writer ---- */
  nm.has_version = true;
  nm.version = version;
  int64_t now = lc_now_ns();
  Lancec__Wkt__Timestamp *ts = lc_arena_alloc(&a, sizeof(*ts));
  Lance__Table__Manifest__WriterVersion *wv = lc_arena_alloc(&a, sizeof(*wv));
  Lance__Table__Manifest__DataStorageFormat *df = lc_arena_alloc(&a, sizeof(*df));
  if (!ts || !wv || !df) goto oom;
  lancec__wkt__timestamp__init(ts);
  ts->seconds = now / 1000000000;
  ts->has_seconds = ts->seconds != 0;
  ts->nanos = (int32_t)(now % 1000000000);
  ts->has_nanos = ts->nanos != 0;
  nm.timestamp = ts;
  lance__table__manifest__writer_version__init(wv);
  wv->library = "lancec";
  wv->version = LANCEC_VERSION_STRING;
  nm.writer_version = wv;
  lance__table__manifest__data_storage_format__init(df);
  df->file_format = "lance";
  df->version = (char *)format_of(prev, op);
  if (op->kind != LC_TXN_OVERWRITE && pp->data_format)
    nm.data_format = pp->data_format;
  else
    nm.data_format = df;
  nm.transaction_file = (char *)txn_file;
  if (stable) {
    nm.has_next_row_id = next_row_id != 0;
    nm.next_row_id = next_row_id;
  }

  /* ---- copied forward ---- */
  if (pp) {
    nm.n_table_metadata = pp->n_table_metadata;
    nm.table_metadata = pp->table_metadata;
    nm.n_base_paths = pp->n_base_paths;
    nm.base_paths = pp->base_paths;
    nm.branch = pp->branch;
  }
  /* config: L's entries with the upserts applied */
  size_t n_cfg_prev = pp ? pp->n_config : 0;
  Lance__Table__Manifest__ConfigEntry **cfg =
      lc_arena_alloc(&a, (n_cfg_prev + op->n_config + 1) * sizeof(*cfg));
  if (!cfg) goto oom;
  size_t ncfg = 0;
  for (size_t i = 0; i < n_cfg_prev; i++) {
    bool replaced = false;
    for (size_t k = 0; k < op->n_config && !replaced; k++)
      replaced = pp->config[i]->key && !strcmp(pp->config[i]->key, op->config_keys[k]);
    if (!replaced) cfg[ncfg++] = pp->config[i];
  }
  for (size_t k = 0; k < op->n_config; k++) {
    bool dup = false; /* the last value of a repeated key wins */
    for (size_t j = k + 1; j < op->n_config && !dup; j++)
      dup = !strcmp(op->config_keys[k], op->config_keys[j]);
    if (dup) continue;
    Lance__Table__Manifest__ConfigEntry *e = lc_arena_alloc(&a, sizeof(*e));
    if (!e) goto oom;
    lance__table__manifest__config_entry__init(e);
    e->key = (char *)op->config_keys[k];
    e->value = (char *)(op->config_values[k] ? op->config_values[k] : "");
    cfg[ncfg++] = e;
  }
  nm.n_config = ncfg;
  nm.config = cfg;

  /* ---- feature flags (recomputed, §6) ---- */
  uint64_t rf = 0, wf = 0;
  for (size_t i = 0; i < nf; i++)
    if (frags[i]->deletion_file) rf |= LC_FLAG_DELETION_FILES;
  if (stable) rf |= LC_FLAG_STABLE_ROW_IDS;
  if (nm.n_base_paths) rf |= LC_FLAG_BASE_PATHS;
  wf = rf;
  if (ncfg) wf |= LC_FLAG_TABLE_CONFIG;
  nm.has_reader_feature_flags = rf != 0;
  nm.reader_feature_flags = rf;
  nm.has_writer_feature_flags = wf != 0;
  nm.writer_feature_flags = wf;

  /* ---- sections ---- */
  lc_buf b = {0};
  Lance__Table__IndexSection *new_is = NULL;
  if (pp && op->kind == LC_TXN_DELETE && op->n_deleted_ids && pp->has_index_section &&
      delete_index_section(&a, prev, frags, nf, &new_is))
    goto oom;
  if (new_is) {
    if (new_is->n_indices) {
      size_t l = lance__table__index_section__get_packed_size(new_is);
      uint8_t l4[4];
      lc_st32(l4, (uint32_t)l);
      if (lc_buf_append(&b, l4, 4) || lc_buf_reserve(&b, l)) goto oom_buf;
      lance__table__index_section__pack(new_is, b.data + b.len);
      b.len += l;
      nm.has_index_section = true;
      nm.index_section = 0;
    }
  } else if (pp && op->kind != LC_TXN_OVERWRITE && pp->has_index_section) {
    uint64_t off = pp->index_section;
    if (off + 4 > prev->raw_len || lc_le32(prev->raw + off) > prev->raw_len - off - 4) {
      lc_arena_free(&a);
      return lc_err(err, LANCEC_ECORRUPT, "%s: index section is outside the file", prev->path);
    }
    size_t l = 4 + lc_le32(prev->raw + off);
    if (lc_buf_append(&b, prev->raw + off, l)) goto oom_buf;
    nm.has_index_section = true;
    nm.index_section = 0;
  }
  uint8_t len4[4];
  nm.has_transaction_section = true;
  nm.transaction_section = b.len;
  lc_st32(len4, (uint32_t)txn_len);
  if (lc_buf_append(&b, len4, 4) || lc_buf_append(&b, txn, txn_len)) goto oom_buf;
  uint64_t pos = b.len;
  size_t mlen = lance__table__manifest__get_packed_size(&nm);
  if (mlen > UINT32_MAX) {
    lc_buf_free(&b);
    lc_arena_free(&a);
    return lc_err(err, LANCEC_EUNSUPPORTED, "manifest of %zu bytes is too large", mlen);
  }
  lc_st32(len4, (uint32_t)mlen);
  if (lc_buf_append(&b, len4, 4) || lc_buf_reserve(&b, mlen + 16)) goto oom_buf;
  lance__table__manifest__pack(&nm, b.data + b.len);
  b.len += mlen;
  uint8_t footer[16];
  lc_st64(footer, pos);
  lc_st16(footer + 8, 0);
  lc_st16(footer + 10, 2);
  memcpy(footer + 12, "LANC", 4);
  if (lc_buf_append(&b, footer, 16)) goto oom_buf;
  lc_arena_free(&a);
  *out = lc_buf_steal(&b, out_len);
  return 0;
oom_buf:
  lc_buf_free(&b);
oom:
  lc_arena_free(&a);
  (void)rc;
  return lc_err(err, LANCEC_ENOMEM, "out of memory building manifest");
}

int32_t lc_manifest_max_field_id(const lc_manifest *m) {
  int32_t mx = -1;
  if (!m || !m->pb) return mx;
  for (size_t i = 0; i < m->pb->n_fields; i++)
    if (m->pb->fields[i]->id > mx) mx = m->pb->fields[i]->id;
  for (size_t i = 0; i < m->pb->n_fragments; i++) {
    const Lance__Table__DataFragment *f = m->pb->fragments[i];
    for (size_t j = 0; j < f->n_files; j++)
      for (size_t k = 0; k < f->files[j]->n_fields; k++)
        if (f->files[j]->fields[k] > mx) mx = f->files[j]->fields[k];
  }
  return mx;
}
