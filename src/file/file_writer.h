/* Writing Lance data files (file formats 2.0 / 2.1 / 2.2): the inverse of
 * src/file/file.h. One writer produces one file; batches are shredded into
 * per-column levels + values as they arrive and pages are encoded and
 * streamed out through the io writer as soon as a column has buffered about
 * 8 MiB (see docs/writer.md for the encoding choices). */
#ifndef LC_FILE_WRITER_H
#define LC_FILE_WRITER_H

#include "common/common.h"
#include "io/io.h"
#include "schema/schema.h"

typedef struct lc_file_writer lc_file_writer;
typedef struct lc_file_writer_options {
  uint16_t major, minor; /* 2.0, 2.1 or 2.2 (default 2.2 when both 0); 2.0 may also be given
                            as its footer version 0.3 */
} lc_file_writer_options;

/* `schema`: field ids already assigned (lc_field->id >= 0 for every Lance field; synthesised FSL
 * items / dict values keep -1). Writes the file with lc_io_writer_open (streaming; see src/io/io.h:
 * lc_io_writer_open / _write / _close / _abort) so nothing is visible at `path` until finish.
 * The schema must outlive the writer. LANCEC_EUNSUPPORTED for column kinds this writer does not
 * produce (FSL of struct / variable width, FSL of bool in 2.1 / 2.2, map in 2.0 / 2.1, blob v2
 * outside 2.2; in 2.0 also a null struct, refused at write time). */
LC_INTERNAL int lc_file_writer_new(lc_file_writer **out, lc_io *io, const char *path,
                                   const lc_schema *schema, const lc_file_writer_options *opts,
                                   lancec_error *err);
/* batch: a struct array (Arrow C), one child per schema->fields[i], each of exactly that field's
 * Arrow type (the caller has cast it already). Any length >= 0. Validate it (lc_array_validate)
 * and refuse a null in a non-nullable field with LANCEC_ETYPE naming the column. The batch is
 * not retained (the caller releases it). */
LC_INTERNAL int lc_file_writer_write(lc_file_writer *w, const struct ArrowArray *batch,
                                     lancec_error *err);
LC_INTERNAL uint64_t lc_file_writer_rows(const lc_file_writer *w);
LC_INTERNAL uint64_t lc_file_writer_bytes(const lc_file_writer *w); /* bytes written or buffered so far */
/* Flush pages, write metadata + footer, close: the file appears at `path`. Frees w (also on error,
 * in which case nothing is left at path). */
LC_INTERNAL int lc_file_writer_finish(lc_file_writer *w, uint64_t *num_rows, uint64_t *file_size,
                                      lancec_error *err);
LC_INTERNAL void lc_file_writer_abort(lc_file_writer *w); /* frees w, leaves nothing; accepts NULL */

#endif
