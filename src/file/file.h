/* Lance data files: the container (footer, column metadata, global buffers)
 * and reading a table field's values for row ranges / row lists.
 *
 * A file is opened once (footer + metadata in one or two reads) and shared
 * read-only by any number of threads. Reading goes through an
 * lc_field_reader: one per (file, top-level field, thread), which caches
 * the decoded state of the page it is positioned in (chunk tables,
 * dictionaries, repetition index) so that ascending reads are cheap.
 *
 * Versions: 2.1 and 2.2 are handled by src/file/v21*.c; 2.0 and legacy 0.1
 * plug in through lc_file_format (see file_internal.h) without touching
 * callers. */
#ifndef LC_FILE_H
#define LC_FILE_H

#include "common/common.h"
#include "io/io.h"
#include "schema/schema.h"

typedef struct lc_file lc_file;
typedef struct lc_field_reader lc_field_reader;

/* Open `path`. `size_hint` = file size if known (DataFile.file_size_bytes),
 * else 0. Errors: ENOTFOUND (missing), ECORRUPT (bad magic, truncated,
 * inconsistent offsets — message names the path and the offending value),
 * EUNSUPPORTED (a version lancec does not read yet). */
LC_INTERNAL int lc_file_open(lc_file **out, lc_io *io, const char *path, uint64_t size_hint,
                             lancec_error *err);
/* Drop one reference (the last one frees). An lc_file is read-only after
 * open and may be shared (session caches) with lc_file_ref. */
LC_INTERNAL void lc_file_free(lc_file *f);
LC_INTERNAL void lc_file_ref(lc_file *f);
/* Approximate memory held by the opened file's metadata (cache budgets). */
LC_INTERNAL uint64_t lc_file_metadata_bytes(const lc_file *f);
LC_INTERNAL const char *lc_file_path(const lc_file *f);
LC_INTERNAL uint64_t lc_file_num_rows(const lc_file *f);
LC_INTERNAL void lc_file_version(const lc_file *f, uint16_t *major, uint16_t *minor);
LC_INTERNAL uint32_t lc_file_num_columns(const lc_file *f);
/* Total bytes of page buffers of physical column `col` (for --explain / benchmarks). */
LC_INTERNAL uint64_t lc_file_column_bytes(const lc_file *f, uint32_t col);

/* Which physical column holds which field id in this file: the DataFile's
 * `fields` / `column_indices` arrays (table-format.md §5.4). */
typedef struct lc_file_colmap {
  const int32_t *field_ids;
  const int32_t *column_indices;
  size_t n;
} lc_file_colmap;

/* Create a reader for `field` (a top-level field of the table schema, maybe
 * projected to fewer children). Leaves of `field` whose id the colmap does
 * not list read as nulls. `field` must outlive the reader. */
LC_INTERNAL int lc_field_reader_new(lc_field_reader **out, lc_file *f, const lc_field *field,
                                    const lc_file_colmap *map, lancec_error *err);
LC_INTERNAL void lc_field_reader_free(lc_field_reader *r);

/* Rows [start, start + count) of the field as an Arrow array of the field's
 * type (offset 0). Any order of calls is allowed; ascending is fastest.
 * Blobs come back as their bytes: a legacy `lance-encoding:blob`
 * large_binary field yields the payloads; a lance.blob.v2 field
 * (struct{data: large_binary, uri: string}) yields data = the payload
 * (inline in this file, or from the packed / dedicated sidecar
 * data/<stem>/<bit-reversed id>.blob) and uri = the descriptor's URI or
 * null (kinds 0-2 have none; external blobs get data = null + their uri).
 * Read through the file's own schema (children kind/position/size/...),
 * a blob v2 column yields the raw descriptors instead. */
LC_INTERNAL int lc_field_reader_read(lc_field_reader *r, uint64_t start, uint64_t count,
                                     struct ArrowArray *out, lancec_error *err);

/* The given rows (ascending, distinct, each < num_rows), reading only the
 * pages / chunks that hold them. */
LC_INTERNAL int lc_field_reader_take(lc_field_reader *r, const uint64_t *rows, size_t n,
                                     struct ArrowArray *out, lancec_error *err);

/* ---- helpers for standalone files (tests, fuzzing, tools) ---- */

/* The schema stored in the file's own FileDescriptor (2.x files).
 * LANCEC_EUNSUPPORTED for formats without one. Caller frees. */
LC_INTERNAL int lc_file_schema(const lc_file *f, lc_schema **out, lancec_error *err);

/* The field-id -> column mapping a 2.1/2.2 writer uses for schema `s`
 * (file-format-2.1.md §1.8: pre-order walk, one column per leaf / packed
 * struct / FSL / blob). Fills map with arrays owned by *storage; free with
 * lc_file_colmap_free. */
typedef struct lc_file_colmap_storage {
  int32_t *field_ids;
  int32_t *column_indices;
  size_t n;
} lc_file_colmap_storage;
LC_INTERNAL int lc_file_colmap_from_schema(const lc_schema *s, lc_file_colmap_storage *storage,
                                           lc_file_colmap *map, lancec_error *err);
/* The same for file format 2.0 (file-format-2.0 A.4): one column per field
 * in pre-order, struct and list parents included; fixed-size lists,
 * dictionaries, packed structs and legacy blobs own their children. */
LC_INTERNAL int lc_file_colmap_v20_from_schema(const lc_schema *s, lc_file_colmap_storage *storage,
                                               lc_file_colmap *map, lancec_error *err);
LC_INTERNAL void lc_file_colmap_free(lc_file_colmap_storage *storage);

/* Whether `f` (a struct) is stored as one packed column
 * (metadata packed / lance-encoding:packed = true, or a blob v2 field). */
LC_INTERNAL bool lc_field_is_packed_struct(const lc_field *f);
/* lance.blob.v2 extension struct, or a legacy lance-encoding:blob field. */
LC_INTERNAL bool lc_field_is_blob_v2(const lc_field *f);
LC_INTERNAL bool lc_field_is_blob_legacy(const lc_field *f);

#endif
