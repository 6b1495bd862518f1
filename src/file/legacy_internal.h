/* Legacy Lance file format v1 ("0.1"): private declarations. */
#ifndef LC_LEGACY_INTERNAL_H
#define LC_LEGACY_INTERNAL_H

#include "file/file_internal.h"

/* The legacy v1 implementation (legacy.c). */
LC_INTERNAL extern const lc_file_format lc_format_legacy;

#endif
