/* The public dataset API of lancec.h (everything except the scanner):
 * open (latest / version / tag / asof), metadata accessors, fragments,
 * indices, version history. */
#include <inttypes.h>
#include <stdio.h>

#include "table/table.h"
#include "table/legacy_fixups.h"

/* ---- helpers ------------------------------------------------------------------ */

char *lc_field_path(const lc_field *f) {
  if (!f) return NULL;
  size_t len = 0;
  int depth = 0;
  for (const lc_field *p = f; p && depth < 256; p = p->parent, depth++) len += strlen(p->name) + 1;
  char *s = lc_malloc(len ? len : 1);
  if (!s) return NULL;
  size_t end = len ? len - 1 : 0;
  s[end] = 0;
  depth = 0;
  for (const lc_field *p = f; p && depth < 256; p = p->parent, depth++) {
    size_t l = strlen(p->name);
    end -= l;
    memcpy(s + end, p->name, l);
    if (p->parent && end > 0) s[--end] = '.';
  }
  return s;
}

const char *lc_index_type_name(const Lance__Table__IndexMetadata *im) {
  if (im->name && !strcmp(im->name, "__lance_frag_reuse")) return "FRAG_REUSE";
  if (im->name && !strcmp(im->name, "__lance_mem_wal")) return "MEM_WAL";
  if (!im->index_details || !im->index_details->type_url) return "UNKNOWN";
  const char *u = im->index_details->type_url;
  const char *dot = strrchr(u, '.');
  const char *sfx = dot ? dot + 1 : u;
  static const struct {
    const char *msg, *type;
  } k[] = {
      {"BTreeIndexDetails", "BTREE"},
      {"BitmapIndexDetails", "BITMAP"},
      {"LabelListIndexDetails", "LABEL_LIST"},
      {"NGramIndexDetails", "NGRAM"},
      {"ZoneMapIndexDetails", "ZONEMAP"},
      {"InvertedIndexDetails", "INVERTED"},
      {"BloomFilterIndexDetails", "BLOOMFILTER"},
      {"JsonIndexDetails", "JSON"},
      {"VectorIndexDetails", "VECTOR"},
      {"FMIndexDetails", "FM"},
      {"FragmentReuseIndexDetails", "FRAG_REUSE"},
      {"MemWalIndexDetails", "MEM_WAL"},
  };
  for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
    if (!strcmp(sfx, k[i].msg)) return k[i].type;
  return "UNKNOWN";
}

typedef struct infer_ctx {
  const char *type;
} infer_ctx;

static int infer_cb(const lc_io_entry *e, void *ud) {
  infer_ctx *c = ud;
  if (!strcmp(e->name, "index.idx")) c->type = "VECTOR";
  else if (!strcmp(e->name, "page_lookup.lance")) c->type = "BTREE";
  else if (!strcmp(e->name, "bitmap_page_lookup.lance")) c->type = "BITMAP";
  return c->type != NULL;
}

/* Very old indices (no index_details): infer the type from the files in the
 * index directory; "UNKNOWN" when that does not tell. */
static const char *infer_index_type(const lancec_dataset *ds, const Lance__Table__IndexMetadata *im,
                                    const char *uuid) {
  if (!*uuid || im->has_base_id) return "UNKNOWN";
  char *rel = lc_sprintf("_indices/%s", uuid);
  char *dir = rel ? lc_path_join(ds->root, rel) : NULL;
  lc_free(rel);
  infer_ctx c = {NULL};
  lancec_error e = {0};
  if (dir) ds->io->m->list(ds->io, dir, infer_cb, &c, &e);
  lc_free(dir);
  return c.type ? c.type : "UNKNOWN";
}

static void indices_free(lc_dataset_index *v, size_t n) {
  for (size_t i = 0; v && i < n; i++) {
    lc_free(v[i].name);
    lc_free(v[i].type);
    lc_free(v[i].uuid);
    lc_free(v[i].column);
  }
  lc_free(v);
}

