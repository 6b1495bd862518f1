/* Sessions (lancec.h): the metadata cache (manifests, opened data files,
 * deletion vectors) and the index cache shared by the datasets opened with
 * the session. Entries are immutable Lance objects (a version's manifest,
 * uniquely named data / deletion files), so they never go stale. */
#include "common/cache.h"
#include "file/file.h"
#include "table/table.h"

#define LC_DEFAULT_META_CACHE ((uint64_t)256 << 20)
#define LC_DEFAULT_INDEX_CACHE ((uint64_t)1 << 30)
#define LC_SESSION_MAX_OPEN_FILES 128

int lancec_session_new(lancec_session **out, const lancec_session_options *opts, lancec_error *err) {
  if (!out) return lc_err(err, LANCEC_EINVAL, "lancec_session_new: NULL out");
  *out = NULL;
  lancec_session_options o = LANCEC_SESSION_OPTIONS_INIT;
  if (opts) {
    if (opts->version_ != LANCEC_SESSION_OPTIONS_VERSION)
      return lc_err(err, LANCEC_EINVAL, "lancec_session_options: unknown struct version %d", opts->version_);
    o = *opts;
  }
  lancec_session *s = lc_calloc(1, sizeof(*s));
  if (!s) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  s->refcount = 1;
  uint64_t meta = o.metadata_cache_size_bytes < 0 ? LC_DEFAULT_META_CACHE : (uint64_t)o.metadata_cache_size_bytes;
  s->meta = lc_cache_new(meta, 0);
  /* opened data files hold a file descriptor each: at most this many */
  s->files = lc_cache_new(meta, LC_SESSION_MAX_OPEN_FILES);
  s->index_cache_bytes = o.index_cache_size_bytes < 0 ? LC_DEFAULT_INDEX_CACHE : (uint64_t)o.index_cache_size_bytes;
  pthread_mutex_init(&s->mu, NULL);
  if (!s->meta || !s->files) {
    lancec_session_free(s);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  *out = s;
  return 0;
}

lancec_session *lc_session_ref(lancec_session *s) {
  if (s) __atomic_add_fetch(&s->refcount, 1, __ATOMIC_SEQ_CST);
  return s;
}

void lancec_session_free(lancec_session *s) {
  if (!s || __atomic_sub_fetch(&s->refcount, 1, __ATOMIC_SEQ_CST) != 0) return;
  lc_cache_free(s->meta);
  lc_cache_free(s->files);
  if (s->index_cache && s->index_cache_free) s->index_cache_free(s->index_cache);
  pthread_mutex_destroy(&s->mu);
  lc_free(s);
}

void lancec_session_stats(const lancec_session *s, lancec_cache_stats *metadata, lancec_cache_stats *index) {
  if (metadata) memset(metadata, 0, sizeof(*metadata));
  if (index) memset(index, 0, sizeof(*index));
  if (!s) return;
  if (metadata) {
    lc_cache_stats st, sf;
    lc_cache_get_stats(s->meta, &st);
    lc_cache_get_stats(s->files, &sf);
    *metadata = (lancec_cache_stats){st.hits + sf.hits, st.misses + sf.misses, st.bytes + sf.bytes,
                                     st.entries + sf.entries, st.evictions + sf.evictions};
  }
  if (index && s->index_cache && s->index_cache_stats) s->index_cache_stats(s->index_cache, index);
}

void *lc_session_index_cache(lancec_session *s, void *(*create)(uint64_t bytes), void (*destroy)(void *),
                             void (*stats)(void *, lancec_cache_stats *)) {
  if (!s || s->index_cache_bytes == 0) return NULL;
  pthread_mutex_lock(&s->mu);
  if (!s->index_cache) {
    s->index_cache = create(s->index_cache_bytes);
    s->index_cache_free = destroy;
    s->index_cache_stats = stats;
  }
  void *c = s->index_cache;
  pthread_mutex_unlock(&s->mu);
  return c;
}

/* ---- typed entries ---- */

static void man_ref(void *v) { lc_manifest_ref(v); }
static void man_unref(void *v) { lc_manifest_free(v); }
static const lc_cache_value_ops man_ops = {man_ref, man_unref};

static char *man_key(const char *root, uint64_t version) {
  return lc_sprintf("m:%s#%llu", root, (unsigned long long)version);
}

lc_manifest *lc_session_manifest_get(lancec_session *s, const char *root, uint64_t version) {
  if (!s) return NULL;
  char *k = man_key(root, version);
  lc_manifest *m = k ? lc_cache_get(s->meta, k) : NULL;
  lc_free(k);
  return m;
}

void lc_session_manifest_put(lancec_session *s, const char *root, lc_manifest *m) {
  if (!s || !m) return;
  char *k = man_key(root, m->version);
  if (k) lc_cache_put(s->meta, k, m, (uint64_t)m->raw_len * 3 + 4096, &man_ops);
  lc_free(k);
}

static void file_ref(void *v) { lc_file_ref(v); }
static void file_unref(void *v) { lc_file_free(v); }
static const lc_cache_value_ops file_ops = {file_ref, file_unref};

int lc_session_file_open(lancec_session *s, lc_file **out, lc_io *io, const char *path, uint64_t size_hint,
                         lancec_error *err) {
  char *k = s ? lc_sprintf("f:%s", path) : NULL;
  lc_file *f = k ? lc_cache_get(s->files, k) : NULL;
  if (f) {
    lc_free(k);
    *out = f;
    return 0;
  }
  int rc = lc_file_open(out, io, path, size_hint, err);
  if (rc == 0 && k) lc_cache_put(s->files, k, *out, lc_file_metadata_bytes(*out), &file_ops);
  lc_free(k);
  return rc;
}

typedef struct del_entry {
  int extra_refs;
  uint32_t *rows;
  size_t n;
} del_entry;

static void del_ref(void *v) { __atomic_add_fetch(&((del_entry *)v)->extra_refs, 1, __ATOMIC_SEQ_CST); }
static void del_unref(void *v) {
  del_entry *d = v;
  if (__atomic_fetch_sub(&d->extra_refs, 1, __ATOMIC_SEQ_CST) > 0) return;
  lc_free(d->rows);
  lc_free(d);
}
static const lc_cache_value_ops del_ops = {del_ref, del_unref};

int lc_session_deletion_read(lancec_session *s, lc_io *io, const char *root, const lc_manifest *m,
                             const Lance__Table__DataFragment *frag, uint32_t **rows, size_t *n, lancec_error *err) {
  char *path = s ? lc_deletion_path(root, m, frag) : NULL;
  char *k = path ? lc_sprintf("d:%s", path) : NULL;
  lc_free(path);
  del_entry *d = k ? lc_cache_get(s->meta, k) : NULL;
  if (d) {
    lc_free(k);
    *rows = lc_malloc((d->n ? d->n : 1) * sizeof(uint32_t));
    int rc = *rows ? 0 : lc_err(err, LANCEC_ENOMEM, "out of memory");
    if (rc == 0) {
      memcpy(*rows, d->rows, d->n * sizeof(uint32_t));
      *n = d->n;
    }
    del_unref(d);
    return rc;
  }
  int rc = lc_deletion_read(io, root, m, frag, rows, n, err);
  if (rc == 0 && k) {
    d = lc_calloc(1, sizeof(*d));
    uint32_t *copy = lc_malloc((*n ? *n : 1) * sizeof(uint32_t));
    if (d && copy) {
      memcpy(copy, *rows, *n * sizeof(uint32_t));
      d->rows = copy;
      d->n = *n;
      lc_cache_put(s->meta, k, d, (uint64_t)*n * 4 + 64, &del_ops);
      del_unref(d); /* the cache holds its own reference */
    } else {
      lc_free(d);
      lc_free(copy);
    }
  }
  lc_free(k);
  return rc;
}
