/* Helpers shared by the CLI's commands. */
#ifndef LC_CLI_H
#define LC_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Parse ISO 8601 / RFC 3339 ("2026-11-24", "2026-11-24T02:41:29.514Z",
 * "...+05:30"; no zone = UTC) or Unix seconds ("1700000000.5") into
 * nanoseconds since the epoch. Returns 0 or -1. */
int lc_cli_parse_time(const char *s, int64_t *ns_out);
/* Format as "YYYY-MM-DDTHH:MM:SS.ffffffZ". */
void lc_cli_format_time(int64_t ns, char *buf, size_t cap);

#endif
