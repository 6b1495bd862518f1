/* Fix-ups for datasets whose data files are legacy v1 ("0.1") files. */
#ifndef LC_LEGACY_FIXUPS_H
#define LC_LEGACY_FIXUPS_H

#include "table/table.h"

/* For every fragment whose first data file is a legacy v1 file (DataFile
 * version (0,0), (0,1) or (0,2)), set physical_rows from the file's own
 * row count: old manifests lack physical_rows, and some (0.8.0 migrations)
 * record a wrong one. Lance reads the file's rows in both cases. Called
 * from lc_dataset_open_io after the manifest is read. Files that cannot be
 * opened are skipped (the scan reports them). Returns 0. */
LC_INTERNAL int lc_legacy_fixup_dataset(lancec_dataset *ds, lancec_error *err);

#endif
