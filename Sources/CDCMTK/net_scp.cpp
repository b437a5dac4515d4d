// Storage SCP: our own accept loop with one thread per association (DcmSCPPool in DCMTK 3.6.7 keeps a thread
// stack per finished association), C-STORE received straight to a file (disk writeback started while it
// arrives; an existing file overwritten in place, not truncated first), facts handed to a C callback that makes
// the file durable before it answers Success.
#include "bridge_internal.h"
#include "cdcmtk_net.h"
#include "net_internal.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcostrmf.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/scpthrd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fcntl.h>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using cdcmtk_net_detail::set_error;

struct cdcmtk_net_scp {
    std::string ae_title;
    std::set<std::string> allowed_callers;
    std::string incoming_directory;
    cdcmtk_net_store_handler handler = nullptr;
    void *handler_context = nullptr;
    cdcmtk_net_file_provider file_provider = nullptr;
    uint32_t max_pdu = 131072;
    uint32_t max_associations = 16;
    uint32_t acse_timeout = 30;
    uint32_t dimse_timeout = 60;
    DcmSharedSCPConfig shared_config;
    T_ASC_Network *network = nullptr;
    std::atomic<bool> stop_requested{false};
    std::atomic<uint32_t> active{0};
    std::atomic<uint64_t> file_counter{0};
    std::mutex mutex;
    std::condition_variable all_done;
};

