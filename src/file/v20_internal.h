/* File format 2.0 reader (v20.c): private declarations. */
#ifndef LC_V20_INTERNAL_H
#define LC_V20_INTERNAL_H

#include "file/file_internal.h"
#include "lance_encodings20.pb-c.h"
#include "lance_wkt.pb-c.h"

#endif
