/* Counting and fault-injection wrapper around any lc_io backend. */
#include "io/io.h"

typedef struct counting_io {
  lc_io base;
  lc_io *inner;
  lc_io_stats stats;
  lc_io_fault fault;
  uint64_t seq;
  bool failed;
} counting_io;

typedef struct counting_file {
  lc_io_file base;
  lc_io_file *inner;
} counting_file;

static void add(uint64_t *c, uint64_t v) { __atomic_add_fetch(c, v, __ATOMIC_RELAXED); }

static int maybe_fail(counting_io *c, unsigned kind, const char *what, const char *path, lancec_error *err) {
  if (!c->fault.fail_at) return 0;
  if (c->fault.fail_kind && !(c->fault.fail_kind & kind)) return 0;
  uint64_t n = __atomic_add_fetch(&c->seq, 1, __ATOMIC_SEQ_CST);
  if (n == c->fault.fail_at || (c->fault.sticky && n > c->fault.fail_at)) {
    c->failed = true;
    int code = c->fault.fail_code ? c->fault.fail_code : LANCEC_EIO;
    return lc_err(err, code, "%s: injected %s failure (call %llu)", path, what, (unsigned long long)n);
  }
  return 0;
}

static int c_open_read(lc_io *io, const char *path, lc_io_file **out, lancec_error *err) {
  counting_io *c = (counting_io *)io;
  LC_TRY(maybe_fail(c, LC_IO_FAULT_OPEN, "open", path, err));
  counting_file *f = lc_calloc(1, sizeof(*f));
  if (!f) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  int rc = c->inner->m->open_read(c->inner, path, &f->inner, err);
  if (rc) {
    lc_free(f);
    return rc;
  }
  add(&c->stats.opens, 1);
  f->base.io = io;
  f->base.path = f->inner->path;
  *out = &f->base;
  return 0;
}

static int c_file_size(lc_io_file *base, uint64_t *out, lancec_error *err) {
  counting_file *f = (counting_file *)base;
  return f->inner->io->m->file_size(f->inner, out, err);
}

static int c_file_read(lc_io_file *base, uint64_t off, size_t len, void *buf, lancec_error *err) {
  counting_file *f = (counting_file *)base;
  counting_io *c = (counting_io *)base->io;
  LC_TRY(maybe_fail(c, LC_IO_FAULT_READ, "read", base->path, err));
  add(&c->stats.reads, 1);
  add(&c->stats.read_bytes, len);
  return f->inner->io->m->file_read(f->inner, off, len, buf, err);
}

static void c_file_close(lc_io_file *base) {
  counting_file *f = (counting_file *)base;
  if (!f) return;
  f->inner->io->m->file_close(f->inner);
  lc_free(f);
}

static int c_put(lc_io *io, const char *path, const void *data, size_t len, lancec_error *err) {
  counting_io *c = (counting_io *)io;
  LC_TRY(maybe_fail(c, LC_IO_FAULT_WRITE, "write", path, err));
  add(&c->stats.puts, 1);
  add(&c->stats.put_bytes, len);
  return c->inner->m->put(c->inner, path, data, len, err);
}

static int c_put_if_absent(lc_io *io, const char *path, const void *data, size_t len, lancec_error *err) {
  counting_io *c = (counting_io *)io;
  LC_TRY(maybe_fail(c, LC_IO_FAULT_WRITE, "write", path, err));
  add(&c->stats.puts, 1);
  add(&c->stats.put_bytes, len);
  return c->inner->m->put_if_absent(c->inner, path, data, len, err);
}

static int c_list(lc_io *io, const char *dir, lc_io_list_cb cb, void *ud, lancec_error *err) {
  counting_io *c = (counting_io *)io;
  LC_TRY(maybe_fail(c, LC_IO_FAULT_LIST, "list", dir, err));
  add(&c->stats.lists, 1);
  return c->inner->m->list(c->inner, dir, cb, ud, err);
}

static int c_remove(lc_io *io, const char *path, lancec_error *err) {
  counting_io *c = (counting_io *)io;
  LC_TRY(maybe_fail(c, LC_IO_FAULT_WRITE, "remove", path, err));
  add(&c->stats.removes, 1);
  return c->inner->m->remove(c->inner, path, err);
}

