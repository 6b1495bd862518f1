/* The IO seam: every byte lancec reads or writes goes through an lc_io.
 *
 * An lc_io is a table of methods over paths (strings understood by that
 * backend: absolute local paths for the local backend, object keys for
 * object stores later). Files opened for reading give ranged reads. Writes
 * are whole-object puts, which is what object stores offer; the commit
 * protocol uses put_if_absent.
 *
 * Wrappers (lc_io_counting_new) stack on any backend to count IO and to
 * inject faults (fail the Nth call), SQLite-VFS style.
 *
 * Thread-safety: methods may be called concurrently on one lc_io and on
 * distinct lc_io_file handles; one lc_io_file may be read concurrently. */
#ifndef LC_IO_H
#define LC_IO_H

#include "common/common.h"

typedef struct lc_io lc_io;
typedef struct lc_io_file lc_io_file;
typedef struct lc_io_writer lc_io_writer;

typedef struct lc_io_entry {
  const char *name; /* entry name inside the listed directory (no slash) */
  uint64_t size;
  bool is_dir;
  int64_t mtime_ns;
} lc_io_entry;

/* Return nonzero from the callback to stop listing early (list returns 0). */
typedef int (*lc_io_list_cb)(const lc_io_entry *e, void *ud);

typedef struct lc_io_methods {
  const char *name;
  /* Open `path` for ranged reads. LANCEC_ENOTFOUND if it does not exist. */
  int (*open_read)(lc_io *io, const char *path, lc_io_file **out, lancec_error *err);
  int (*file_size)(lc_io_file *f, uint64_t *out, lancec_error *err);
  /* Read exactly `len` bytes at `off`. Reading past EOF is LANCEC_ECORRUPT
   * ("file is truncated"), a failing device LANCEC_EIO. */
  int (*file_read)(lc_io_file *f, uint64_t off, size_t len, void *buf, lancec_error *err);
  void (*file_close)(lc_io_file *f);
  /* Create or replace `path` with `data` (parents created as needed). The
   * new content becomes visible atomically. */
  int (*put)(lc_io *io, const char *path, const void *data, size_t len, lancec_error *err);
  /* Create `path` only if it does not exist: LANCEC_EEXISTS otherwise. */
  int (*put_if_absent)(lc_io *io, const char *path, const void *data, size_t len, lancec_error *err);
  /* List the entries directly inside directory `dir`. A missing directory
   * lists nothing (returns 0). */
  int (*list)(lc_io *io, const char *dir, lc_io_list_cb cb, void *ud, lancec_error *err);
  int (*remove)(lc_io *io, const char *path, lancec_error *err);
  /* Rename `from` to `to`; with `no_replace` fail with LANCEC_EEXISTS when
   * `to` exists (a link-then-unlink on POSIX). */
  int (*rename)(lc_io *io, const char *from, const char *to, bool no_replace, lancec_error *err);
  /* Stat: LANCEC_ENOTFOUND when missing. */
  int (*stat)(lc_io *io, const char *path, lc_io_entry *out, lancec_error *err);
  /* Streaming write of a new object (large data files): bytes appended with
   * writer_write become visible at `path` only when writer_close succeeds
   * (temp file + rename locally, multipart upload on object stores);
   * writer_abort discards everything. Exactly one of close/abort is called. */
  int (*open_write)(lc_io *io, const char *path, lc_io_writer **out, lancec_error *err);
  int (*writer_write)(lc_io_writer *w, const void *data, size_t len, lancec_error *err);
  int (*writer_close)(lc_io_writer *w, lancec_error *err);
  void (*writer_abort)(lc_io_writer *w);
  void (*destroy)(lc_io *io);
} lc_io_methods;

struct lc_io {
  const lc_io_methods *m;
  int refcount; /* lc_io_ref / lc_io_unref */
  /* statistics of lc_io_read through this io (relaxed atomics) */
  uint64_t stat_bytes_read;
  uint64_t stat_reads;
};