namespace {

std::string trimmed(const OFString &value) {
    std::string text(value.c_str());
    while (!text.empty() && text.back() == ' ') text.pop_back();
    while (!text.empty() && text.front() == ' ') text.erase(text.begin());
    return text;
}

/// Bytes of native Pixel Data the attributes promise, or 0 when they are incomplete.
uint64_t expected_native_pixel_bytes(uint16_t rows, uint16_t columns, uint16_t bits_allocated, uint16_t samples,
                                     uint32_t frames, const std::string &photometric) {
    if (rows == 0 || columns == 0 || bits_allocated == 0 || samples == 0 || frames == 0) return 0;
    const uint64_t pixels = uint64_t(rows) * columns * frames;
    if (bits_allocated == 1) return (pixels * samples + 7) / 8;
    // YBR_*_422 stores two samples per pixel on average (Cb and Cr shared by two pixels).
    const bool subsampled = photometric.rfind("YBR_FULL_422", 0) == 0 || photometric.rfind("YBR_PARTIAL_422", 0) == 0;
    const uint64_t values = subsampled && samples == 3 ? pixels * 2 : pixels * samples;
    return values * (bits_allocated / 8);
}

/// What a received file says about its object. The SOP UIDs, transfer syntax and calling AE come from the
/// C-STORE request and its association, or (for a file found in the spool after a restart) from the file's
/// meta header, where DCMTK wrote them when it received the object.
struct ReceivedFacts {
    std::string calling, called, sop_class, sop_instance, transfer_syntax, modality, photometric, problem;
    cdcmtk_net_received_object object{};
    Uint16 rows = 0, columns = 0, bits_allocated = 0, bits_stored = 0, samples = 0;
    Sint32 frames = 1;
};

/// Parses the dataset (big values stay on disk: only their lengths matter) and checks that it is one object
/// the node can take: parseable, the SOP Instance UID of the request, native Pixel Data as long as the image
/// attributes require. `from_meta`: take the UIDs, syntax and calling AE from the meta header.
void read_received_file(const std::string &path, ReceivedFacts &facts, bool from_meta) {
    try {
        DcmFileFormat file;
        OFCondition loaded = file.loadFile(OFFilename(path.c_str()), EXS_Unknown, EGL_noChange, 4096);
        if (loaded.bad()) {
            facts.problem = std::string("dataset cannot be parsed (") + loaded.text() + ")";
            return;
        }
        OFString value;
        if (from_meta) {
            DcmMetaInfo *meta = file.getMetaInfo();
            if (meta->findAndGetOFString(DCM_MediaStorageSOPClassUID, value).good()) facts.sop_class = trimmed(value);
            if (meta->findAndGetOFString(DCM_MediaStorageSOPInstanceUID, value).good()) facts.sop_instance = trimmed(value);
            if (meta->findAndGetOFString(DCM_TransferSyntaxUID, value).good()) facts.transfer_syntax = trimmed(value);
            if (meta->findAndGetOFString(DCM_SourceApplicationEntityTitle, value).good()) facts.calling = trimmed(value);
            if (facts.sop_class.empty() || facts.sop_instance.empty() || facts.transfer_syntax.empty()) {
                facts.problem = "meta header lacks the SOP Class, SOP Instance or Transfer Syntax UID";
                return;
            }
        }
        DcmDataset *dataset = file.getDataset();
        if (dataset->findAndGetOFString(DCM_Modality, value).good()) facts.modality = trimmed(value);
        if (dataset->findAndGetOFString(DCM_PhotometricInterpretation, value).good()) facts.photometric = trimmed(value);
        if (dataset->findAndGetOFString(DCM_SOPInstanceUID, value).good() && trimmed(value) != facts.sop_instance) {
            facts.problem = "SOP Instance UID in the dataset differs from the C-STORE request";
        }
        dataset->findAndGetUint16(DCM_Rows, facts.rows);
        dataset->findAndGetUint16(DCM_Columns, facts.columns);
        dataset->findAndGetUint16(DCM_BitsAllocated, facts.bits_allocated);
        dataset->findAndGetUint16(DCM_BitsStored, facts.bits_stored);
        dataset->findAndGetUint16(DCM_SamplesPerPixel, facts.samples);
        if (dataset->findAndGetSint32(DCM_NumberOfFrames, facts.frames).bad() || facts.frames < 1) facts.frames = 1;
        DcmElement *pixel_data = nullptr;
        if (dataset->findAndGetElement(DCM_PixelData, pixel_data).good() && pixel_data != nullptr) {
            facts.object.has_pixel_data = 1;
            DcmXfer xfer(facts.transfer_syntax.c_str());
            facts.object.pixel_data_encapsulated = xfer.isEncapsulated() ? 1 : 0;
            if (!xfer.isEncapsulated() && facts.problem.empty()) {
                const uint64_t expected = expected_native_pixel_bytes(
                    facts.rows, facts.columns, facts.bits_allocated, facts.samples, uint32_t(facts.frames),
                    facts.photometric);
                const uint64_t actual = pixel_data->getLength();
                if (expected == 0) {
                    facts.problem = "image pixel attributes (Rows, Columns, Bits Allocated, Samples per Pixel) incomplete";
                } else if (actual < expected) {
                    facts.problem = "Pixel Data has " + std::to_string(actual) + " bytes, attributes require " +
                                    std::to_string(expected);
                }
            }
        }
    } catch (...) {
        facts.problem = "dataset cannot be parsed (exception in DCMTK)";
    }
}

/// Hands the facts to a handler (the strings live until it returns) and returns its status.
Uint16 call_handler(ReceivedFacts &facts, const std::string &path, int64_t token, cdcmtk_net_store_handler handler,
                    void *context) {
    cdcmtk_net_received_object &object = facts.object;
    object.calling_ae_title = facts.calling.c_str();
    object.called_ae_title = facts.called.c_str();
    object.sop_class_uid = facts.sop_class.c_str();
    object.sop_instance_uid = facts.sop_instance.c_str();
    object.transfer_syntax_uid = facts.transfer_syntax.c_str();
    object.modality = facts.modality.c_str();
    object.rows = facts.rows;
    object.columns = facts.columns;
    object.bits_allocated = facts.bits_allocated;
    object.bits_stored = facts.bits_stored;
    object.samples_per_pixel = facts.samples;
    object.number_of_frames = uint32_t(facts.frames);
    object.problem = facts.problem.empty() ? nullptr : facts.problem.c_str();
    object.path = path.c_str();
    object.file_token = token;
    return handler(context, &object);
}

class StorageWorker : public DcmThreadSCP {
public:
    StorageWorker(cdcmtk_net_scp *server, T_ASC_Association *association) : server_(server), association_(association) {}

protected:
    OFBool checkCalledAETitleAccepted(const OFString &calledAE) override {
        return trimmed(calledAE) == server_->ae_title;
    }

    OFBool checkCallingAETitleAccepted(const OFString &callingAE) override {
        if (server_->allowed_callers.empty()) return OFTrue;
        return server_->allowed_callers.count(trimmed(callingAE)) > 0;
    }

