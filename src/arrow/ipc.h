/* Arrow IPC streaming format (https://arrow.apache.org/docs/format/Columnar.html#ipc-streaming-format):
 * a writer and a reader, uncompressed, little-endian, metadata version V5.
 *
 * Stream = Schema message, DictionaryBatch messages (before the first
 * record batch that needs them), RecordBatch messages, then the
 * end-of-stream marker ff ff ff ff 00 00 00 00. Every message is
 * continuation-prefixed (0xFFFFFFFF, i32 metadata length), the flatbuffer
 * is padded to 8 bytes and every body buffer starts 8-byte aligned.
 *
 * Types: every lc_type_id (null, bool, ints, half/float/double, (large)
 * string/binary, fixed_size_binary, date32/64, time32/64, timestamp (tz),
 * duration, decimal128/256, list, large_list, fixed_size_list, map,
 * struct, dictionary). Field and schema custom metadata are kept.
 *
 * The Arrow-schema ⇄ lc_field conversion used here (format strings) is
 * also what the CLI output formats use to walk any Arrow stream. */
#ifndef LC_ARROW_IPC_H
#define LC_ARROW_IPC_H

#include <stdio.h>

#include "arrow/arrow.h"

/* ---- Arrow C schema <-> lc_field ------------------------------------------
 * lc_ipc_field_from_arrow parses format strings, names, nullability,
 * metadata (into lc_field.metadata; the ARROW:extension:name value also
 * into extension_name) and dictionaries (type LC_T_DICT with dict_key /
 * dict_value). The tree is allocated here: free it with lc_ipc_field_free
 * (not lc_field_free). ids are -1. Unsupported formats (views, unions,
 * intervals, run-end encoded): LANCEC_EUNSUPPORTED naming the format.
 * lc_ipc_field_to_arrow exports such a tree as an owned ArrowSchema.   */
LC_INTERNAL int lc_ipc_field_from_arrow(lc_field **out, const struct ArrowSchema *s, lancec_error *err);
LC_INTERNAL void lc_ipc_field_free(lc_field *f);
LC_INTERNAL int lc_ipc_field_to_arrow(const lc_field *f, struct ArrowSchema *out, lancec_error *err);

/* ---- writer ------------------------------------------------------------------ */

/* Sink: write n bytes; return 0 or a LANCEC_E* code. */
typedef int (*lc_ipc_write_fn)(void *ctx, const void *p, size_t n, lancec_error *err);

typedef struct lc_ipc_writer lc_ipc_writer;

/* `schema` must be a struct ("+s") whose children are the columns; it is
 * not kept. The Schema message is written at once. */
LC_INTERNAL int lc_ipc_writer_new(lc_ipc_writer **out, const struct ArrowSchema *schema, lc_ipc_write_fn write,
                                  void *ctx, lancec_error *err);
/* One RecordBatch (struct array, one child per column; its offset and the
 * children's offsets are honoured; struct-level nulls are ignored).
 * Dictionaries: a DictionaryBatch (isDelta false) is written before the
 * first batch and again whenever a column's dictionary is a different
 * object than the one last written. */
LC_INTERNAL int lc_ipc_writer_write(lc_ipc_writer *w, const struct ArrowArray *batch, lancec_error *err);
/* Writes the end-of-stream marker. */
LC_INTERNAL int lc_ipc_writer_finish(lc_ipc_writer *w, lancec_error *err);
LC_INTERNAL void lc_ipc_writer_free(lc_ipc_writer *w);

/* Whole stream into memory (for tests and small tools). *out is lc_malloc'd. */
LC_INTERNAL int lc_ipc_write_stream_mem(uint8_t **out, size_t *out_len, const struct ArrowSchema *schema,
                                        const struct ArrowArray *const *batches, size_t n_batches,
                                        lancec_error *err);

/* ---- reader ------------------------------------------------------------------
 * Everything read is bounds-checked: a hostile stream yields
 * LANCEC_ECORRUPT (or EUNSUPPORTED for compressed bodies / unknown types),
 * never a crash. Arrays returned own their buffers (copied out of the
 * message body) and are validated against the schema. Old (pre-0.15)
 * framing without the continuation marker is accepted.             */
typedef struct lc_ipc_reader lc_ipc_reader;

/* Read from memory (borrowed: must outlive the reader) or from a FILE
 * (read sequentially; works on pipes). The Schema message is read here. */
LC_INTERNAL int lc_ipc_reader_new_mem(lc_ipc_reader **out, const uint8_t *data, size_t len, lancec_error *err);
LC_INTERNAL int lc_ipc_reader_new_file(lc_ipc_reader **out, FILE *fp, lancec_error *err);
/* The stream's schema ("+s", one child per column) as a new ArrowSchema. */
LC_INTERNAL int lc_ipc_reader_schema(lc_ipc_reader *r, struct ArrowSchema *out, lancec_error *err);
/* The stream's schema as an lc_field tree (borrowed from the reader). */
LC_INTERNAL const lc_field *lc_ipc_reader_field(const lc_ipc_reader *r);
/* Next record batch (struct array); at the end of the stream out->release
 * is NULL and 0 is returned. */
LC_INTERNAL int lc_ipc_reader_next(lc_ipc_reader *r, struct ArrowArray *out, lancec_error *err);
LC_INTERNAL void lc_ipc_reader_free(lc_ipc_reader *r);
/* Wrap a reader (ownership moves into the stream) as an ArrowArrayStream. */
LC_INTERNAL int lc_ipc_reader_to_stream(lc_ipc_reader *r, struct ArrowArrayStream *out, lancec_error *err);

#endif