static int build_indices(lancec_dataset *ds, lancec_error *err) {
  const Lance__Table__IndexSection *sec = ds->manifest->indices;
  if (!sec || sec->n_indices == 0) return 0;
  ds->indices = lc_calloc(sec->n_indices, sizeof(*ds->indices));
  if (!ds->indices) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t i = 0; i < sec->n_indices; i++) {
    const Lance__Table__IndexMetadata *im = sec->indices[i];
    lc_dataset_index *e = &ds->indices[ds->n_indices++];
    e->name = lc_strdup(im->name ? im->name : "");
    e->type = lc_strdup(lc_index_type_name(im));
    if (im->uuid && im->uuid->has_uuid && im->uuid->uuid.len == 16) {
      const uint8_t *u = im->uuid->uuid.data;
      e->uuid = lc_sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
                           u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
                           u[13], u[14], u[15]);
    } else {
      e->uuid = lc_strdup("");
    }
    if (e->type && e->uuid && !strcmp(e->type, "UNKNOWN") && !im->index_details) {
      lc_free(e->type);
      e->type = lc_strdup(infer_index_type(ds, im, e->uuid));
    }
    const lc_field *f = im->n_fields ? lc_schema_find_id(ds->manifest->schema, im->fields[0]) : NULL;
    e->column = f ? lc_field_path(f) : lc_strdup("");
    e->dataset_version = im->dataset_version;
    if (!e->name || !e->type || !e->uuid || !e->column) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  return 0;
}

char *lc_dataset_data_file_path(const lancec_dataset *ds, const Lance__Table__DataFile *df) {
  if (!ds || !df || !df->path) return NULL;
  if (df->has_base_id) {
    const Lance__Table__BasePath *bp = lc_manifest_base_path(ds->manifest, df->base_id);
    if (!bp || !bp->path) return NULL;
    const char *base = lc_base_path_local(bp->path);
    if (!bp->is_dataset_root) return lc_path_join(base, df->path);
    char *d = lc_path_join(base, "data");
    char *p = d ? lc_path_join(d, df->path) : NULL;
    lc_free(d);
    return p;
  }
  char *d = lc_path_join(ds->root, "data");
  char *p = d ? lc_path_join(d, df->path) : NULL;
  lc_free(d);
  return p;
}

/* ---- open / free ----------------------------------------------------------------- */

lancec_dataset *lc_dataset_ref(lancec_dataset *ds) {
  if (ds) __atomic_add_fetch(&ds->refcount, 1, __ATOMIC_SEQ_CST);
  return ds;
}

void lancec_dataset_free(lancec_dataset *ds) {
  if (!ds || __atomic_sub_fetch(&ds->refcount, 1, __ATOMIC_SEQ_CST) != 0) return;
  indices_free(ds->indices, ds->n_indices);
  lc_manifest_free(ds->manifest);
  lancec_session_free(ds->session);
  lc_io_unref(ds->io);
  lc_free(ds->root);
  lc_free(ds->uri);
  lc_free(ds);
}

static int check_opts(const lancec_open_options *o, lancec_error *err) {
  if (!o) return 0;
  if (o->version_ < 1 || o->version_ > LANCEC_OPEN_OPTIONS_VERSION)
    return lc_err(err, LANCEC_EINVAL, "lancec_open_options: bad struct version %d", o->version_);
  int n = (o->version != 0) + (o->tag != NULL) + (o->has_asof != 0);
  if (n > 1) return lc_err(err, LANCEC_EINVAL, "lancec_open_options: set at most one of version, tag, asof");
  return 0;
}