    OFCondition handleIncomingCommand(T_DIMSE_Message *message, const DcmPresentationContextInfo &info) override {
        if (message->CommandField != DIMSE_C_STORE_RQ) return DcmThreadSCP::handleIncomingCommand(message, info);
        T_DIMSE_C_StoreRQ &request = message->msg.CStoreRQ;
        int64_t token = 0;
        const std::string path = file_for_next_object(token);
        receiving_path_ = path;
        written_back_ = 0;
        OFCondition condition = receive_into_file(path, request, info.presentationContextID, info.acceptedTransferSyntax);
        if (condition.bad()) {
            finish_receiving();
            ::unlink(path.c_str());
            return condition;
        }
        // The file is complete and closed: start the writeback of its last part now, so that it runs while the
        // dataset is parsed and the queue record is prepared, instead of inside the fsync before the response.
        start_writeback();
        Uint16 status = describe_and_decide(path, token, info.acceptedTransferSyntax.c_str(), request);
        return sendSTOREResponse(info.presentationContextID, request, status);
    }

    // Called by DCMTK after each received PDV of the dataset. Starts the disk writeback of what is already
    // written, so that the fsync before the C-STORE-RSP waits for the last chunk only, not the whole object.
    void notifyRECEIVEProgress(const unsigned long byteCount) override {
        if (receiving_path_.empty() || byteCount < written_back_ + kWritebackStep) return;
        start_writeback();
        written_back_ = byteCount;
    }

private:
    static constexpr unsigned long kWritebackStep = 256 * 1024;
    std::string receiving_path_;
    int receiving_fd_ = -1;
    unsigned long written_back_ = 0;

    // The C-STORE data set as it arrives (no parsing) into `path`, behind the file meta header that DCMTK's
    // bit-preserving receive (DcmSCP::receiveSTORERequest with a file name) writes, byte for byte. The one
    // difference: a file that exists already (a slot made from a recycled spool file) is written over in place
    // and cut to the new length (`openForOverwrite`), where DCMTK's fopen("wb") truncates it first; in place
    // halved the write + fsync time of a 512 KB file on this project's VMs.
    OFCondition receive_into_file(const std::string &path, T_DIMSE_C_StoreRQ &request,
                                  T_ASC_PresentationContextID presentation_id, const OFString &transfer_syntax) {
        // receiving_fd_: the second descriptor, for the writeback while the data arrives and the final length.
        FILE *file = cdcmtk::openForOverwrite(path.c_str(), 0600, receiving_fd_);
        if (file == nullptr) {
            // Keep the association in step: read the data set and throw it away, then answer with a failure.
            DIC_UL bytes = 0, pdvs = 0;
            OFCondition ignored = DIMSE_ignoreDataSet(association_, DIMSE_NONBLOCKING, int(server_->dimse_timeout), &bytes, &pdvs);
            if (ignored.bad()) return ignored;
            return makeDcmnetCondition(DIMSEC_OUTOFRESOURCES, OF_error, "cannot open the spool file for a received object");
        }
        OFCondition condition;
        offile_off_t length = 0;
        {
            DcmOutputFileStream stream(file);  // closes `file` (not receiving_fd_) when it goes
            condition = write_meta_header(stream, request, transfer_syntax);
            if (condition.good()) {
                T_ASC_PresentationContextID data_id = presentation_id;
                condition = DIMSE_receiveDataSetInFile(association_, DIMSE_NONBLOCKING, int(server_->dimse_timeout), &data_id,
                                                       &stream, &StorageWorker::receive_progress, this);
                if (condition.good() && data_id != presentation_id)
                    condition = makeDcmnetCondition(DIMSEC_INVALIDPRESENTATIONCONTEXTID, OF_error,
                                                    "the data set came on another presentation context than its command");
            }
            stream.flush();
            length = stream.tell();
            if (condition.good() && !stream.good()) condition = stream.status();
        }
        if (condition.good() && ::ftruncate(receiving_fd_, off_t(length)) != 0)
            condition = makeDcmnetCondition(DIMSEC_OUTOFRESOURCES, OF_error, "cannot set the spool file's length");
        return condition;
    }

