/* Scan engine internals (the public entry point is lancec_dataset_scan). */
#ifndef LC_SCAN_H
#define LC_SCAN_H

#include "common/common.h"

/* The lancec status code behind the last get_next failure of a stream made
 * by lancec_dataset_scan (0 if none). */
LC_INTERNAL int lc_scan_lancec_error_code(const struct ArrowArrayStream *s);

#endif