int lc_dataset_open_io(lancec_dataset **out, lc_io *io, const char *root,
                       const lancec_open_options *opts, lancec_error *err) {
  *out = NULL;
  LC_TRY(check_opts(opts, err));
  uint64_t want = 0;
  if (opts && opts->tag) {
    LC_TRY(lc_tag_resolve(io, root, opts->tag, &want, err));
  } else if (opts && opts->has_asof) {
    LC_TRY(lc_version_asof(io, root, opts->asof_ns, &want, err));
  } else if (opts) {
    want = opts->version;
  }
  lancec_session *session = opts && opts->version_ >= 2 ? opts->session : NULL;
  /* a known version already in the session's cache: no manifest I/O */
  lc_manifest *cached = want ? lc_session_manifest_get(session, root, want) : NULL;
  char *path = NULL;
  uint64_t got = want;
  int rc = 0;
  if (!cached) {
    rc = lc_version_manifest_path(io, root, want, &path, &got, err);
    if (rc) {
      if (rc == LANCEC_ENOTFOUND && opts && opts->tag) lc_err_prefix(err, "tag '%s': ", opts->tag);
      return rc;
    }
    cached = lc_session_manifest_get(session, root, got);
  }
  lancec_dataset *ds = lc_calloc(1, sizeof(*ds));
  if (!ds) {
    lc_free(path);
    lc_manifest_free(cached);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  ds->refcount = 1;
  ds->io = lc_io_ref(io);
  ds->session = lc_session_ref(session);
  ds->root = lc_strdup(root);
  if (!ds->root) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (cached) {
    ds->manifest = cached; /* already checked and fixed up */
    if (rc == 0) rc = build_indices(ds, err);
  } else {
    if (rc == 0) rc = lc_manifest_read(&ds->manifest, io, path, err);
    if (rc == 0 && ds->manifest->version != got)
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: manifest records version %" PRIu64 " but its name says %" PRIu64,
                  path, ds->manifest->version, got);
    if (rc == 0) rc = build_indices(ds, err);
    if (rc == 0) rc = lc_legacy_fixup_dataset(ds, err); /* legacy v1: physical_rows from the files */
    if (rc == 0) lc_session_manifest_put(session, root, ds->manifest);
  }
  lc_free(path);
  if (rc) {
    lancec_dataset_free(ds);
    return rc;
  }
  *out = ds;
  return 0;
}

