// Internal to the CDCMTK target: the object handle and error helpers shared by its .cpp files.
#ifndef CDCMTK_BRIDGE_INTERNAL_H
#define CDCMTK_BRIDGE_INTERNAL_H

#include "cdcmtk.h"
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <string>

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

}  // namespace cdcmtk

#endif