struct lc_io_file {
  lc_io *io;
  const char *path; /* owned by the backend's file object */
};

struct lc_io_writer {
  lc_io *io;
  const char *path; /* final path; owned by the backend's writer object */
  uint64_t written; /* bytes accepted so far (maintained by lc_io_writer_write) */
};

/* Local file system backend. */
LC_INTERNAL int lc_io_local_new(lc_io **out, lancec_error *err);

/* Read-only in-memory backend holding one file at `path` whose bytes are
 * borrowed (must outlive the lc_io). For fuzzing and tests. */
LC_INTERNAL int lc_io_memory_new(lc_io **out, const char *path, const uint8_t *data, size_t len,
                                 lancec_error *err);

/* Resolve a dataset URI: "file:///x", "/x" or a relative path (made
 * absolute). Returns the backend and the root path (caller frees root). */
LC_INTERNAL int lc_io_from_uri(const char *uri, lc_io **io, char **root, lancec_error *err);

LC_INTERNAL lc_io *lc_io_ref(lc_io *io);
LC_INTERNAL void lc_io_unref(lc_io *io);

/* Convenience wrappers (check arguments, add the path to error messages). */
LC_INTERNAL int lc_io_open(lc_io *io, const char *path, lc_io_file **out, lancec_error *err);
LC_INTERNAL int lc_io_size(lc_io_file *f, uint64_t *out, lancec_error *err);
LC_INTERNAL int lc_io_read(lc_io_file *f, uint64_t off, size_t len, void *buf, lancec_error *err);
LC_INTERNAL void lc_io_close(lc_io_file *f);
/* Read a whole file into a fresh malloc'd buffer. */
LC_INTERNAL int lc_io_read_all(lc_io *io, const char *path, uint8_t **data, size_t *len, lancec_error *err);

/* Streaming writes (see lc_io_methods.open_write). */
LC_INTERNAL int lc_io_writer_open(lc_io *io, const char *path, lc_io_writer **out, lancec_error *err);
LC_INTERNAL int lc_io_writer_write(lc_io_writer *w, const void *data, size_t len, lancec_error *err);
/* Finish: on success the object exists with every byte written; on failure
 * nothing is left behind. Frees the writer either way. */
LC_INTERNAL int lc_io_writer_close(lc_io_writer *w, lancec_error *err);
LC_INTERNAL void lc_io_writer_abort(lc_io_writer *w); /* accepts NULL */

/* Join path components with '/' (no duplicate slashes). Caller frees. */
LC_INTERNAL char *lc_path_join(const char *a, const char *b);

/* Counting / fault-injection wrapper. Counters are updated atomically. */
typedef struct lc_io_stats {
  uint64_t opens, reads, read_bytes, puts, put_bytes, lists, removes, renames;
} lc_io_stats;

typedef struct lc_io_fault {
  /* Fail the call whose 1-based sequence number (over all calls counted
   * below) equals fail_at; 0 = never. fail_kind selects which calls count:
   * a bitmask of LC_IO_FAULT_* (0 = all). */
  uint64_t fail_at;
  unsigned fail_kind;
  int fail_code; /* error returned, default LANCEC_EIO */
  bool sticky;   /* keep failing after the first failure */
} lc_io_fault;

#define LC_IO_FAULT_READ 1u
#define LC_IO_FAULT_WRITE 2u
#define LC_IO_FAULT_LIST 4u
#define LC_IO_FAULT_OPEN 8u

/* Wrap `inner` (takes a reference). */
LC_INTERNAL int lc_io_counting_new(lc_io **out, lc_io *inner, lancec_error *err);
LC_INTERNAL void lc_io_counting_stats(lc_io *io, lc_io_stats *out);
LC_INTERNAL void lc_io_counting_reset(lc_io *io);
LC_INTERNAL void lc_io_counting_set_fault(lc_io *io, const lc_io_fault *fault);

#endif