    // The meta header DIMSE_createFilestream writes for a received data set (group 0002, explicit VR little
    // endian, after the 128-byte preamble and "DICM"); the test against `storescp -B` compares the two files.
    OFCondition write_meta_header(DcmOutputStream &stream, const T_DIMSE_C_StoreRQ &request, const OFString &transfer_syntax) {
        static const Uint8 version[2] = {0, 1};
        DcmMetaInfo meta;
        OFCondition condition = meta.putAndInsertUint32(DCM_FileMetaInformationGroupLength, 0);
        if (condition.good()) condition = meta.putAndInsertUint8Array(DCM_FileMetaInformationVersion, version, 2);
        if (condition.good()) condition = meta.putAndInsertString(DCM_MediaStorageSOPClassUID, request.AffectedSOPClassUID);
        if (condition.good()) condition = meta.putAndInsertString(DCM_MediaStorageSOPInstanceUID, request.AffectedSOPInstanceUID);
        if (condition.good()) condition = meta.putAndInsertString(DCM_TransferSyntaxUID, transfer_syntax.c_str());
        if (condition.good()) condition = meta.putAndInsertString(DCM_ImplementationClassUID, OFFIS_IMPLEMENTATION_CLASS_UID);
        if (condition.good()) condition = meta.putAndInsertString(DCM_ImplementationVersionName, OFFIS_DTK_IMPLEMENTATION_VERSION_NAME);
        if (condition.good()) condition = meta.putAndInsertString(DCM_SourceApplicationEntityTitle, getPeerAETitle().c_str());
        if (condition.good())
            condition = meta.computeGroupLengthAndPadding(EGL_withGL, EPD_noChange, EXS_LittleEndianExplicit, EET_ExplicitLength);
        if (condition.bad()) return condition;
        meta.transferInit();
        condition = meta.write(stream, EXS_LittleEndianExplicit, EET_ExplicitLength, nullptr);
        meta.transferEnd();
        return condition;
    }

    static void receive_progress(void *context, unsigned long byte_count) {
        if (context != nullptr) static_cast<StorageWorker *>(context)->notifyRECEIVEProgress(byte_count);
    }

    // The provider's file (created ahead of time, so its name is already durable), or a new one in the
    // incoming directory when there is no provider or it has none.
    std::string file_for_next_object(int64_t &token) {
        if (server_->file_provider != nullptr) {
            char buffer[4096] = {0};
            if (server_->file_provider(server_->handler_context, buffer, sizeof buffer, &token) == 1 && token != 0 &&
                buffer[0] != 0 && buffer[sizeof buffer - 1] == 0) {
                return buffer;
            }
        }
        token = 0;
        return server_->incoming_directory + "/" + std::to_string(getpid()) + "-" +
               std::to_string(server_->file_counter.fetch_add(1)) + ".part";
    }

