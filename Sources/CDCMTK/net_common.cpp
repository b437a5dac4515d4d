// Process set-up for DCMTK networking, shared by the SCP and SCU halves of the bridge.
#include "cdcmtk.h"
#include "cdcmtk_net.h"
#include "net_internal.h"

#include <cstdio>

namespace cdcmtk_net_detail {

void set_error(cdcmtk_net_error *error, const char *step, const char *detail) {
    if (error == nullptr) return;
    std::snprintf(error->text, sizeof(error->text), "%s: %s", step, detail ? detail : "");
}

}  // namespace cdcmtk_net_detail

extern "C" void cdcmtk_net_initialize(void) {
    // The foundation's set-up is the one place that configures DCMTK for the process: TCP_NODELAY=1 for every
    // socket dcmnet opens (Nagle + delayed ACK make loopback C-STORE crawl otherwise), the dictionary, the
    // codecs (needed when the SCU converts a dataset to an accepted transfer syntax) and quiet logging.
    // It is idempotent; a missing dictionary shows up later as a parse error with DCMTK's text.
    cdcmtk_error error;
    (void)cdcmtk_initialize(nullptr, &error);
}
