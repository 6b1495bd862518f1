/* Local file system backend of the IO seam. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"

typedef struct local_file {
  lc_io_file base;
  int fd;
  char *path;
} local_file;

static int errno_code(int e) {
  if (e == ENOENT || e == ENOTDIR) return LANCEC_ENOTFOUND;
  if (e == EEXIST) return LANCEC_EEXISTS;
  if (e == ENOMEM) return LANCEC_ENOMEM;
  return LANCEC_EIO;
}

static int local_open_read(lc_io *io, const char *path, lc_io_file **out, lancec_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return lc_err(err, errno_code(e), "%s: cannot open: %s", path, strerror(e));
  }
  local_file *f = lc_calloc(1, sizeof(*f));
  char *p = lc_strdup(path);
  if (!f || !p) {
    close(fd);
    lc_free(f);
    lc_free(p);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  f->fd = fd;
  f->path = p;
  f->base.io = io;
  f->base.path = p;
  *out = &f->base;
  return 0;
}

static int local_file_size(lc_io_file *base, uint64_t *out, lancec_error *err) {
  local_file *f = (local_file *)base;
  struct stat st;
  if (fstat(f->fd, &st) != 0) {
    int e = errno;
    return lc_err(err, errno_code(e), "%s: cannot stat: %s", f->path, strerror(e));
  }
  *out = (uint64_t)st.st_size;
  return 0;
}

static int local_file_read(lc_io_file *base, uint64_t off, size_t len, void *buf, lancec_error *err) {
  local_file *f = (local_file *)base;
  uint8_t *p = buf;
  size_t done = 0;
  while (done < len) {
    if (off + done > (uint64_t)INT64_MAX)
      return lc_err(err, LANCEC_ECORRUPT, "%s: read offset %llu out of range", f->path,
                    (unsigned long long)(off + done));
    ssize_t n = pread(f->fd, p + done, len - done, (off_t)(off + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      return lc_err(err, LANCEC_EIO, "%s: read of %zu bytes at offset %llu failed: %s", f->path, len,
                    (unsigned long long)off, strerror(e));
    }
    if (n == 0)
      return lc_err(err, LANCEC_ECORRUPT,
                    "%s: file is truncated (wanted bytes %llu..%llu, file ends at %llu)", f->path,
                    (unsigned long long)off, (unsigned long long)(off + len),
                    (unsigned long long)(off + done));
    done += (size_t)n;
  }
  return 0;
}

static void local_file_close(lc_io_file *base) {
  local_file *f = (local_file *)base;
  if (!f) return;
  close(f->fd);
  lc_free(f->path);
  lc_free(f);
}

static int mkdirs_for(const char *path, lancec_error *err) {
  char *tmp = lc_strdup(path);
  if (!tmp) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (char *p = tmp + 1; *p; p++) {
    if (*p == '/') {
      *p = 0;
      if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
        int e = errno;
        int rc = lc_err(err, errno_code(e), "%s: cannot create directory: %s", tmp, strerror(e));
        lc_free(tmp);
        return rc;
      }
      *p = '/';
    }
  }
  lc_free(tmp);
  return 0;
}

static int write_fd_all(int fd, const void *data, size_t len) {
  const uint8_t *p = data;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Write to a unique temp file next to `path` and return its name. */
static int write_temp(const char *path, const void *data, size_t len, char **tmp_out, lancec_error *err) {
  LC_TRY(mkdirs_for(path, err));
  char *tmp = lc_sprintf("%s.tmp-%ld-%llx", path, (long)getpid(),
                         (unsigned long long)lc_now_ns() ^ (unsigned long long)(uintptr_t)&tmp);
  if (!tmp) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    int e = errno;
    int rc = lc_err(err, errno_code(e), "%s: cannot create: %s", tmp, strerror(e));
    lc_free(tmp);
    return rc;
  }
  int e = write_fd_all(fd, data, len);
  if (!e && fsync(fd) != 0) e = errno;
  if (close(fd) != 0 && !e) e = errno;
  if (e) {
    unlink(tmp);
    int rc = lc_err(err, LANCEC_EIO, "%s: write failed: %s", path, strerror(e));
    lc_free(tmp);
    return rc;
  }
  *tmp_out = tmp;
  return 0;
}

static int local_put(lc_io *io, const char *path, const void *data, size_t len, lancec_error *err) {
  (void)io;
  char *tmp = NULL;
  LC_TRY(write_temp(path, data, len, &tmp, err));
  if (rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    lc_free(tmp);
    return lc_err(err, errno_code(e), "%s: cannot rename into place: %s", path, strerror(e));
  }
  lc_free(tmp);
  return 0;
}

static int local_put_if_absent(lc_io *io, const char *path, const void *data, size_t len,
                               lancec_error *err) {
  (void)io;
  char *tmp = NULL;
  LC_TRY(write_temp(path, data, len, &tmp, err));
  /* link() fails with EEXIST atomically if the target exists. */
  if (link(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    lc_free(tmp);
    if (e == EEXIST) return lc_err(err, LANCEC_EEXISTS, "%s: already exists", path);
    return lc_err(err, errno_code(e), "%s: cannot create: %s", path, strerror(e));
  }
  unlink(tmp);
  lc_free(tmp);
  return 0;
}

static int local_list(lc_io *io, const char *dir, lc_io_list_cb cb, void *ud, lancec_error *err) {
  (void)io;
  DIR *d = opendir(dir);
  if (!d) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR) return 0;
    return lc_err(err, errno_code(e), "%s: cannot list directory: %s", dir, strerror(e));
  }
  int rc = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    lc_io_entry e = {.name = de->d_name};
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, 0) == 0) {
      e.size = (uint64_t)st.st_size;
      e.is_dir = S_ISDIR(st.st_mode);
      e.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    } else {
      continue; /* vanished while listing */
    }
    if (cb(&e, ud)) break;
  }
  closedir(d);
  return rc;
}

