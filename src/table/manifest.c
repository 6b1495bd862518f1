/* Manifest files (table-format.md §3, §4, §6): footer, length checks,
 * protobuf decoding, schema, index section, feature flags, data format,
 * transactions. */
#include <inttypes.h>

#include "table/table.h"

#define LC_KNOWN_READER_FLAGS                                                                 \
  (LC_FLAG_DELETION_FILES | LC_FLAG_STABLE_ROW_IDS | LC_FLAG_USE_V2_FORMAT_DEPRECATED |       \
   LC_FLAG_TABLE_CONFIG | LC_FLAG_BASE_PATHS | LC_FLAG_DISABLE_TRANSACTION_FILE)

void lc_manifest_ref(lc_manifest *m) { __atomic_add_fetch(&m->extra_refs, 1, __ATOMIC_SEQ_CST); }

void lc_manifest_free(lc_manifest *m) {
  if (!m || __atomic_fetch_sub(&m->extra_refs, 1, __ATOMIC_SEQ_CST) > 0) return;
  if (m->pb) lance__table__manifest__free_unpacked(m->pb, NULL);
  if (m->indices) lance__table__index_section__free_unpacked(m->indices, NULL);
  lc_schema_free(m->schema);
  lc_free(m->path);
  lc_free(m->raw);
  lc_free(m->data_format);
  lc_free(m);
}

/* (major, minor) of a data file → storage version string, NULL if invalid. */
const char *lc_file_version_name(uint32_t major, uint32_t minor) {
  if (major == 0 && minor <= 2) return "0.1";
  if ((major == 0 && minor == 3) || (major == 2 && minor == 0)) return "2.0";
  if (major == 2 && minor == 1) return "2.1";
  if (major == 2 && minor == 2) return "2.2";
  if (major == 2 && minor == 3) return "2.3";
  return NULL;
}

static int infer_data_format(lc_manifest *m, const char *name, lancec_error *err) {
  const Lance__Table__Manifest *pb = m->pb;
  const char *v = NULL;
  if (pb->data_format && pb->data_format->version && *pb->data_format->version) {
    v = pb->data_format->version;
    if (!strcmp(v, "0.3")) v = "2.0";
    if (pb->data_format->file_format && *pb->data_format->file_format &&
        strcmp(pb->data_format->file_format, "lance") != 0)
      return lc_err(err, LANCEC_EUNSUPPORTED, "%s: data file format '%s' is not supported", name,
                    pb->data_format->file_format);
  } else {
    for (size_t i = 0; i < pb->n_fragments && !v; i++) {
      const Lance__Table__DataFragment *f = pb->fragments[i];
      if (f && f->n_files && f->files[0]) {
        v = lc_file_version_name(f->files[0]->file_major_version, f->files[0]->file_minor_version);
        if (!v)
          return lc_err(err, LANCEC_EUNSUPPORTED, "%s: data file version %u.%u is not supported",
                        name, f->files[0]->file_major_version, f->files[0]->file_minor_version);
      }
    }
    if (!v) v = (pb->writer_feature_flags & LC_FLAG_USE_V2_FORMAT_DEPRECATED) ? "2.0" : "0.1";
  }
  m->data_format = lc_strdup(v);
  return m->data_format ? 0 : lc_err(err, LANCEC_ENOMEM, "out of memory");
}

/* A u32-length-prefixed section at `off` that must end before `limit`. */
static int section_slice(const uint8_t *raw, size_t limit, uint64_t off, const char *what,
                         const char *name, const uint8_t **p, size_t *n, lancec_error *err) {
  if (off > limit || limit - off < 4)
    return lc_err(err, LANCEC_ECORRUPT, "%s: %s offset %" PRIu64 " is outside the file", name, what,
                  off);
  uint32_t l = lc_le32(raw + off);
  if ((uint64_t)l > limit - off - 4)
    return lc_err(err, LANCEC_ECORRUPT, "%s: %s at offset %" PRIu64 " has length %u past the end",
                  name, what, off, l);
  *p = raw + off + 4;
  *n = l;
  return 0;
}

