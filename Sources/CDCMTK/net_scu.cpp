// Storage SCU: one DcmSCU association per handle; contexts proposed up front; dataset conversion on, because
// without it a send fails whenever the accepted transfer syntax differs from the file's.
#include "cdcmtk_net.h"
#include "net_internal.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/scu.h>

#include <string>

using cdcmtk_net_detail::set_error;

struct cdcmtk_net_scu {
    DcmSCU scu;
    std::string peer;  // "AE@host:port" for error texts (no PHI)
    bool network_ready = false;
};

extern "C" cdcmtk_net_status cdcmtk_net_scu_create(const cdcmtk_net_scu_config *config, cdcmtk_net_scu **scu,
                                                   cdcmtk_net_error *error) {
    if (config == nullptr || scu == nullptr || config->ae_title == nullptr || config->peer_ae_title == nullptr ||
        config->peer_host == nullptr) {
        set_error(error, "storage SCU set-up", "own AE title, peer AE title and peer host are required");
        return CDCMTK_NET_INVALID_ARGUMENT;
    }
    try {
        cdcmtk_net_initialize();
        auto handle = new cdcmtk_net_scu();
        handle->peer = std::string(config->peer_ae_title) + "@" + config->peer_host + ":" +
                       std::to_string(config->peer_port);
        DcmSCU &s = handle->scu;
        s.setAETitle(config->ae_title);
        s.setPeerAETitle(config->peer_ae_title);
        s.setPeerHostName(config->peer_host);
        s.setPeerPort(config->peer_port);
        s.setMaxReceivePDULength(config->max_pdu ? config->max_pdu : 131072);
        s.setConnectionTimeout(Sint32(config->connect_timeout_seconds ? config->connect_timeout_seconds : 10));
        s.setACSETimeout(config->acse_timeout_seconds ? config->acse_timeout_seconds : 30);
        s.setDIMSETimeout(config->dimse_timeout_seconds ? config->dimse_timeout_seconds : 60);
        s.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        s.setDatasetConversionMode(OFTrue);
        s.setVerbosePCMode(OFFalse);
        OFList<OFString> verification;
        verification.push_back(UID_LittleEndianExplicitTransferSyntax);
        verification.push_back(UID_LittleEndianImplicitTransferSyntax);
        s.addPresentationContext(UID_VerificationSOPClass, verification);
        *scu = handle;
        return CDCMTK_NET_OK;
    } catch (const std::exception &exception) {
        set_error(error, "storage SCU set-up", exception.what());
    } catch (...) {
        set_error(error, "storage SCU set-up", "unexpected exception");
    }
    return CDCMTK_NET_INTERNAL;
}

extern "C" cdcmtk_net_status cdcmtk_net_scu_propose(cdcmtk_net_scu *scu, const char *sop_class_uid,
                                                    const char *const *transfer_syntaxes, size_t count,
                                                    cdcmtk_net_error *error) {
    if (scu == nullptr || sop_class_uid == nullptr || transfer_syntaxes == nullptr || count == 0) {
        set_error(error, "storage SCU propose", "SOP class and at least one transfer syntax are required");
        return CDCMTK_NET_INVALID_ARGUMENT;
    }
    try {
        OFList<OFString> syntaxes;
        for (size_t i = 0; i < count; ++i) syntaxes.push_back(transfer_syntaxes[i]);
        OFCondition condition = scu->scu.addPresentationContext(sop_class_uid, syntaxes);
        if (condition.bad()) {
            set_error(error, "storage SCU propose", condition.text());
            return CDCMTK_NET_INVALID_ARGUMENT;
        }
        return CDCMTK_NET_OK;
    } catch (...) {
        set_error(error, "storage SCU propose", "unexpected exception");
    }
    return CDCMTK_NET_INTERNAL;
}

extern "C" cdcmtk_net_status cdcmtk_net_scu_connect(cdcmtk_net_scu *scu, cdcmtk_net_error *error) {
    if (scu == nullptr) {
        set_error(error, "storage SCU connect", "no handle");
        return CDCMTK_NET_INVALID_ARGUMENT;
    }
    try {
        if (!scu->network_ready) {
            OFCondition condition = scu->scu.initNetwork();
            if (condition.bad()) {
                set_error(error, ("storage SCU network set-up for " + scu->peer).c_str(), condition.text());
                return CDCMTK_NET_CONNECT_FAILED;
            }
            scu->network_ready = true;
        }
        OFCondition condition = scu->scu.negotiateAssociation();
        if (condition == DUL_ASSOCIATIONREJECTED) {
            set_error(error, ("A-ASSOCIATE to " + scu->peer).c_str(), "rejected by the peer (check AE titles)");
            return CDCMTK_NET_ASSOCIATION_REJECTED;
        }
        if (condition.bad()) {
            set_error(error, ("A-ASSOCIATE to " + scu->peer).c_str(), condition.text());
            return CDCMTK_NET_CONNECT_FAILED;
        }
        return CDCMTK_NET_OK;
    } catch (const std::exception &exception) {
        set_error(error, "storage SCU connect", exception.what());
    } catch (...) {
        set_error(error, "storage SCU connect", "unexpected exception");
    }
    return CDCMTK_NET_INTERNAL;
}