static int c_rename(lc_io *io, const char *from, const char *to, bool no_replace, lancec_error *err) {
  counting_io *c = (counting_io *)io;
  LC_TRY(maybe_fail(c, LC_IO_FAULT_WRITE, "rename", from, err));
  add(&c->stats.renames, 1);
  return c->inner->m->rename(c->inner, from, to, no_replace, err);
}

static int c_stat(lc_io *io, const char *path, lc_io_entry *out, lancec_error *err) {
  counting_io *c = (counting_io *)io;
  return c->inner->m->stat(c->inner, path, out, err);
}

typedef struct counting_writer {
  lc_io_writer base;
  lc_io_writer *inner;
} counting_writer;

static int c_open_write(lc_io *io, const char *path, lc_io_writer **out, lancec_error *err) {
  counting_io *c = (counting_io *)io;
  LC_TRY(maybe_fail(c, LC_IO_FAULT_WRITE, "open for writing", path, err));
  counting_writer *w = lc_calloc(1, sizeof(*w));
  if (!w) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  int rc = lc_io_writer_open(c->inner, path, &w->inner, err);
  if (rc) {
    lc_free(w);
    return rc;
  }
  w->base.io = io;
  w->base.path = w->inner->path;
  *out = &w->base;
  return 0;
}

static int c_writer_write(lc_io_writer *base, const void *data, size_t len, lancec_error *err) {
  counting_writer *w = (counting_writer *)base;
  counting_io *c = (counting_io *)base->io;
  LC_TRY(maybe_fail(c, LC_IO_FAULT_WRITE, "write", base->path, err));
  add(&c->stats.put_bytes, len);
  return lc_io_writer_write(w->inner, data, len, err);
}

static int c_writer_close(lc_io_writer *base, lancec_error *err) {
  counting_writer *w = (counting_writer *)base;
  counting_io *c = (counting_io *)base->io;
  int rc = maybe_fail(c, LC_IO_FAULT_WRITE, "close", base->path, err);
  if (rc) {
    lc_io_writer_abort(w->inner);
  } else {
    add(&c->stats.puts, 1);
    rc = lc_io_writer_close(w->inner, err);
  }
  lc_free(w);
  return rc;
}

static void c_writer_abort(lc_io_writer *base) {
  counting_writer *w = (counting_writer *)base;
  lc_io_writer_abort(w->inner);
  lc_free(w);
}

static void c_destroy(lc_io *io) {
  counting_io *c = (counting_io *)io;
  lc_io_unref(c->inner);
  lc_free(c);
}

static const lc_io_methods counting_methods = {
    .name = "counting",
    .open_read = c_open_read,
    .file_size = c_file_size,
    .file_read = c_file_read,
    .file_close = c_file_close,
    .put = c_put,
    .put_if_absent = c_put_if_absent,
    .list = c_list,
    .remove = c_remove,
    .rename = c_rename,
    .stat = c_stat,
    .open_write = c_open_write,
    .writer_write = c_writer_write,
    .writer_close = c_writer_close,
    .writer_abort = c_writer_abort,
    .destroy = c_destroy,
};

int lc_io_counting_new(lc_io **out, lc_io *inner, lancec_error *err) {
  counting_io *c = lc_calloc(1, sizeof(*c));
  if (!c) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  c->base.m = &counting_methods;
  c->base.refcount = 1;
  c->inner = lc_io_ref(inner);
  *out = &c->base;
  return 0;
}

void lc_io_counting_stats(lc_io *io, lc_io_stats *out) {
  counting_io *c = (counting_io *)io;
  *out = c->stats;
}

void lc_io_counting_reset(lc_io *io) {
  counting_io *c = (counting_io *)io;
  memset(&c->stats, 0, sizeof(c->stats));
  c->seq = 0;
  c->failed = false;
}

void lc_io_counting_set_fault(lc_io *io, const lc_io_fault *fault) {
  counting_io *c = (counting_io *)io;
  c->fault = *fault;
  c->seq = 0;
  c->failed = false;
}
