/* Legacy v1 dataset fix-ups (see legacy_fixups.h). */
#include "table/legacy_fixups.h"

#include "file/file.h"

static bool is_legacy_file(const Lance__Table__DataFile *df) {
  uint32_t major = df->has_file_major_version ? df->file_major_version : 0;
  uint32_t minor = df->has_file_minor_version ? df->file_minor_version : 0;
  return major == 0 && minor <= 2;
}

int lc_legacy_fixup_dataset(lancec_dataset *ds, lancec_error *err) {
  (void)err;
  Lance__Table__Manifest *pb = ds->manifest ? ds->manifest->pb : NULL;
  if (!pb) return 0;
  for (size_t i = 0; i < pb->n_fragments; i++) {
    Lance__Table__DataFragment *frag = pb->fragments[i];
    if (!frag || frag->n_files == 0 || !frag->files[0] || !is_legacy_file(frag->files[0])) continue;
    const Lance__Table__DataFile *df = frag->files[0];
    char *path = lc_dataset_data_file_path(ds, df);
    if (!path) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    lc_file *f = NULL;
    uint64_t hint = df->has_file_size_bytes ? df->file_size_bytes : 0;
    lancec_error ignored = {0};
    int rc = lc_file_open(&f, ds->io, path, hint, &ignored);
    lc_free(path);
    /* A missing / unreadable file is reported by whoever reads it (scan),
     * not at open: `info` on such a dataset still works. */
    if (rc) continue;
    frag->physical_rows = lc_file_num_rows(f);
    frag->has_physical_rows = true;
    lc_file_free(f);
  }
  return 0;
}
