/* Fuzz target: both deletion file parsers (Arrow IPC and portable Roaring).
 * Both run on every input; rows are capped so that claimed huge
 * counts fail before allocating. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "table/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* exact-size copy so that ASan sees any over-read */
  uint8_t *copy = lc_malloc(size ? size : 1);
  if (!copy) return 0;
  if (size) memcpy(copy, data, size);
  uint32_t *rows = NULL;
  size_t n = 0;
  lancec_error err;
  const uint64_t limit = 1u << 22;
  if (lc_deletion_parse_bitmap_limit(copy, size, "fuzz.bin", limit, &rows, &n, &err) == 0) lc_free(rows);
  rows = NULL;
  if (lc_deletion_parse_arrow_limit(copy, size, "fuzz.arrow", limit, &rows, &n, &err) == 0) lc_free(rows);
  lc_free(copy);
  return 0;
}