int lc_manifest_decode(lc_manifest **out, uint8_t *raw, size_t len, const char *name,
                       lancec_error *err) {
  if (!name) name = "manifest";
  if (!out) {
    lc_free(raw);
    return lc_err(err, LANCEC_EINVAL, "lc_manifest_decode: NULL out");
  }
  *out = NULL;
  lc_manifest *m = lc_calloc(1, sizeof(*m));
  if (!m) {
    lc_free(raw);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  m->raw = raw;
  m->raw_len = len;
  m->file_size = len;
  m->path = lc_strdup(name);
  int rc = 0;
  if (!m->path) {
    rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    goto fail;
  }
  if (!raw || len < 20) {
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: file is too small to be a manifest (%zu bytes)", name, len);
    goto fail;
  }
  if (memcmp(raw + len - 4, "LANC", 4) != 0) {
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: bad magic (expected \"LANC\" at the end of the file)", name);
    goto fail;
  }
  int64_t pos = (int64_t)lc_le64(raw + len - 16);
  /* footer major/minor (0.1 or 0.2) are not checked, like Lance */
  if (pos < 0 || (uint64_t)pos > len - 20) {
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: manifest position %" PRId64 " is outside the file (%zu bytes)",
                name, pos, len);
    goto fail;
  }
  uint32_t mlen = lc_le32(raw + pos);
  if ((uint64_t)pos + 4 + (uint64_t)mlen + 16 != (uint64_t)len) {
    rc = lc_err(err, LANCEC_ECORRUPT,
                "%s: manifest length mismatch (position %" PRId64 " + 4 + length %u + 16 != file size %zu)",
                name, pos, mlen, len);
    goto fail;
  }
  m->pb = lance__table__manifest__unpack(NULL, mlen, raw + pos + 4);
  if (!m->pb) {
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: manifest protobuf could not be decoded", name);
    goto fail;
  }
  Lance__Table__Manifest *pb = m->pb;
  uint64_t unknown = pb->reader_feature_flags & ~(uint64_t)LC_KNOWN_READER_FLAGS;
  if (unknown) {
    rc = lc_err(err, LANCEC_EUNSUPPORTED,
                "%s: dataset needs reader feature flags 0x%" PRIx64 " that lancec does not support",
                name, unknown);
    goto fail;
  }
  if (!pb->has_version || pb->version == 0) {
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: manifest has no version number", name);
    goto fail;
  }
  m->version = pb->version;
  if (pb->timestamp) {
    int64_t s = pb->timestamp->seconds, ns = 0;
    if (__builtin_mul_overflow(s, (int64_t)1000000000, &ns) ||
        __builtin_add_overflow(ns, (int64_t)pb->timestamp->nanos, &ns)) {
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: manifest timestamp is out of range", name);
      goto fail;
    }
    m->timestamp_ns = ns;
  }
  for (size_t i = 0; i < pb->n_fragments; i++) {
    const Lance__Table__DataFragment *f = pb->fragments[i];
    for (size_t j = 0; j < f->n_files; j++) {
      if (!f->files[j]->path || !*f->files[j]->path) {
        rc = lc_err(err, LANCEC_ECORRUPT, "%s: fragment %" PRIu64 " has a data file without a path",
                    name, f->id);
        goto fail;
      }
    }
    if (f->deletion_file && f->has_physical_rows && f->physical_rows &&
        f->deletion_file->num_deleted_rows > f->physical_rows) {
      rc = lc_err(err, LANCEC_ECORRUPT,
                  "%s: fragment %" PRIu64 " has %" PRIu64 " deleted rows but only %" PRIu64 " rows",
                  name, f->id, f->deletion_file->num_deleted_rows, f->physical_rows);
      goto fail;
    }
  }
  rc = lc_schema_from_pb(&m->schema, (void *const *)pb->fields, pb->n_fields,
                         (void *const *)pb->schema_metadata, pb->n_schema_metadata, err);
  if (rc) {
    lc_err_prefix(err, "%s: schema: ", name);
    goto fail;
  }
  if (pb->has_index_section) {
    const uint8_t *p = NULL;
    size_t n = 0;
    rc = section_slice(raw, (size_t)pos, pb->index_section, "index section", name, &p, &n, err);
    if (rc) goto fail;
    m->indices = lance__table__index_section__unpack(NULL, n, p);
    if (!m->indices) {
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: index section could not be decoded", name);
      goto fail;
    }
  }
  rc = infer_data_format(m, name, err);
  if (rc) goto fail;
  *out = m;
  return 0;
fail:
  lc_manifest_free(m);
  return rc;
}

