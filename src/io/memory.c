/* A tiny read-only in-memory IO backend: one file at one path whose bytes
 * are borrowed from the caller (fuzzing, tests). Everything else reports
 * "not found" or "unsupported". */
#include "io/io.h"

typedef struct mem_io {
  lc_io base;
  char *path;
  const uint8_t *data;
  size_t len;
} mem_io;

typedef struct mem_file {
  lc_io_file base;
} mem_file;

static int mem_open_read(lc_io *io, const char *path, lc_io_file **out, lancec_error *err) {
  mem_io *m = (mem_io *)io;
  if (strcmp(path, m->path) != 0) return lc_err(err, LANCEC_ENOTFOUND, "%s: not found", path);
  mem_file *f = lc_calloc(1, sizeof(*f));
  if (!f) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  f->base.io = io;
  f->base.path = m->path;
  *out = &f->base;
  return 0;
}

static int mem_file_size(lc_io_file *f, uint64_t *out, lancec_error *err) {
  (void)err;
  *out = ((mem_io *)f->io)->len;
  return 0;
}

static int mem_file_read(lc_io_file *f, uint64_t off, size_t len, void *buf, lancec_error *err) {
  mem_io *m = (mem_io *)f->io;
  if (off > m->len || len > m->len - off)
    return lc_err(err, LANCEC_ECORRUPT, "%s: file is truncated (wanted bytes %llu..%llu, file ends at %zu)",
                  m->path, (unsigned long long)off, (unsigned long long)off + len, m->len);
  if (len) memcpy(buf, m->data + off, len);
  return 0;
}

static void mem_file_close(lc_io_file *f) { lc_free(f); }

static int mem_put(lc_io *io, const char *path, const void *data, size_t len, lancec_error *err) {
  (void)io, (void)data, (void)len;
  return lc_err(err, LANCEC_EUNSUPPORTED, "%s: the memory backend is read-only", path);
}

static int mem_list(lc_io *io, const char *dir, lc_io_list_cb cb, void *ud, lancec_error *err) {
  (void)io, (void)dir, (void)cb, (void)ud, (void)err;
  return 0;
}

static int mem_remove(lc_io *io, const char *path, lancec_error *err) {
  (void)io;
  return lc_err(err, LANCEC_EUNSUPPORTED, "%s: the memory backend is read-only", path);
}

static int mem_rename(lc_io *io, const char *from, const char *to, bool no_replace, lancec_error *err) {
  (void)io, (void)to, (void)no_replace;
  return lc_err(err, LANCEC_EUNSUPPORTED, "%s: the memory backend is read-only", from);
}

static int mem_stat(lc_io *io, const char *path, lc_io_entry *out, lancec_error *err) {
  mem_io *m = (mem_io *)io;
  if (strcmp(path, m->path) != 0) return lc_err(err, LANCEC_ENOTFOUND, "%s: not found", path);
  memset(out, 0, sizeof(*out));
  out->size = m->len;
  return 0;
}

static void mem_destroy(lc_io *io) {
  mem_io *m = (mem_io *)io;
  lc_free(m->path);
  lc_free(m);
}

static const lc_io_methods mem_methods = {
    .name = "memory",
    .open_read = mem_open_read,
    .file_size = mem_file_size,
    .file_read = mem_file_read,
    .file_close = mem_file_close,
    .put = mem_put,
    .put_if_absent = mem_put,
    .list = mem_list,
    .remove = mem_remove,
    .rename = mem_rename,
    .stat = mem_stat,
    .destroy = mem_destroy,
};

int lc_io_memory_new(lc_io **out, const char *path, const uint8_t *data, size_t len, lancec_error *err) {
  mem_io *m = lc_calloc(1, sizeof(*m));
  if (!m) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  m->path = lc_strdup(path ? path : "");
  if (!m->path) {
    lc_free(m);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  m->base.m = &mem_methods;
  m->base.refcount = 1;
  m->data = data;
  m->len = len;
  *out = &m->base;
  return 0;
}
