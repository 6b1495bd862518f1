/* Fuzz target: manifest decoding (footer, length checks, protobuf, schema,
 * index section, feature flags) and the inline transaction. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "table/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *copy = lc_malloc(size ? size : 1);
  if (!copy) return 0;
  if (size) memcpy(copy, data, size);
  lc_manifest *m = NULL;
  lancec_error err;
  if (lc_manifest_decode(&m, copy, size, "fuzz.manifest", &err) == 0) {
    (void)lc_manifest_count_rows(m);
    if (m->pb->has_transaction_section) {
      Lance__Transaction *t = NULL;
      if (lc_manifest_transaction(m, NULL, "/nonexistent", &t, &err) == 0 && t) {
        (void)lc_transaction_operation_name(t);
        lance__transaction__free_unpacked(t, NULL);
      }
    }
    struct ArrowSchema as;
    if (lc_schema_to_arrow(m->schema, &as, &err) == 0) as.release(&as);
    lc_manifest_free(m);
  }
  return 0;
}