static int local_remove(lc_io *io, const char *path, lancec_error *err) {
  (void)io;
  if (unlink(path) != 0) {
    int e = errno;
    return lc_err(err, errno_code(e), "%s: cannot remove: %s", path, strerror(e));
  }
  return 0;
}

static int local_rename(lc_io *io, const char *from, const char *to, bool no_replace, lancec_error *err) {
  (void)io;
  LC_TRY(mkdirs_for(to, err));
  if (no_replace) {
    if (link(from, to) != 0) {
      int e = errno;
      if (e == EEXIST) return lc_err(err, LANCEC_EEXISTS, "%s: already exists", to);
      return lc_err(err, errno_code(e), "%s: cannot link to %s: %s", from, to, strerror(e));
    }
    unlink(from);
    return 0;
  }
  if (rename(from, to) != 0) {
    int e = errno;
    return lc_err(err, errno_code(e), "%s: cannot rename to %s: %s", from, to, strerror(e));
  }
  return 0;
}

static int local_stat(lc_io *io, const char *path, lc_io_entry *out, lancec_error *err) {
  (void)io;
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    return lc_err(err, errno_code(e), "%s: %s", path, strerror(e));
  }
  memset(out, 0, sizeof(*out));
  out->size = (uint64_t)st.st_size;
  out->is_dir = S_ISDIR(st.st_mode);
  out->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  return 0;
}

typedef struct local_writer {
  lc_io_writer base;
  int fd;
  char *path;
  char *tmp;
} local_writer;

static int local_open_write(lc_io *io, const char *path, lc_io_writer **out, lancec_error *err) {
  LC_TRY(mkdirs_for(path, err));
  local_writer *w = lc_calloc(1, sizeof(*w));
  if (!w) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  w->path = lc_strdup(path);
  w->tmp = lc_sprintf("%s.tmp-%ld-%llx", path, (long)getpid(),
                      (unsigned long long)lc_now_ns() ^ (unsigned long long)(uintptr_t)w);
  if (!w->path || !w->tmp) {
    lc_free(w->path);
    lc_free(w->tmp);
    lc_free(w);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (w->fd < 0) {
    int e = errno;
    int rc = lc_err(err, errno_code(e), "%s: cannot create: %s", w->tmp, strerror(e));
    lc_free(w->path);
    lc_free(w->tmp);
    lc_free(w);
    return rc;
  }
  w->base.io = io;
  w->base.path = w->path;
  *out = &w->base;
  return 0;
}

static int local_writer_write(lc_io_writer *base, const void *data, size_t len, lancec_error *err) {
  local_writer *w = (local_writer *)base;
  int e = write_fd_all(w->fd, data, len);
  if (e) return lc_err(err, LANCEC_EIO, "%s: write failed: %s", w->path, strerror(e));
  return 0;
}

static void local_writer_free(local_writer *w) {
  lc_free(w->path);
  lc_free(w->tmp);
  lc_free(w);
}

static int local_writer_close(lc_io_writer *base, lancec_error *err) {
  local_writer *w = (local_writer *)base;
  int e = 0;
  if (fsync(w->fd) != 0) e = errno;
  if (close(w->fd) != 0 && !e) e = errno;
  int rc = 0;
  if (e) {
    rc = lc_err(err, LANCEC_EIO, "%s: write failed: %s", w->path, strerror(e));
  } else if (rename(w->tmp, w->path) != 0) {
    e = errno;
    rc = lc_err(err, errno_code(e), "%s: cannot rename into place: %s", w->path, strerror(e));
  }
  if (rc) unlink(w->tmp);
  local_writer_free(w);
  return rc;
}

static void local_writer_abort(lc_io_writer *base) {
  local_writer *w = (local_writer *)base;
  close(w->fd);
  unlink(w->tmp);
  local_writer_free(w);
}

static void local_destroy(lc_io *io) { lc_free(io); }

static const lc_io_methods local_methods = {
    .name = "local",
    .open_read = local_open_read,
    .file_size = local_file_size,
    .file_read = local_file_read,
    .file_close = local_file_close,
    .put = local_put,
    .put_if_absent = local_put_if_absent,
    .list = local_list,
    .remove = local_remove,
    .rename = local_rename,
    .stat = local_stat,
    .open_write = local_open_write,
    .writer_write = local_writer_write,
    .writer_close = local_writer_close,
    .writer_abort = local_writer_abort,
    .destroy = local_destroy,
};

int lc_io_local_new(lc_io **out, lancec_error *err) {
  lc_io *io = lc_calloc(1, sizeof(*io));
  if (!io) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  io->m = &local_methods;
  io->refcount = 1;
  *out = io;
  return 0;
}
