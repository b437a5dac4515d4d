// Version of the linked DCMTK, for `qkdgate --version` and bug reports.
#include "cdcmtk.h"
#include <dcmtk/dcmdata/dcuid.h>

extern "C" const char *cdcmtk_version(void) { return OFFIS_DCMTK_VERSION_STRING; }

extern "C" const char *cdcmtk_uid_name(const char *uid) {
    if (uid == nullptr) return nullptr;
    return dcmFindNameOfUID(uid, nullptr);
}
