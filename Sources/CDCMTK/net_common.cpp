// Process set-up for DCMTK networking, shared by the SCP and SCU halves of the bridge.
#include "cdcmtk_net.h"
#include "net_internal.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/oflog/oflog.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sys/stat.h>

namespace cdcmtk_net_detail {

void set_error(cdcmtk_net_error *error, const char *step, const char *detail) {
    if (error == nullptr) return;
    std::snprintf(error->text, sizeof(error->text), "%s: %s", step, detail ? detail : "");
}

}  // namespace cdcmtk_net_detail

extern "C" void cdcmtk_net_initialize(int log_level) {
    static std::once_flag once;
    std::call_once(once, [log_level] {
        // dcmnet reads TCP_NODELAY for every socket it opens; without it loopback C-STORE crawls (Nagle +
        // delayed ACK). Set before any socket exists, while the process is still single-threaded here.
        setenv("TCP_NODELAY", "1", 1);
        if (std::getenv("DCMDICTPATH") == nullptr) {
            struct stat info;
            if (stat("/usr/share/libdcmtk17/dicom.dic", &info) == 0) {
                setenv("DCMDICTPATH", "/usr/share/libdcmtk17/dicom.dic:/usr/share/libdcmtk17/private.dic", 0);
            }
        }
        try {
            OFLogger::LogLevel level = OFLogger::WARN_LOG_LEVEL;
            switch (log_level) {
            case 0: level = OFLogger::TRACE_LOG_LEVEL; break;
            case 1: level = OFLogger::DEBUG_LOG_LEVEL; break;
            case 2: level = OFLogger::INFO_LOG_LEVEL; break;
            case 3: level = OFLogger::WARN_LOG_LEVEL; break;
            case 4: level = OFLogger::ERROR_LOG_LEVEL; break;
            case 5: level = OFLogger::FATAL_LOG_LEVEL; break;
            default: level = OFLogger::OFF_LOG_LEVEL; break;
            }
            OFLog::configure(level);
            // Touch the dictionary once so that a missing file shows up at start-up, not per association.
            (void)dcmDataDict.isDictionaryLoaded();
        } catch (...) {
            // Logging set-up is best effort; networking still works with DCMTK's defaults.
        }
    });
}