int lancec_dataset_open(lancec_dataset **out, const char *uri, const lancec_open_options *opts,
                        lancec_error *err) {
  if (!out) return lc_err(err, LANCEC_EINVAL, "lancec_dataset_open: NULL out");
  *out = NULL;
  if (!uri) return lc_err(err, LANCEC_EINVAL, "lancec_dataset_open: NULL uri");
  LC_TRY(check_opts(opts, err));
  lc_io *io = NULL;
  char *root = NULL;
  LC_TRY(lc_io_from_uri(uri, &io, &root, err));
  lancec_dataset *ds = NULL;
  int rc = lc_dataset_open_io(&ds, io, root, opts, err);
  lc_io_unref(io);
  lc_free(root);
  if (rc) return rc;
  ds->uri = lc_strdup(uri);
  if (!ds->uri) {
    lancec_dataset_free(ds);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  if (!ds->session) {
    /* no session given: a private one, so that repeated scans and takes on
     * this handle reuse file metadata, deletion vectors and loaded indices */
    lancec_session_options so = LANCEC_SESSION_OPTIONS_INIT;
    so.metadata_cache_size_bytes = (int64_t)64 << 20;
    so.index_cache_size_bytes = (int64_t)256 << 20;
    rc = lancec_session_new(&ds->session, &so, err);
    if (rc) {
      lancec_dataset_free(ds);
      return rc;
    }
  }
  *out = ds;
  return 0;
}

/* ---- accessors -------------------------------------------------------------------- */

uint64_t lancec_dataset_version(const lancec_dataset *ds) { return ds ? ds->manifest->version : 0; }

int64_t lancec_dataset_timestamp_ns(const lancec_dataset *ds) {
  return ds ? ds->manifest->timestamp_ns : 0;
}

uint64_t lancec_dataset_count_rows(const lancec_dataset *ds) {
  return ds ? lc_manifest_count_rows(ds->manifest) : 0;
}

const char *lancec_dataset_data_format(const lancec_dataset *ds) {
  return ds ? ds->manifest->data_format : "";
}

int lancec_dataset_schema(const lancec_dataset *ds, struct ArrowSchema *out, lancec_error *err) {
  if (!ds || !out) return lc_err(err, LANCEC_EINVAL, "lancec_dataset_schema: NULL argument");
  return lc_schema_to_arrow(ds->manifest->schema, out, err);
}

size_t lancec_dataset_num_fragments(const lancec_dataset *ds) {
  return ds ? ds->manifest->pb->n_fragments : 0;
}

int lancec_dataset_fragment(const lancec_dataset *ds, size_t i, lancec_fragment_info *out,
                            lancec_error *err) {
  if (!ds || !out) return lc_err(err, LANCEC_EINVAL, "lancec_dataset_fragment: NULL argument");
  if (i >= ds->manifest->pb->n_fragments)
    return lc_err(err, LANCEC_EINVAL, "fragment index %zu out of range (%zu fragments)", i,
                  ds->manifest->pb->n_fragments);
  const Lance__Table__DataFragment *f = ds->manifest->pb->fragments[i];
  out->id = f->id;
  out->physical_rows = f->physical_rows;
  out->deleted_rows = f->deletion_file ? f->deletion_file->num_deleted_rows : 0;
  out->num_data_files = (uint32_t)f->n_files;
  out->has_deletion_file = f->deletion_file != NULL;
  return 0;
}

size_t lancec_dataset_num_indices(const lancec_dataset *ds) { return ds ? ds->n_indices : 0; }

int lancec_dataset_index(const lancec_dataset *ds, size_t i, lancec_index_info *out,
                         lancec_error *err) {
  if (!ds || !out) return lc_err(err, LANCEC_EINVAL, "lancec_dataset_index: NULL argument");
  if (i >= ds->n_indices)
    return lc_err(err, LANCEC_EINVAL, "index %zu out of range (%zu indices)", i, ds->n_indices);
  const lc_dataset_index *e = &ds->indices[i];
  out->name = e->name;
  out->type = e->type;
  out->uuid = e->uuid;
  out->column = e->column;
  out->dataset_version = e->dataset_version;
  return 0;
}

/* ---- version history ---------------------------------------------------------------- */

int lancec_dataset_versions(lancec_version_info **out, size_t *n, const char *uri, lancec_error *err) {
  if (!out || !n || !uri) return lc_err(err, LANCEC_EINVAL, "lancec_dataset_versions: NULL argument");
  *out = NULL;
  *n = 0;
  lc_io *io = NULL;
  char *root = NULL;
  LC_TRY(lc_io_from_uri(uri, &io, &root, err));
  lc_version_entry *v = NULL;
  size_t nv = 0;
  int rc = lc_versions_list(io, root, &v, &nv, err);
  lancec_version_info *info = NULL;
  if (rc == 0) {
    info = lc_calloc(nv, sizeof(*info));
    if (!info) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t i = 0; rc == 0 && i < nv; i++) {
    lc_manifest *m = NULL;
    rc = lc_manifest_read(&m, io, v[i].path, err);
    if (rc) break;
    info[i].version = v[i].version;
    info[i].timestamp_ns = m->timestamp_ns;
    info[i].num_rows = lc_manifest_count_rows(m);
    Lance__Transaction *t = NULL;
    lancec_error terr = {0};
    if (lc_manifest_transaction(m, io, root, &t, &terr) == 0 && t) {
      snprintf(info[i].operation, sizeof(info[i].operation), "%s", lc_transaction_operation_name(t));
      lance__transaction__free_unpacked(t, NULL);
    }
    lc_manifest_free(m);
  }
  lc_versions_entries_free(v, nv);
  lc_io_unref(io);
  lc_free(root);
  if (rc) {
    lc_free(info);
    return rc;
  }
  *out = info;
  *n = nv;
  return 0;
}

void lancec_versions_free(lancec_version_info *v) { lc_free(v); }

void lancec_dataset_io_stats(const lancec_dataset *ds, uint64_t *bytes_read, uint64_t *read_calls) {
  uint64_t b = 0, r = 0;
  if (ds && ds->io) {
    b = __atomic_load_n(&ds->io->stat_bytes_read, __ATOMIC_RELAXED);
    r = __atomic_load_n(&ds->io->stat_reads, __ATOMIC_RELAXED);
  }
  if (bytes_read) *bytes_read = b;
  if (read_calls) *read_calls = r;
}
