/*
 * CDCMTK networking — the plain-C face of the DICOM upper layer (storage SCP and SCU) over DCMTK's dcmnet.
 *
 * Opaque handles with create/free pairs, a status code plus a `cdcmtk_net_error` with text, and every C++
 * exception caught inside. Symbols are prefixed `cdcmtk_net_`. Nothing here includes a DCMTK header.
 *
 * Threads: the SCP runs its own accept loop (`cdcmtk_net_scp_run`, blocking) and one OS thread per association
 * (DCMTK 3.6.7's DcmSCPPool keeps one thread stack per finished association, so it is not used). The store
 * handler is called on those association threads and may block; it must be safe to call concurrently.
 * An SCU handle belongs to one thread at a time.
 */
#ifndef CDCMTK_NET_H
#define CDCMTK_NET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of a bridge call. Text with the details (never dataset contents) is in `cdcmtk_net_error`.
typedef enum {
    CDCMTK_NET_OK = 0,
    CDCMTK_NET_INVALID_ARGUMENT = 1,
    CDCMTK_NET_LISTEN_FAILED = 2,        ///< the port could not be opened (in use, no permission)
    CDCMTK_NET_CONNECT_FAILED = 3,       ///< TCP connection or A-ASSOCIATE failed before acceptance
    CDCMTK_NET_ASSOCIATION_REJECTED = 4, ///< the peer sent A-ASSOCIATE-RJ
    CDCMTK_NET_NO_PRESENTATION_CONTEXT = 5, ///< the peer accepted no context for this SOP class
    CDCMTK_NET_SEND_FAILED = 6,          ///< DIMSE exchange failed mid-association (peer gone, timeout)
    CDCMTK_NET_FILE_UNREADABLE = 7,      ///< a local file could not be read as DICOM
    CDCMTK_NET_INTERNAL = 8              ///< an unexpected exception inside the bridge
} cdcmtk_net_status;

typedef struct {
    char text[512];
} cdcmtk_net_error;

/// Idempotent process set-up for networking: runs `cdcmtk_initialize` (TCP_NODELAY=1 for every DCMTK socket,
/// dictionary, codecs, logging). The SCP and SCU constructors call it; calling it again does nothing.
void cdcmtk_net_initialize(void);

/* ---------------------------------------------------------------------------------------------------------
 * Storage SCP
 * ------------------------------------------------------------------------------------------------------- */

/// What the bridge learnt about one received object. Strings are valid only during the handler call.
typedef struct {
    const char *calling_ae_title;
    const char *called_ae_title;
    const char *sop_class_uid;
    const char *sop_instance_uid;
    /// Transfer syntax of the presentation context it arrived on, which is how it is stored in `path`.
    const char *transfer_syntax_uid;
    const char *modality;             ///< "" when absent
    int has_pixel_data;               ///< 1 when (7FE0,0010) is present
    int pixel_data_encapsulated;      ///< 1 when Pixel Data is encapsulated (compressed)
    uint16_t rows, columns, bits_allocated, bits_stored, samples_per_pixel;
    uint32_t number_of_frames;
    /// NULL when the bridge saw nothing wrong; otherwise a short PHI-free reason (e.g. pixel length mismatch).
    const char *problem;
    /// The received object, written as a DICOM file (meta header + dataset exactly as received), with its
    /// disk writeback already started but NOT fsynced: a handler that answers Success must first make it
    /// durable (fsync it; a file in `incoming_directory` must also get its final name and that directory
    /// entry made durable). The handler owns it from now on: it must keep, move or delete it.
    const char *path;
    /// The token the file provider gave with `path`; 0 when the bridge wrote into `incoming_directory`.
    int64_t file_token;
} cdcmtk_net_received_object;

/// Decides about one C-STORE and returns the DIMSE status for the C-STORE-RSP (0x0000 success).
typedef uint16_t (*cdcmtk_net_store_handler)(void *context, const cdcmtk_net_received_object *object);

/// Names the file the next received object is written to (called on the association's thread before the
/// dataset arrives): an existing file, which the bridge truncates and fills. Writes its path (NUL-terminated,
/// at most `capacity` bytes with the NUL) and a non-zero token for the handler, and returns 1; returns 0 to
/// let the bridge create a file in `incoming_directory` instead.
typedef int (*cdcmtk_net_file_provider)(void *context, char *path, size_t capacity, int64_t *token);