    // Asks the kernel to start writing the file's dirty pages (SYNC_FILE_RANGE_WRITE does not wait for them).
    void start_writeback() {
        if (receiving_path_.empty()) return;
        if (receiving_fd_ >= 0) ::sync_file_range(receiving_fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
    }

    void finish_receiving() {
        if (receiving_fd_ >= 0) ::close(receiving_fd_);
        receiving_fd_ = -1;
        receiving_path_.clear();
    }

    Uint16 describe_and_decide(const std::string &path, int64_t token, const std::string &transfer_syntax,
                               const T_DIMSE_C_StoreRQ &request) {
        ReceivedFacts facts;
        facts.calling = trimmed(getPeerAETitle());
        facts.called = trimmed(getCalledAETitle());
        facts.sop_class = request.AffectedSOPClassUID;
        facts.sop_instance = request.AffectedSOPInstanceUID;
        facts.transfer_syntax = transfer_syntax;
        read_received_file(path, facts, false);
        // Not fsynced here: the handler decides (see cdcmtk_net_received_object.path). The writeback started
        // during the reception went on while the dataset was parsed.
        finish_receiving();
        if (server_->handler == nullptr) {
            ::unlink(path.c_str());
            return STATUS_STORE_Refused_OutOfResources;
        }
        return call_handler(facts, path, token, server_->handler, server_->handler_context);
    }

    cdcmtk_net_scp *server_;
    T_ASC_Association *association_;
};

void reject_busy(T_ASC_Association *association) {
    T_ASC_RejectParameters reject = {ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
                                     ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED};
    ASC_rejectAssociation(association, &reject);
    ASC_dropAssociation(association);
    ASC_destroyAssociation(&association);
}

}  // namespace

extern "C" cdcmtk_net_status cdcmtk_net_scp_create(const cdcmtk_net_scp_config *config, cdcmtk_net_scp **scp,
                                                   cdcmtk_net_error *error) {
    if (config == nullptr || scp == nullptr || config->ae_title == nullptr || config->incoming_directory == nullptr ||
        config->handler == nullptr || config->transfer_syntax_count == 0) {
        set_error(error, "storage SCP set-up", "AE title, incoming directory, handler and transfer syntaxes are required");
        return CDCMTK_NET_INVALID_ARGUMENT;
    }
    try {
        cdcmtk_net_initialize();
        auto server = new cdcmtk_net_scp();
        server->ae_title = config->ae_title;
        for (size_t i = 0; i < config->allowed_calling_ae_title_count; ++i) {
            if (config->allowed_calling_ae_titles[i] != nullptr)
                server->allowed_callers.insert(config->allowed_calling_ae_titles[i]);
        }
        server->incoming_directory = config->incoming_directory;
        server->handler = config->handler;
        server->handler_context = config->handler_context;
        server->file_provider = config->file_provider;
        server->max_pdu = config->max_pdu ? config->max_pdu : 131072;
        server->max_associations = config->max_associations ? config->max_associations : 16;
        server->acse_timeout = config->acse_timeout_seconds ? config->acse_timeout_seconds : 30;
        server->dimse_timeout = config->dimse_timeout_seconds ? config->dimse_timeout_seconds : 60;

        DcmSCPConfig &scp_config = *server->shared_config;
        scp_config.setAETitle(config->ae_title);
        scp_config.setPort(config->port);
        scp_config.setMaxReceivePDULength(server->max_pdu);
        scp_config.setACSETimeout(server->acse_timeout);
        scp_config.setDIMSETimeout(server->dimse_timeout);
        scp_config.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        scp_config.setHostLookupEnabled(OFFalse);
        OFList<OFString> syntaxes;
        for (size_t i = 0; i < config->transfer_syntax_count; ++i) syntaxes.push_back(config->transfer_syntaxes[i]);
        OFList<OFString> verification_syntaxes;
        verification_syntaxes.push_back(UID_LittleEndianExplicitTransferSyntax);
        verification_syntaxes.push_back(UID_LittleEndianImplicitTransferSyntax);
        OFCondition condition = scp_config.addPresentationContext(UID_VerificationSOPClass, verification_syntaxes);
        // DCMTK's acceptor configuration holds at most 128 contexts, fewer than the storage SOP classes it knows:
        // take the common ones (storescu's long list) first, then the others in table order until full.
        std::set<std::string> added;
        auto add = [&](const char *sop_class) {
            if (condition.bad() || sop_class == nullptr || added.size() >= 127 || !added.insert(sop_class).second) return;
            condition = scp_config.addPresentationContext(sop_class, syntaxes);
        };
        // Visible-light photography first: dermatology (XC) photographs are a main use of the gateway, and
        // storescu's long list leaves these classes out.
        static const char *const visible_light[] = {
            UID_VLPhotographicImageStorage, UID_DermoscopicPhotographyImageStorage, UID_VLMicroscopicImageStorage,
            UID_VLSlideCoordinatesMicroscopicImageStorage, UID_VLEndoscopicImageStorage,
            UID_VLWholeSlideMicroscopyImageStorage, UID_VideoPhotographicImageStorage,
            UID_VideoEndoscopicImageStorage, UID_VideoMicroscopicImageStorage,
        };
        for (const char *sop_class : visible_light) add(sop_class);
        for (int i = 0; i < numberOfDcmLongSCUStorageSOPClassUIDs; ++i) add(dcmLongSCUStorageSOPClassUIDs[i]);
        for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; ++i) add(dcmAllStorageSOPClassUIDs[i]);
        if (condition.bad()) {
            set_error(error, "storage SCP presentation contexts", condition.text());
            delete server;
            return CDCMTK_NET_INVALID_ARGUMENT;
        }
        condition = ASC_initializeNetwork(NET_ACCEPTOR, int(config->port), int(server->acse_timeout), &server->network);
        if (condition.bad()) {
            std::string detail = "port " + std::to_string(config->port) + ": " + condition.text() +
                                 " (is another process listening there?)";
            set_error(error, "storage SCP listen", detail.c_str());
            delete server;
            return CDCMTK_NET_LISTEN_FAILED;
        }
        *scp = server;
        return CDCMTK_NET_OK;
    } catch (const std::exception &exception) {
        set_error(error, "storage SCP set-up", exception.what());
    } catch (...) {
        set_error(error, "storage SCP set-up", "unexpected exception");
    }
    return CDCMTK_NET_INTERNAL;
}