int lc_manifest_read(lc_manifest **out, lc_io *io, const char *path, lancec_error *err) {
  *out = NULL;
  uint8_t *raw = NULL;
  size_t len = 0;
  LC_TRY(lc_io_read_all(io, path, &raw, &len, err));
  return lc_manifest_decode(out, raw, len, path, err);
}

uint64_t lc_manifest_count_rows(const lc_manifest *m) {
  if (!m || !m->pb) return 0;
  uint64_t n = 0;
  for (size_t i = 0; i < m->pb->n_fragments; i++) {
    const Lance__Table__DataFragment *f = m->pb->fragments[i];
    uint64_t rows = f->physical_rows;
    uint64_t del = f->deletion_file ? f->deletion_file->num_deleted_rows : 0;
    n += rows > del ? rows - del : 0;
  }
  return n;
}

int lc_manifest_transaction(const lc_manifest *m, lc_io *io, const char *root,
                            Lance__Transaction **out, lancec_error *err) {
  *out = NULL;
  const Lance__Table__Manifest *pb = m->pb;
  if (pb->has_transaction_section) {
    size_t limit = m->raw_len >= 16 ? m->raw_len - 16 : 0;
    uint64_t mpos = m->raw_len >= 16 ? lc_le64(m->raw + m->raw_len - 16) : 0;
    if (mpos < limit) limit = (size_t)mpos;
    const uint8_t *p = NULL;
    size_t n = 0;
    LC_TRY(section_slice(m->raw, limit, pb->transaction_section, "transaction section", m->path, &p,
                         &n, err));
    *out = lance__transaction__unpack(NULL, n, p);
    if (!*out) return lc_err(err, LANCEC_ECORRUPT, "%s: inline transaction could not be decoded", m->path);
    return 0;
  }
  if (!pb->transaction_file || !*pb->transaction_file) return 0;
  if (strchr(pb->transaction_file, '/') || !strcmp(pb->transaction_file, ".."))
    return lc_err(err, LANCEC_ECORRUPT, "%s: invalid transaction file name '%s'", m->path,
                  pb->transaction_file);
  char *dir = lc_path_join(root, "_transactions");
  char *path = dir ? lc_path_join(dir, pb->transaction_file) : NULL;
  lc_free(dir);
  if (!path) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  uint8_t *data = NULL;
  size_t len = 0;
  int rc = lc_io_read_all(io, path, &data, &len, err);
  if (rc == 0) {
    *out = lance__transaction__unpack(NULL, len, data);
    if (!*out) rc = lc_err(err, LANCEC_ECORRUPT, "%s: transaction could not be decoded", path);
  }
  lc_free(data);
  lc_free(path);
  return rc;
}

const char *lc_transaction_operation_name(const Lance__Transaction *t) {
  if (!t) return "";
  switch (t->operation_case) {
    case LANCE__TRANSACTION__OPERATION_APPEND: return "Append";
    case LANCE__TRANSACTION__OPERATION_DELETE: return "Delete";
    case LANCE__TRANSACTION__OPERATION_OVERWRITE: return "Overwrite";
    case LANCE__TRANSACTION__OPERATION_CREATE_INDEX: return "CreateIndex";
    case LANCE__TRANSACTION__OPERATION_REWRITE: return "Rewrite";
    case LANCE__TRANSACTION__OPERATION_MERGE: return "Merge";
    case LANCE__TRANSACTION__OPERATION_RESTORE: return "Restore";
    case LANCE__TRANSACTION__OPERATION_RESERVE_FRAGMENTS: return "ReserveFragments";
    case LANCE__TRANSACTION__OPERATION_UPDATE: return "Update";
    case LANCE__TRANSACTION__OPERATION_PROJECT: return "Project";
    case LANCE__TRANSACTION__OPERATION_UPDATE_CONFIG: return "UpdateConfig";
    case LANCE__TRANSACTION__OPERATION_DATA_REPLACEMENT: return "DataReplacement";
    case LANCE__TRANSACTION__OPERATION_UPDATE_MEM_WAL_STATE: return "UpdateMemWalState";
    case LANCE__TRANSACTION__OPERATION_CLONE: return "Clone";
    case LANCE__TRANSACTION__OPERATION_UPDATE_BASES: return "UpdateBases";
    default: return "";
  }
}
