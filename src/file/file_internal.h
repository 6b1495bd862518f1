/* Internals shared by the data-file container code (file.c) and the
 * per-version readers (v21_*.c; later v20 / legacy).
 *
 * A format plugs in through lc_file_format: file.c parses the generic v2
 * container (footer, GBO/CMO tables, FileDescriptor, ColumnMetadata) and
 * then hands the file to the format chosen by the footer version, which
 * decodes its page layouts and implements the field readers. */
#ifndef LC_FILE_INTERNAL_H
#define LC_FILE_INTERNAL_H

#include "file/file.h"
#include "lance_file.pb-c.h"
#include "lance_file2.pb-c.h"

#define LC_FOOTER_SIZE 40

typedef struct lc_file_format lc_file_format;

/* One page of a physical column (format-neutral view). */
typedef struct lc_page_info {
  uint64_t first_row; /* row of the page's first row within the column */
  uint64_t length;    /* rows (in the column's own row unit) */
  size_t n_buffers;
  const uint64_t *buf_off;
  const uint64_t *buf_size;
  void *layout; /* format-specific decoded layout (owned by the format) */
} lc_page_info;

typedef struct lc_column_info {
  Lance__File__V2__ColumnMetadata *pb; /* owned */
  lc_page_info *pages;
  size_t n_pages;
  uint64_t total_rows;
  uint64_t total_bytes;
} lc_column_info;

struct lc_file {
  char *path;
  lc_io *io;
  lc_io_file *fh;
  uint64_t size;
  uint16_t major, minor;
  uint64_t num_rows;
  Lance__File__FileDescriptor *desc; /* owned, may be NULL for formats without one */
  uint32_t n_columns;
  lc_column_info *cols;
  uint32_t n_gbufs;
  uint64_t *gbo; /* n_gbufs x (pos, len) */
  const lc_file_format *fmt;
  void *fmt_state;
  int extra_refs; /* lc_file_ref count (0 = one owner) */
};

/* Every format's reader starts with this header. */
struct lc_field_reader {
  const lc_file_format *fmt;
  lc_file *file;
};

struct lc_file_format {
  const char *name;
  bool (*accepts)(uint16_t major, uint16_t minor);
  /* Called after the container is parsed: decode page layouts etc. */
  int (*init)(lc_file *f, lancec_error *err);
  void (*fini)(lc_file *f);
  int (*reader_new)(lc_field_reader **out, lc_file *f, const lc_field *field,
                    const lc_file_colmap *map, lancec_error *err);
  void (*reader_free)(lc_field_reader *r);
  int (*read)(lc_field_reader *r, uint64_t start, uint64_t count, struct ArrowArray *out,
              lancec_error *err);
  int (*take)(lc_field_reader *r, const uint64_t *rows, size_t n, struct ArrowArray *out,
              lancec_error *err);
  /* true: the format reads its own footer/metadata in init (legacy v1, 16-byte footer); the v2
   * container parse is skipped. */
  bool own_container;
};

/* The 2.1 / 2.2 implementation (v21_reader.c). */
LC_INTERNAL extern const lc_file_format lc_format_v21;
/* The 2.0 implementation (v20.c). */
LC_INTERNAL extern const lc_file_format lc_format_v20;

/* Read [off, off+len) of the file, bounds-checked against the file size,
 * with an error naming the path and `what`. */
LC_INTERNAL int lc_file_read_at(lc_file *f, uint64_t off, uint64_t len, void *buf,
                                const char *what, lancec_error *err);

/* Decode a DirectEncoding-wrapped google.protobuf.Any and return its value
 * bytes, checking that the type URL ends with `type_suffix`. */
LC_INTERNAL int lc_file_unwrap_any(const lc_file *f, const Lance__File__V2__Encoding *enc,
                                   const char *type_suffix, uint8_t **value, size_t *len,
                                   void **any_to_free, lancec_error *err);

#endif
