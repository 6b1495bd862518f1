/* Type conversion of Arrow arrays (lc_field-typed), used to align written
 * data to a table schema.
 *
 * Supported conversions (lc_cast_supported): the same type; integer
 * widening and narrowing (narrowing range-checked per value); integer <->
 * float (float -> integer only for integral values in range); float
 * widening / narrowing (overflow to infinity is an error); string <->
 * large_string, binary <-> large_binary, string -> (large_)binary; list <->
 * large_list (recursively; map -> map too); struct by child name (target
 * children missing from the source become nulls when nullable, else an
 * error; source children missing from the target are an error);
 * fixed_size_list of the same size (recursively); fixed_size_binary of the
 * same width; dictionary -> its value type (and anything that type casts
 * to), a type -> dictionary of it (indices 0..n-1, no deduplication);
 * timestamp / duration unit changes (coarsening must be exact), time32 <->
 * time64, date32 <-> date64 (exact); decimal128/256 precision and scale
 * changes (overflow and lost digits are errors); the null type -> anything
 * nullable.
 *
 * Nullability of `to` is enforced at every level: a null where the target
 * is not nullable is an error (a struct child only counts where its
 * parents are valid). Errors are LANCEC_ETYPE, e.g.
 *   column 'a': cannot convert list<int32> to int64
 *   column 'a': value 300 at row 17 does not fit int8
 *   column 'a' is not nullable but row 3 is null
 * Rows are 0-based within `in`. The output has offset 0 at every level and
 * owns its buffers (it never borrows from `in`). */
#ifndef LC_ARROW_CAST_H
#define LC_ARROW_CAST_H

#include "arrow/arrow.h"

LC_INTERNAL bool lc_cast_supported(const lc_field *from, const lc_field *to);

/* `column`: dotted path of the column for messages (NULL or "" for a
 * top-level batch: its children are then named by their own names). */
LC_INTERNAL int lc_array_cast(const lc_field *from, const struct ArrowArray *in, const lc_field *to,
                              const char *column, struct ArrowArray *out, lancec_error *err);

/* Whether two fields have the same type (parameters, children types and
 * struct child names, recursively; names and nullability of `a`/`b`
 * themselves are ignored). */
LC_INTERNAL bool lc_field_same_type(const lc_field *a, const lc_field *b);

#endif
