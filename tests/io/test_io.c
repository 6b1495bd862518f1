/* The IO seam: local backend, streaming writes, put-if-absent, listing,
 * the counting / fault-injection wrapper. */
#include <stdio.h>
#include <sys/stat.h>

#include "io/io.h"
#include "testutil.h"

typedef struct names {
  char seen[16][64];
  int n;
} names;

static int collect(const lc_io_entry *e, void *ud) {
  names *nm = ud;
  if (nm->n < 16) snprintf(nm->seen[nm->n++], 64, "%s%s", e->name, e->is_dir ? "/" : "");
  return 0;
}

static bool has(const names *nm, const char *s) {
  for (int i = 0; i < nm->n; i++)
    if (!strcmp(nm->seen[i], s)) return true;
  return false;
}

static void test_local_roundtrip(void **state) {
  (void)state;
  lancec_error err;
  char *dir = tu_tempdir();
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  char *p = lc_path_join(dir, "a/b/c.bin");
  assert_ok(io->m->put(io, p, "hello", 5, &err), &err);
  uint8_t *data = NULL;
  size_t len = 0;
  assert_ok(lc_io_read_all(io, p, &data, &len, &err), &err);
  assert_int_equal(len, 5);
  assert_memory_equal(data, "hello", 5);
  lc_free(data);

  /* ranged reads, and reading past the end is a clear error */
  lc_io_file *f = NULL;
  assert_ok(lc_io_open(io, p, &f, &err), &err);
  uint64_t size = 0;
  assert_ok(lc_io_size(f, &size, &err), &err);
  assert_int_equal(size, 5);
  char buf[8];
  assert_ok(lc_io_read(f, 1, 3, buf, &err), &err);
  assert_memory_equal(buf, "ell", 3);
  assert_int_equal(lc_io_read(f, 3, 5, buf, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "truncated"));
  lc_io_close(f);

  /* put_if_absent refuses an existing object and leaves it intact */
  assert_int_equal(io->m->put_if_absent(io, p, "other", 5, &err), LANCEC_EEXISTS);
  char *q = lc_path_join(dir, "a/b/d.bin");
  assert_ok(io->m->put_if_absent(io, q, "new", 3, &err), &err);
  assert_ok(lc_io_read_all(io, p, &data, &len, &err), &err);
  assert_memory_equal(data, "hello", 5);
  lc_free(data);

  /* listing: names only, no temp files left behind */
  char *bdir = lc_path_join(dir, "a/b");
  names nm = {0};
  assert_ok(io->m->list(io, bdir, collect, &nm, &err), &err);
  assert_int_equal(nm.n, 2);
  assert_true(has(&nm, "c.bin") && has(&nm, "d.bin"));
  names none = {0};
  char *missing = lc_path_join(dir, "nope");
  assert_ok(io->m->list(io, missing, collect, &none, &err), &err);
  assert_int_equal(none.n, 0);

  /* open of a missing file */
  assert_int_equal(lc_io_open(io, missing, &f, &err), LANCEC_ENOTFOUND);
  assert_non_null(strstr(err.message, "nope"));

  /* rename without replace */
  assert_int_equal(io->m->rename(io, q, p, true, &err), LANCEC_EEXISTS);
  char *r = lc_path_join(dir, "a/e.bin");
  assert_ok(io->m->rename(io, q, r, true, &err), &err);
  lc_io_entry st;
  assert_int_equal(io->m->stat(io, q, &st, &err), LANCEC_ENOTFOUND);
  assert_ok(io->m->stat(io, r, &st, &err), &err);
  assert_int_equal(st.size, 3);
  assert_ok(io->m->remove(io, r, &err), &err);

  lc_free(p);
  lc_free(q);
  lc_free(r);
  lc_free(bdir);
  lc_free(missing);
  lc_io_unref(io);
  tu_rmtree(dir);
  lc_free(dir);
}

