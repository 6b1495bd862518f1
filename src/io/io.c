/* Backend-independent parts of the IO seam: URIs, refcounts, helpers. */
#include <limits.h>
#include <unistd.h>

#include "io/io.h"

lc_io *lc_io_ref(lc_io *io) {
  if (io) __atomic_add_fetch(&io->refcount, 1, __ATOMIC_SEQ_CST);
  return io;
}

void lc_io_unref(lc_io *io) {
  if (io && __atomic_sub_fetch(&io->refcount, 1, __ATOMIC_SEQ_CST) == 0) io->m->destroy(io);
}

char *lc_path_join(const char *a, const char *b) {
  size_t la = strlen(a);
  while (la > 1 && a[la - 1] == '/') la--;
  while (*b == '/') b++;
  if (la == 0) return lc_strdup(b);
  return lc_sprintf("%.*s/%s", (int)la, a, b);
}

int lc_io_from_uri(const char *uri, lc_io **io, char **root, lancec_error *err) {
  if (!uri || !*uri) return lc_err(err, LANCEC_EINVAL, "empty dataset URI");
  const char *path = uri;
  if (!strncmp(uri, "file://", 7)) {
    path = uri + 7;
  } else {
    const char *colon = strstr(uri, "://");
    if (colon) {
      return lc_err(err, LANCEC_EUNSUPPORTED, "%s: storage scheme '%.*s' is not supported yet", uri,
                    (int)(colon - uri), uri);
    }
  }
  char *abs = NULL;
  if (path[0] == '/') {
    abs = lc_strdup(path);
  } else {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd))) return lc_err(err, LANCEC_EIO, "cannot get current directory");
    abs = lc_path_join(cwd, path);
  }
  if (!abs) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  size_t n = strlen(abs);
  while (n > 1 && abs[n - 1] == '/') abs[--n] = 0;
  int rc = lc_io_local_new(io, err);
  if (rc) {
    lc_free(abs);
    return rc;
  }
  *root = abs;
  return 0;
}

int lc_io_open(lc_io *io, const char *path, lc_io_file **out, lancec_error *err) {
  *out = NULL;
  return io->m->open_read(io, path, out, err);
}

int lc_io_size(lc_io_file *f, uint64_t *out, lancec_error *err) {
  return f->io->m->file_size(f, out, err);
}

int lc_io_read(lc_io_file *f, uint64_t off, size_t len, void *buf, lancec_error *err) {
  if (len == 0) return 0;
  __atomic_fetch_add(&f->io->stat_bytes_read, (uint64_t)len, __ATOMIC_RELAXED);
  __atomic_fetch_add(&f->io->stat_reads, 1, __ATOMIC_RELAXED);
  return f->io->m->file_read(f, off, len, buf, err);
}

void lc_io_close(lc_io_file *f) {
  if (f) f->io->m->file_close(f);
}

int lc_io_read_all(lc_io *io, const char *path, uint8_t **data, size_t *len, lancec_error *err) {
  lc_io_file *f = NULL;
  LC_TRY(lc_io_open(io, path, &f, err));
  uint64_t size = 0;
  int rc = lc_io_size(f, &size, err);
  if (rc) goto done;
  if (size > (uint64_t)SIZE_MAX / 2) {
    rc = lc_err(err, LANCEC_ENOMEM, "%s: file too large (%llu bytes)", path, (unsigned long long)size);
    goto done;
  }
  uint8_t *buf = lc_malloc((size_t)size + 1);
  if (!buf) {
    rc = lc_err(err, LANCEC_ENOMEM, "out of memory reading %s", path);
    goto done;
  }
  rc = lc_io_read(f, 0, (size_t)size, buf, err);
  if (rc) {
    lc_free(buf);
    goto done;
  }
  buf[size] = 0;
  *data = buf;
  *len = (size_t)size;
done:
  lc_io_close(f);
  return rc;
}

int lc_io_writer_open(lc_io *io, const char *path, lc_io_writer **out, lancec_error *err) {
  *out = NULL;
  if (!io->m->open_write) return lc_err(err, LANCEC_EUNSUPPORTED, "%s: storage backend '%s' cannot stream writes", path, io->m->name);
  return io->m->open_write(io, path, out, err);
}

int lc_io_writer_write(lc_io_writer *w, const void *data, size_t len, lancec_error *err) {
  if (len == 0) return 0;
  int rc = w->io->m->writer_write(w, data, len, err);
  if (rc == 0) w->written += len;
  return rc;
}

int lc_io_writer_close(lc_io_writer *w, lancec_error *err) {
  return w->io->m->writer_close(w, err);
}

void lc_io_writer_abort(lc_io_writer *w) {
  if (w) w->io->m->writer_abort(w);
}
