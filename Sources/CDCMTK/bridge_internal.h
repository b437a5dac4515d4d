// Internal to the CDCMTK target: the object handle and error helpers shared by its .cpp files.
#ifndef CDCMTK_BRIDGE_INTERNAL_H
#define CDCMTK_BRIDGE_INTERNAL_H

#include "cdcmtk.h"
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <cstdio>
#include <string>
#include <sys/types.h>

struct cdcmtk_object {
    DcmFileFormat file;
    /// The syntax the dataset's elements are in now (as read, or Explicit VR LE after decoding).
    E_TransferSyntax xfer = EXS_LittleEndianExplicit;
};

namespace cdcmtk {

/// Fills `error` (when non-NULL) and returns `code`.
int fail(cdcmtk_error *error, int code, const std::string &message);

/// Fills `error` from a DCMTK condition with context.
int failCondition(cdcmtk_error *error, int code, const std::string &context, const OFCondition &condition);

/// Decodes JPEG 2000 Pixel Data with OpenJPEG into native bytes in the dataset (j2k.cpp).
int decodeJPEG2000(cdcmtk_object *object, cdcmtk_error *error);

/// Copies a std::string into malloc'd memory for the C caller.
char *duplicate(const std::string &text);

/// Opens `path` for writing without truncating it (created with `mode` when missing): the FILE* is for a
/// DcmOutputFileStream, which closes it; `kept` is a second descriptor of the file for the writer to cut the file
/// to the bytes written (ftruncate), flush it, and close. Writing over an existing file in place keeps its
/// page-cache pages and disk blocks, where truncating first frees them only to allocate new ones
/// (docs/gateway.md, "Spool files overwritten in place"). nullptr with errno set and nothing open on failure.
FILE *openForOverwrite(const char *path, mode_t mode, int &kept);

}  // namespace cdcmtk

#endif