static void test_streaming_writer(void **state) {
  (void)state;
  lancec_error err;
  char *dir = tu_tempdir();
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  char *p = lc_path_join(dir, "data/x.lance");
  lc_io_writer *w = NULL;
  assert_ok(lc_io_writer_open(io, p, &w, &err), &err);
  for (int i = 0; i < 1000; i++) assert_ok(lc_io_writer_write(w, "0123456789", 10, &err), &err);
  assert_int_equal(w->written, 10000);
  /* nothing visible before close */
  lc_io_entry st;
  assert_int_equal(io->m->stat(io, p, &st, &err), LANCEC_ENOTFOUND);
  assert_ok(lc_io_writer_close(w, &err), &err);
  assert_ok(io->m->stat(io, p, &st, &err), &err);
  assert_int_equal(st.size, 10000);

  /* abort leaves nothing, not even a temp file */
  char *q = lc_path_join(dir, "data/y.lance");
  assert_ok(lc_io_writer_open(io, q, &w, &err), &err);
  assert_ok(lc_io_writer_write(w, "abc", 3, &err), &err);
  lc_io_writer_abort(w);
  char *ddir = lc_path_join(dir, "data");
  names nm = {0};
  assert_ok(io->m->list(io, ddir, collect, &nm, &err), &err);
  assert_int_equal(nm.n, 1);
  assert_true(has(&nm, "x.lance"));
  lc_free(p);
  lc_free(q);
  lc_free(ddir);
  lc_io_unref(io);
  tu_rmtree(dir);
  lc_free(dir);
}

static void test_counting_and_faults(void **state) {
  (void)state;
  lancec_error err;
  char *dir = tu_tempdir();
  lc_io *local = NULL, *io = NULL;
  assert_ok(lc_io_local_new(&local, &err), &err);
  assert_ok(lc_io_counting_new(&io, local, &err), &err);
  lc_io_unref(local);
  char *p = lc_path_join(dir, "f.bin");
  assert_ok(io->m->put(io, p, "abcdef", 6, &err), &err);
  uint8_t *data = NULL;
  size_t len = 0;
  assert_ok(lc_io_read_all(io, p, &data, &len, &err), &err);
  lc_free(data);
  lc_io_stats s;
  lc_io_counting_stats(io, &s);
  assert_int_equal(s.puts, 1);
  assert_int_equal(s.put_bytes, 6);
  assert_int_equal(s.opens, 1);
  assert_int_equal(s.reads, 1);
  assert_int_equal(s.read_bytes, 6);

  /* fail the 2nd write: the first succeeds, the second reports an error */
  lc_io_fault fault = {.fail_at = 2, .fail_kind = LC_IO_FAULT_WRITE};
  lc_io_counting_set_fault(io, &fault);
  char *q = lc_path_join(dir, "g.bin");
  assert_ok(io->m->put(io, q, "1", 1, &err), &err);
  assert_int_equal(io->m->put(io, q, "2", 1, &err), LANCEC_EIO);
  assert_non_null(strstr(err.message, "injected"));
  assert_ok(lc_io_read_all(io, q, &data, &len, &err), &err);
  assert_memory_equal(data, "1", 1);
  lc_free(data);

  /* a failing streaming close leaves nothing behind */
  lc_io_fault f2 = {.fail_at = 3, .fail_kind = LC_IO_FAULT_WRITE};
  lc_io_counting_set_fault(io, &f2);
  char *r = lc_path_join(dir, "h.bin");
  lc_io_writer *w = NULL;
  assert_ok(lc_io_writer_open(io, r, &w, &err), &err);        /* call 1 */
  assert_ok(lc_io_writer_write(w, "xyz", 3, &err), &err);     /* call 2 */
  assert_int_equal(lc_io_writer_close(w, &err), LANCEC_EIO); /* call 3 */
  lc_io_entry st;
  assert_int_equal(io->m->stat(io, r, &st, &err), LANCEC_ENOTFOUND);
  lc_free(p);
  lc_free(q);
  lc_free(r);
  lc_io_unref(io);
  tu_rmtree(dir);
  lc_free(dir);
}

static void test_uri(void **state) {
  (void)state;
  lancec_error err;
  lc_io *io = NULL;
  char *root = NULL;
  assert_ok(lc_io_from_uri("file:///tmp/x.lance/", &io, &root, &err), &err);
  assert_string_equal(root, "/tmp/x.lance");
  lc_free(root);
  lc_io_unref(io);
  assert_int_equal(lc_io_from_uri("gopher://x/y", &io, &root, &err), LANCEC_EUNSUPPORTED);
  assert_non_null(strstr(err.message, "gopher"));
  assert_int_equal(lc_io_from_uri("", &io, &root, &err), LANCEC_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_local_roundtrip),
      cmocka_unit_test(test_streaming_writer),
      cmocka_unit_test(test_counting_and_faults),
      cmocka_unit_test(test_uri),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
