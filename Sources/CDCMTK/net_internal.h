// Helpers shared by the net_*.cpp files of the bridge (not part of the C API).
#ifndef CDCMTK_NET_INTERNAL_H
#define CDCMTK_NET_INTERNAL_H

#include "cdcmtk_net.h"

namespace cdcmtk_net_detail {

/// Writes "step: detail" into `error` (which may be NULL).
void set_error(cdcmtk_net_error *error, const char *step, const char *detail);

}  // namespace cdcmtk_net_detail

#endif
