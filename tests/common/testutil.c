#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_shared_path(const char *rel) {
  const char *base = getenv("LANCEC_SHARED_DIR");
  if (!base || !*base) base = LANCEC_SHARED_DIR;
  return lc_sprintf("%s/%s", base, rel);
}

uint8_t *tu_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = 0;
    *len = (size_t)n;
  }
  return buf;
}

char *tu_tempdir(void) {
  char tmpl[] = "/tmp/lancec-test-XXXXXX";
  char *d = mkdtemp(tmpl);
  return d ? lc_strdup(d) : NULL;
}

void tu_rmtree(const char *path) {
  if (!path || strncmp(path, "/tmp/lancec-test-", 17) != 0) return;
  char *cmd = lc_sprintf("rm -rf '%s'", path);
  if (cmd && system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", path);
  free(cmd);
}
