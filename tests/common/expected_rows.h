/* Expected corpus rows and the comparator of lancec arrays against them
 * (tests/common/expected_rows.c). */
#ifndef LC_EXPECTED_ROWS_H
#define LC_EXPECTED_ROWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lancec.h"
#include "schema/schema.h"

typedef struct rows {
  json_t **v;
  size_t n;
} rows;

/* Load <base>.expected.jsonl (one JSON object per row). */
bool load_rows(const char *base, rows *out);
void free_rows(rows *r);
/* Compare column `f` of `a` with the expected rows: row i of `a` is
 * expected row idx[i] (or first + i when idx is NULL). Prints what differs
 * (with `ds` and `how`) and returns false on the first mismatch. */
bool check_array(const lc_field *f, const struct ArrowArray *a, rows *exp, uint64_t first, const uint64_t *idx,
                 const char *ds, const char *how);
/* Failures counted by the tests that use this module. */
extern int g_failures;

#endif