extern "C" cdcmtk_net_status cdcmtk_net_scp_run(cdcmtk_net_scp *scp, cdcmtk_net_error *error) {
    if (scp == nullptr || scp->network == nullptr) {
        set_error(error, "storage SCP run", "not created");
        return CDCMTK_NET_INVALID_ARGUMENT;
    }
    try {
        while (!scp->stop_requested.load()) {
            T_ASC_Association *association = nullptr;
            // Poll once a second so that a stop request is seen promptly.
            OFCondition condition = ASC_receiveAssociation(scp->network, &association, long(scp->max_pdu), nullptr,
                                                           nullptr, OFFalse, DUL_NOBLOCK, 1);
            if (condition == DUL_NOASSOCIATIONREQUEST) {
                if (association != nullptr) ASC_destroyAssociation(&association);
                continue;
            }
            if (condition.bad()) {
                if (association != nullptr) {
                    ASC_dropAssociation(association);
                    ASC_destroyAssociation(&association);
                }
                continue;
            }
            if (scp->active.load() >= scp->max_associations || scp->stop_requested.load()) {
                reject_busy(association);
                continue;
            }
            scp->active.fetch_add(1);
            std::thread([scp, association] {
                try {
                    StorageWorker worker(scp, association);
                    worker.setSharedConfig(scp->shared_config);
                    worker.run(association);  // negotiates, serves, drops and destroys the association
                } catch (...) {
                    // The association is lost; the peer sees the connection close and may retry.
                }
                std::lock_guard<std::mutex> lock(scp->mutex);
                scp->active.fetch_sub(1);
                scp->all_done.notify_all();
            }).detach();
        }
        std::unique_lock<std::mutex> lock(scp->mutex);
        scp->all_done.wait(lock, [scp] { return scp->active.load() == 0; });
        return CDCMTK_NET_OK;
    } catch (const std::exception &exception) {
        set_error(error, "storage SCP accept loop", exception.what());
    } catch (...) {
        set_error(error, "storage SCP accept loop", "unexpected exception");
    }
    return CDCMTK_NET_INTERNAL;
}

extern "C" uint16_t cdcmtk_net_describe_file(const char *path, const char *called_ae_title, int64_t file_token,
                                             cdcmtk_net_store_handler handler, void *context) {
    if (path == nullptr || handler == nullptr) return STATUS_STORE_Refused_OutOfResources;
    try {
        cdcmtk_net_initialize();
        ReceivedFacts facts;
        facts.called = called_ae_title == nullptr ? "" : called_ae_title;
        read_received_file(path, facts, true);
        return call_handler(facts, path, file_token, handler, context);
    } catch (...) {
        return STATUS_STORE_Refused_OutOfResources;
    }
}

extern "C" void cdcmtk_net_scp_stop(cdcmtk_net_scp *scp) {
    if (scp != nullptr) scp->stop_requested.store(true);
}

extern "C" uint32_t cdcmtk_net_scp_active_associations(const cdcmtk_net_scp *scp) {
    return scp == nullptr ? 0 : scp->active.load();
}

extern "C" void cdcmtk_net_scp_free(cdcmtk_net_scp *scp) {
    if (scp == nullptr) return;
    try {
        if (scp->network != nullptr) ASC_dropNetwork(&scp->network);
    } catch (...) {
    }
    delete scp;
}
