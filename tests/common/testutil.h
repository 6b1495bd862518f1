/* Shared helpers for the cmocka unit tests. */
#ifndef LC_TESTUTIL_H
#define LC_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/common.h"

/* Path of a file under ../shared (the specs and corpus). Caller frees. */
char *tu_shared_path(const char *rel);
/* Read a whole local file; returns NULL if missing. */
uint8_t *tu_read_file(const char *path, size_t *len);
/* A fresh empty temp directory (removed by tu_rmtree). Caller frees. */
char *tu_tempdir(void);
void tu_rmtree(const char *path);

#define assert_ok(expr, errp)                                                           \
  do {                                                                                  \
    int tu_rc_ = (expr);                                                                \
    if (tu_rc_ != 0) fail_msg("%s failed: %d %s", #expr, tu_rc_, (errp)->message);      \
  } while (0)

#endif