typedef struct {
    const char *ae_title;               ///< our AE title; also the only called AE title accepted
    uint16_t port;
    uint32_t max_pdu;                   ///< max receive PDU in bytes (e.g. 131072)
    uint32_t max_associations;          ///< concurrent associations; more are rejected (transient)
    uint32_t acse_timeout_seconds;
    uint32_t dimse_timeout_seconds;
    const char *const *allowed_calling_ae_titles; ///< NULL or empty list: any caller
    size_t allowed_calling_ae_title_count;
    const char *const *transfer_syntaxes;         ///< accepted for storage, in order of preference
    size_t transfer_syntax_count;
    const char *incoming_directory;     ///< where received objects are written before the handler runs
    cdcmtk_net_store_handler handler;
    void *handler_context;              ///< passed to `handler` and `file_provider`
    cdcmtk_net_file_provider file_provider; ///< NULL: every object is written into `incoming_directory`
} cdcmtk_net_scp_config;

typedef struct cdcmtk_net_scp cdcmtk_net_scp;

/// Opens the listening port (so a bind failure is reported here, not later).
cdcmtk_net_status cdcmtk_net_scp_create(const cdcmtk_net_scp_config *config, cdcmtk_net_scp **scp,
                                        cdcmtk_net_error *error);
/// Accepts associations until `cdcmtk_net_scp_stop`; returns after every association thread has ended.
cdcmtk_net_status cdcmtk_net_scp_run(cdcmtk_net_scp *scp, cdcmtk_net_error *error);
/// Describes a received file found in a spool (after a restart) as the SCP described it when it arrived: the
/// same parse and checks, with the SOP UIDs, transfer syntax and calling AE (Source Application Entity Title)
/// read from its meta header, which DCMTK wrote at the reception. Calls `handler` once with those facts and
/// `file_token`, and returns its status (or 0xA700 when it cannot run it).
uint16_t cdcmtk_net_describe_file(const char *path, const char *called_ae_title, int64_t file_token,
                                  cdcmtk_net_store_handler handler, void *context);
/// Asks the accept loop to stop (returns at once; running associations finish their current work).
void cdcmtk_net_scp_stop(cdcmtk_net_scp *scp);
/// Number of associations being served right now.
uint32_t cdcmtk_net_scp_active_associations(const cdcmtk_net_scp *scp);
/// Closes the port. Call only after `cdcmtk_net_scp_run` has returned (or was never called).
void cdcmtk_net_scp_free(cdcmtk_net_scp *scp);

/* ---------------------------------------------------------------------------------------------------------
 * Storage SCU: one association per handle, presentation contexts proposed up front.
 * ------------------------------------------------------------------------------------------------------- */

typedef struct cdcmtk_net_scu cdcmtk_net_scu;

typedef struct {
    const char *ae_title;
    const char *peer_ae_title;
    const char *peer_host;
    uint16_t peer_port;
    uint32_t max_pdu;
    uint32_t connect_timeout_seconds;
    uint32_t acse_timeout_seconds;
    uint32_t dimse_timeout_seconds;
} cdcmtk_net_scu_config;

cdcmtk_net_status cdcmtk_net_scu_create(const cdcmtk_net_scu_config *config, cdcmtk_net_scu **scu,
                                        cdcmtk_net_error *error);
/// Adds a presentation context to propose (before `connect`): one SOP class, its transfer syntaxes.
cdcmtk_net_status cdcmtk_net_scu_propose(cdcmtk_net_scu *scu, const char *sop_class_uid,
                                         const char *const *transfer_syntaxes, size_t count,
                                         cdcmtk_net_error *error);
/// Opens the association (TCP + A-ASSOCIATE), proposing everything added so far plus Verification.
cdcmtk_net_status cdcmtk_net_scu_connect(cdcmtk_net_scu *scu, cdcmtk_net_error *error);
int cdcmtk_net_scu_is_connected(const cdcmtk_net_scu *scu);
/// Sends one DICOM file with C-STORE on the best accepted context (its own transfer syntax first, otherwise
/// one it converts to). On CDCMTK_NET_OK, `dimse_status` holds the peer's C-STORE-RSP status.
cdcmtk_net_status cdcmtk_net_scu_store_file(cdcmtk_net_scu *scu, const char *path, const char *sop_class_uid,
                                            const char *transfer_syntax_uid, uint16_t *dimse_status,
                                            cdcmtk_net_error *error);
/// C-ECHO on an open association; on CDCMTK_NET_OK the peer answered.
cdcmtk_net_status cdcmtk_net_scu_echo(cdcmtk_net_scu *scu, cdcmtk_net_error *error);
/// A-RELEASE (or abort when release fails) and frees the handle.
void cdcmtk_net_scu_free(cdcmtk_net_scu *scu);

#ifdef __cplusplus
}
#endif

#endif