extern "C" int cdcmtk_net_scu_is_connected(const cdcmtk_net_scu *scu) {
    return scu != nullptr && scu->scu.isConnected() ? 1 : 0;
}

extern "C" cdcmtk_net_status cdcmtk_net_scu_store_file(cdcmtk_net_scu *scu, const char *path,
                                                       const char *sop_class_uid, const char *transfer_syntax_uid,
                                                       uint16_t *dimse_status, cdcmtk_net_error *error) {
    if (scu == nullptr || path == nullptr || sop_class_uid == nullptr || transfer_syntax_uid == nullptr ||
        dimse_status == nullptr) {
        set_error(error, "C-STORE", "file, SOP class, transfer syntax and status output are required");
        return CDCMTK_NET_INVALID_ARGUMENT;
    }
    try {
        if (!scu->scu.isConnected()) {
            set_error(error, ("C-STORE to " + scu->peer).c_str(), "association is not open");
            return CDCMTK_NET_SEND_FAILED;
        }
        // Same transfer syntax first (no conversion); otherwise any context for the SOP class, converted.
        T_ASC_PresentationContextID context = scu->scu.findPresentationContextID(sop_class_uid, transfer_syntax_uid);
        if (context == 0) context = scu->scu.findAnyPresentationContextID(sop_class_uid, transfer_syntax_uid);
        if (context == 0) {
            set_error(error, ("C-STORE to " + scu->peer).c_str(), "peer accepted no presentation context for the SOP class");
            return CDCMTK_NET_NO_PRESENTATION_CONTEXT;
        }
        Uint16 status = 0;
        OFCondition condition = scu->scu.sendSTORERequest(context, OFFilename(path), nullptr, status);
        if (condition.bad()) {
            // A file that cannot be read or converted is permanent; a broken association is transient.
            if (condition == EC_InvalidFilename || condition == EC_IllegalCall || condition == EC_CannotChangeRepresentation) {
                set_error(error, "C-STORE source file", condition.text());
                return CDCMTK_NET_FILE_UNREADABLE;
            }
            set_error(error, ("C-STORE to " + scu->peer).c_str(), condition.text());
            return CDCMTK_NET_SEND_FAILED;
        }
        *dimse_status = status;
        return CDCMTK_NET_OK;
    } catch (const std::exception &exception) {
        set_error(error, "C-STORE", exception.what());
    } catch (...) {
        set_error(error, "C-STORE", "unexpected exception");
    }
    return CDCMTK_NET_INTERNAL;
}

extern "C" cdcmtk_net_status cdcmtk_net_scu_echo(cdcmtk_net_scu *scu, cdcmtk_net_error *error) {
    if (scu == nullptr) {
        set_error(error, "C-ECHO", "no handle");
        return CDCMTK_NET_INVALID_ARGUMENT;
    }
    try {
        T_ASC_PresentationContextID context =
            scu->scu.findPresentationContextID(UID_VerificationSOPClass, UID_LittleEndianExplicitTransferSyntax);
        if (context == 0) context = scu->scu.findAnyPresentationContextID(UID_VerificationSOPClass, "");
        if (context == 0) {
            set_error(error, ("C-ECHO to " + scu->peer).c_str(), "peer did not accept Verification");
            return CDCMTK_NET_NO_PRESENTATION_CONTEXT;
        }
        OFCondition condition = scu->scu.sendECHORequest(context);
        if (condition.bad()) {
            set_error(error, ("C-ECHO to " + scu->peer).c_str(), condition.text());
            return CDCMTK_NET_SEND_FAILED;
        }
        return CDCMTK_NET_OK;
    } catch (...) {
        set_error(error, "C-ECHO", "unexpected exception");
    }
    return CDCMTK_NET_INTERNAL;
}

extern "C" void cdcmtk_net_scu_free(cdcmtk_net_scu *scu) {
    if (scu == nullptr) return;
    try {
        if (scu->scu.isConnected()) {
            if (scu->scu.releaseAssociation().bad()) scu->scu.abortAssociation();
        }
    } catch (...) {
    }
    delete scu;
}
