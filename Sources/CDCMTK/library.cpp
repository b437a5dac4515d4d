// Process-wide set-up of DCMTK: environment, dictionary, codecs, logging.
#include "bridge_internal.h"

#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/dcmjpls/djencode.h>
#include <dcmtk/oflog/oflog.h>
#include <dcmtk/oflog/appender.h>
#include <dcmtk/oflog/logger.h>
#include <dcmtk/oflog/spi/logevent.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>
#include <sys/stat.h>

namespace {

std::atomic<cdcmtk_log_callback> logCallback{nullptr};

/// Forwards every DCMTK log event to the callback registered by Swift.
class CallbackAppender : public dcmtk::log4cplus::Appender {
public:
    ~CallbackAppender() override { destructorImpl(); }
    void close() override {}

protected:
    void append(const dcmtk::log4cplus::spi::InternalLoggingEvent &event) override {
        cdcmtk_log_callback callback = logCallback.load();
        if (callback == nullptr) return;
        int level = 2;
        const int dcmtkLevel = event.getLogLevel();
        if (dcmtkLevel >= dcmtk::log4cplus::FATAL_LOG_LEVEL) level = 5;
        else if (dcmtkLevel >= dcmtk::log4cplus::ERROR_LOG_LEVEL) level = 4;
        else if (dcmtkLevel >= dcmtk::log4cplus::WARN_LOG_LEVEL) level = 3;
        else if (dcmtkLevel >= dcmtk::log4cplus::INFO_LOG_LEVEL) level = 2;
        else if (dcmtkLevel >= dcmtk::log4cplus::DEBUG_LOG_LEVEL) level = 1;
        else level = 0;
        callback(level, event.getLoggerName().c_str(), event.getMessage().c_str());
    }
};

bool fileExists(const char *path) {
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

std::once_flag setUpOnce;
int setUpStatus = CDCMTK_OK;
std::string setUpMessage;

void setUp() {
    // dcmnet reads TCP_NODELAY for every socket it opens; Debian's build leaves Nagle on otherwise.
    setenv("TCP_NODELAY", "1", 0);

    // The dictionary ships in the runtime package; point at it explicitly so a fresh machine finds it.
    if (getenv("DCMDICTPATH") == nullptr) {
        const char *dictionary = "/usr/share/libdcmtk17/dicom.dic";
        const char *privateDictionary = "/usr/share/libdcmtk17/private.dic";
        if (fileExists(dictionary) && fileExists(privateDictionary)) {
            std::string path = std::string(dictionary) + ":" + privateDictionary;
            setenv("DCMDICTPATH", path.c_str(), 0);
        }
    }

    // Logging: quiet (warnings and worse) and routed to the callback only.
    OFLog::configure(OFLogger::WARN_LOG_LEVEL);
    dcmtk::log4cplus::Logger root = dcmtk::log4cplus::Logger::getRoot();
    root.removeAllAppenders();
    root.addAppender(dcmtk::log4cplus::SharedAppenderPtr(new CallbackAppender()));
    root.setLogLevel(dcmtk::log4cplus::WARN_LOG_LEVEL);

    if (!dcmDataDict.isDictionaryLoaded()) {
        setUpStatus = CDCMTK_DICTIONARY_MISSING;
        setUpMessage = "the DICOM data dictionary did not load; install libdcmtk17 (it ships "
                       "/usr/share/libdcmtk17/dicom.dic) or set DCMDICTPATH to dicom.dic";
        return;
    }

    DJDecoderRegistration::registerCodecs(EDC_photometricInterpretation, EUC_never);
    DJLSDecoderRegistration::registerCodecs(EJLSUC_never);
    DcmRLEDecoderRegistration::registerCodecs(OFFalse, OFFalse);
    // Encoders are used only for lossless copies (samples, re-encoding lossless originals).
    DJEncoderRegistration::registerCodecs(ECC_lossyYCbCr, EUC_never);
    // "Cooked" JPEG-LS encoding asserts (and aborts the process) on signed 12-bit data; raw mode does not.
    DJLSEncoderRegistration::registerCodecs(0, 0, 0, 0, OFFalse, 0, OFTrue, EJLSUC_never);
    DcmRLEEncoderRegistration::registerCodecs(OFFalse, 0, OFTrue, OFFalse);
}

}  // namespace

extern "C" int cdcmtk_initialize(cdcmtk_log_callback callback, cdcmtk_error *error) {
    if (callback != nullptr) logCallback.store(callback);
    try {
        std::call_once(setUpOnce, setUp);
    } catch (const std::exception &exception) {
        return cdcmtk::fail(error, CDCMTK_INTERNAL, std::string("DCMTK set-up threw: ") + exception.what());
    } catch (...) {
        return cdcmtk::fail(error, CDCMTK_INTERNAL, "DCMTK set-up threw an unknown exception");
    }
    if (setUpStatus != CDCMTK_OK) return cdcmtk::fail(error, setUpStatus, setUpMessage);
    return CDCMTK_OK;
}

extern "C" void cdcmtk_free(void *pointer) { free(pointer); }

namespace cdcmtk {

int fail(cdcmtk_error *error, int code, const std::string &message) {
    if (error != nullptr) {
        error->code = code;
        std::strncpy(error->message, message.c_str(), sizeof(error->message) - 1);
        error->message[sizeof(error->message) - 1] = '\0';
    }
    return code;
}

int failCondition(cdcmtk_error *error, int code, const std::string &context, const OFCondition &condition) {
    return fail(error, code, context + ": " + condition.text());
}

char *duplicate(const std::string &text) {
    char *copy = static_cast<char *>(malloc(text.size() + 1));
    if (copy == nullptr) return nullptr;
    std::memcpy(copy, text.c_str(), text.size() + 1);
    return copy;
}

FILE *openForOverwrite(const char *path, mode_t mode, int &kept) {
    kept = -1;
    const int descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode);
    if (descriptor < 0) return nullptr;
    const int second = dup(descriptor);
    FILE *file = second >= 0 ? fdopen(descriptor, "w") : nullptr;  // fdopen never truncates
    if (file == nullptr) {
        const int code = errno;
        close(descriptor);
        if (second >= 0) close(second);
        errno = code;
        return nullptr;
    }
    kept = second;
    return file;
}

}  // namespace cdcmtk
