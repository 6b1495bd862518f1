/* Fuzz target: a Lance data file (2.1 / 2.2). Opens the bytes through the
 * in-memory IO backend, builds the schema from the file's own
 * FileDescriptor and reads every top-level field fully (and by take),
 * ignoring errors. Any crash / sanitizer report is a bug. */
#include <stdint.h>
#include <stdlib.h>

#include "arrow/arrow.h"
#include "file/file.h"
#include "io/io.h"
#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lancec_error err;
  lc_io *io = NULL;
  if (lc_io_memory_new(&io, "/fuzz/data/x.lance", data, size, &err)) return 0;
  lc_file *f = NULL;
  if (lc_file_open(&f, io, "/fuzz/data/x.lance", 0, &err) == 0) {
    lc_schema *s = NULL;
    if (lc_file_schema(f, &s, &err) == 0) {
      lc_file_colmap_storage st;
      lc_file_colmap map;
      if (lc_file_colmap_from_schema(s, &st, &map, &err) == 0) {
        uint64_t n = lc_file_num_rows(f);
        if (n > (1u << 20)) n = 1u << 20; /* keep runs short */
        for (size_t i = 0; i < s->n_fields; i++) {
          lc_field_reader *r = NULL;
          if (lc_field_reader_new(&r, f, s->fields[i], &map, &err)) continue;
          struct ArrowArray a;
          if (lc_field_reader_read(r, 0, n, &a, &err) == 0) lc_array_release(&a);
          if (n > 2 && lc_field_reader_read(r, 1, n - 2, &a, &err) == 0) lc_array_release(&a);
          uint64_t rows[3] = {0, n / 2, n - 1};
          size_t k = n >= 3 ? 3 : 0;
          if (k && rows[1] > rows[0] && rows[2] > rows[1] && lc_field_reader_take(r, rows, k, &a, &err) == 0)
            lc_array_release(&a);
          lc_field_reader_free(r);
        }
        lc_file_colmap_free(&st);
      }
      lc_schema_free(s);
    }
    lc_file_free(f);
  }
  lc_io_unref(io);
  return 0;
}
