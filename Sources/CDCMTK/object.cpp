// Objects: load/save (file and memory), attributes, raw element access, pixel decode and native bytes.
#include "bridge_internal.h"

#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcostrmf.h>
#include <dcmtk/dcmdata/dcwcache.h>
#include <dcmtk/dcmdata/dcrlerp.h>
#include <dcmtk/dcmjpeg/djrplol.h>
#include <dcmtk/dcmjpls/djrparam.h>

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using cdcmtk::fail;
using cdcmtk::failCondition;
using cdcmtk::openForOverwrite;

namespace {

/// Runs `body`, turning any C++ exception into CDCMTK_INTERNAL (nothing may unwind into Swift).
template <typename Body>
int guarded(cdcmtk_error *error, Body body) {
    try {
        return body();
    } catch (const std::exception &exception) {
        return fail(error, CDCMTK_INTERNAL, std::string("DCMTK threw: ") + exception.what());
    } catch (...) {
        return fail(error, CDCMTK_INTERNAL, "DCMTK threw an unknown exception");
    }
}

std::string syntaxDescription(E_TransferSyntax syntax) {
    DcmXfer xfer(syntax);
    return std::string(xfer.getXferName()) + " (" + xfer.getXferID() + ")";
}

/// Group 0002 lives in the meta header, everything else in the dataset.
DcmItem *itemFor(const cdcmtk_object *object, uint16_t group) {
    DcmFileFormat &file = const_cast<DcmFileFormat &>(object->file);
    if (group == 0x0002) return file.getMetaInfo();
    return file.getDataset();
}

bool isJPEG2000(E_TransferSyntax syntax) {
    return syntax == EXS_JPEG2000LosslessOnly || syntax == EXS_JPEG2000 ||
           syntax == EXS_JPEG2000MulticomponentLosslessOnly || syntax == EXS_JPEG2000Multicomponent;
}

int finishLoad(cdcmtk_object *object, cdcmtk_error *error, const std::string &what) {
    DcmDataset *dataset = object->file.getDataset();
    OFCondition condition = object->file.loadAllDataIntoMemory();
    if (condition.bad()) return failCondition(error, CDCMTK_READ_FAILED, what + " could not be read fully", condition);
    if (dataset->card() == 0) {
        return fail(error, CDCMTK_READ_FAILED, what + " holds no DICOM data elements; it is not a DICOM object");
    }
    E_TransferSyntax syntax = dataset->getOriginalXfer();
    if (syntax == EXS_Unknown) syntax = EXS_LittleEndianExplicit;
    object->xfer = syntax;
    return CDCMTK_OK;
}

/// Representation parameters for the lossless encoders this bridge writes.
std::unique_ptr<DcmRepresentationParameter> parameterFor(E_TransferSyntax syntax) {
    switch (syntax) {
    case EXS_JPEGProcess14SV1: return std::unique_ptr<DcmRepresentationParameter>(new DJ_RPLossless(1, 0));
    case EXS_JPEGProcess14: return std::unique_ptr<DcmRepresentationParameter>(new DJ_RPLossless(1, 0));
    case EXS_JPEGLSLossless: return std::unique_ptr<DcmRepresentationParameter>(new DJLSRepresentationParameter(0, OFTrue));
    case EXS_RLELossless: return std::unique_ptr<DcmRepresentationParameter>(new DcmRLERepresentationParameter());
    default: return nullptr;
    }
}

/// Brings the dataset into a state `target` can be written from: decodes if needed, encodes lossless
/// targets. Leaves `object->xfer` describing the in-memory (native or original) data.
int prepareForWriting(cdcmtk_object *object, E_TransferSyntax target, cdcmtk_error *error) {
    DcmDataset *dataset = object->file.getDataset();
    if (object->xfer == target) return CDCMTK_OK;
    DcmXfer from(object->xfer), to(target);
    if (from.isEncapsulated()) {
        int status = cdcmtk_decode_to_native(object, error);
        if (status != CDCMTK_OK) return status;
    }
    if (to.isEncapsulated() && dataset->tagExists(DCM_PixelData)) {
        if (!DcmCodecList::canChangeCoding(EXS_LittleEndianExplicit, target)) {
            return fail(error, CDCMTK_UNSUPPORTED_SYNTAX,
                        "no encoder for " + syntaxDescription(target) +
                            "; write Explicit VR Little Endian, JPEG Lossless SV1, JPEG-LS Lossless or RLE instead");
        }
        std::unique_ptr<DcmRepresentationParameter> parameter = parameterFor(target);
        // DCMTK's JPEG encoder appends its own note to Derivation Description while it compresses. These
        // encoders are lossless and the object must leave exactly as it came, so the value is put back.
        OFString derivation;
        const bool hadDerivation = dataset->findAndGetOFStringArray(DCM_DerivationDescription, derivation).good();
        OFCondition condition = dataset->chooseRepresentation(target, parameter.get());
        if (hadDerivation) {
            dataset->putAndInsertOFStringArray(DCM_DerivationDescription, derivation);
        } else {
            delete dataset->remove(DCM_DerivationDescription);
        }
        if (condition.bad() || !dataset->canWriteXfer(target, EXS_LittleEndianExplicit)) {
            return failCondition(error, CDCMTK_WRITE_FAILED, "encoding pixel data as " + syntaxDescription(target) +
                                 " failed; check the Image Pixel attributes", condition);
        }
        return CDCMTK_OK;
    }
    OFCondition condition = dataset->chooseRepresentation(target, nullptr);
    if (condition.bad() || !dataset->canWriteXfer(target, object->xfer)) {
        return failCondition(error, CDCMTK_WRITE_FAILED, "cannot convert the dataset to " + syntaxDescription(target),
                             condition);
    }
    return CDCMTK_OK;
}

/// After writing an encapsulated copy, go back to the native representation the object holds.
void restoreNative(cdcmtk_object *object, E_TransferSyntax written) {
    if (!DcmXfer(written).isEncapsulated() || DcmXfer(object->xfer).isEncapsulated()) return;
    DcmDataset *dataset = object->file.getDataset();
    dataset->chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
    dataset->removeAllButCurrentRepresentations();
}

int targetSyntax(const char *uid, E_TransferSyntax &syntax, cdcmtk_error *error) {
    if (uid == nullptr) return fail(error, CDCMTK_INVALID_ARGUMENT, "no transfer syntax UID given");
    DcmXfer xfer(uid);
    if (xfer.getXfer() == EXS_Unknown) {
        return fail(error, CDCMTK_UNSUPPORTED_SYNTAX,
                    std::string("transfer syntax ") + uid + " is unknown to DCMTK; choose another one to write");
    }
    syntax = xfer.getXfer();
    return CDCMTK_OK;
}

}  // namespace

// MARK: - Lifetime

extern "C" cdcmtk_object *cdcmtk_object_create(void) {
    try {
        return new cdcmtk_object();
    } catch (...) {
        return nullptr;
    }
}

extern "C" cdcmtk_object *cdcmtk_object_load_file(const char *path, cdcmtk_error *error) {
    cdcmtk_object *result = nullptr;
    guarded(error, [&]() -> int {
        struct stat info;
        if (path == nullptr || stat(path, &info) != 0) return fail(error, CDCMTK_READ_FAILED, "the file does not exist or cannot be read");
        if (!S_ISREG(info.st_mode)) return fail(error, CDCMTK_READ_FAILED, "the path is not a regular file");
        if (info.st_size == 0) return fail(error, CDCMTK_READ_FAILED, "the file is empty (0 bytes); it is not a DICOM object");
        std::unique_ptr<cdcmtk_object> object(new cdcmtk_object());
        OFCondition condition = object->file.loadFile(OFFilename(path), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
        if (condition.bad()) return failCondition(error, CDCMTK_READ_FAILED, "DCMTK could not parse the file", condition);
        int status = finishLoad(object.get(), error, "the file");
        if (status != CDCMTK_OK) return status;
        result = object.release();
        return CDCMTK_OK;
    });
    return result;
}

extern "C" cdcmtk_object *cdcmtk_object_load_buffer(const uint8_t *bytes, size_t length, cdcmtk_error *error) {
    cdcmtk_object *result = nullptr;
    guarded(error, [&]() -> int {
        if (bytes == nullptr || length == 0) return fail(error, CDCMTK_READ_FAILED, "the buffer is empty (0 bytes); it is not a DICOM object");
        std::unique_ptr<cdcmtk_object> object(new cdcmtk_object());
        DcmInputBufferStream stream;
        stream.setBuffer(bytes, static_cast<offile_off_t>(length));
        stream.setEos();
        object->file.transferInit();
        OFCondition condition = object->file.read(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
        object->file.transferEnd();
        if (condition.bad()) return failCondition(error, CDCMTK_READ_FAILED, "DCMTK could not parse the buffer", condition);
        int status = finishLoad(object.get(), error, "the buffer");
        if (status != CDCMTK_OK) return status;
        result = object.release();
        return CDCMTK_OK;
    });
    return result;
}

extern "C" cdcmtk_object *cdcmtk_object_clone(const cdcmtk_object *object, cdcmtk_error *error) {
    cdcmtk_object *result = nullptr;
    guarded(error, [&]() -> int {
        result = new cdcmtk_object(*object);
        return CDCMTK_OK;
    });
    return result;
}

extern "C" void cdcmtk_object_free(cdcmtk_object *object) { delete object; }

// MARK: - Writing

extern "C" int cdcmtk_object_save_file(cdcmtk_object *object, const char *path, const char *transfer_syntax_uid,
                                       int do_fsync, cdcmtk_error *error) {
    return guarded(error, [&]() -> int {
        E_TransferSyntax target;
        int status = targetSyntax(transfer_syntax_uid, target, error);
        if (status != CDCMTK_OK) return status;
        status = prepareForWriting(object, target, error);
        if (status != CDCMTK_OK) return status;
        // What DcmFileFormat::saveFile writes, with one difference: a file that exists already (a recycled spool
        // file, an earlier output) is written over in place and cut to the new length (`openForOverwrite`).
        int kept = -1;
        FILE *stdio = openForOverwrite(path, 0666, kept);
        if (stdio == nullptr) {
            const int code = errno;
            restoreNative(object, target);
            return fail(error, CDCMTK_WRITE_FAILED, std::string("cannot open the file for writing (") + strerror(code) +
                                                        "); check the directory exists and is writable");
        }
        OFCondition condition;
        offile_off_t length = 0;
        {
            DcmOutputFileStream stream(stdio);  // closes `stdio` (not `kept`) when it goes
            DcmWriteCache cache;
            object->file.transferInit();
            condition = object->file.write(stream, target, EET_ExplicitLength, &cache, EGL_recalcGL, EPD_noChange, 0, 0, 0,
                                           EWM_updateMeta);
            object->file.transferEnd();
            stream.flush();
            length = stream.tell();
            if (condition.good() && !stream.good()) condition = stream.status();
        }
        restoreNative(object, target);
        if (condition.bad()) {
            close(kept);
            return failCondition(error, CDCMTK_WRITE_FAILED, "writing the file failed; check the directory exists and is writable", condition);
        }
        if (ftruncate(kept, off_t(length)) != 0 || (do_fsync && fsync(kept) != 0)) {
            const int code = errno;
            close(kept);
            return fail(error, CDCMTK_WRITE_FAILED, std::string("finishing the written file failed: ") + strerror(code));
        }
        close(kept);
        return CDCMTK_OK;
    });
}

extern "C" int cdcmtk_object_save_buffer(cdcmtk_object *object, const char *transfer_syntax_uid, uint8_t **bytes,
                                         size_t *length, cdcmtk_error *error) {
    return guarded(error, [&]() -> int {
        E_TransferSyntax target;
        int status = targetSyntax(transfer_syntax_uid, target, error);
        if (status != CDCMTK_OK) return status;
        status = prepareForWriting(object, target, error);
        if (status != CDCMTK_OK) return status;
        object->file.validateMetaInfo(target, EWM_updateMeta);

        std::vector<uint8_t> output;
        std::vector<uint8_t> chunk(1 << 20);
        DcmOutputBufferStream stream(chunk.data(), static_cast<offile_off_t>(chunk.size()));
        object->file.transferInit();
        OFCondition condition = EC_StreamNotifyClient;
        while (condition == EC_StreamNotifyClient) {
            condition = object->file.write(stream, target, EET_ExplicitLength, nullptr, EGL_recalcGL, EPD_noChange);
            if (condition.good()) stream.flush();
            if (condition.good() || condition == EC_StreamNotifyClient) {
                void *written = nullptr;
                offile_off_t count = 0;
                stream.flushBuffer(written, count);
                if (count > 0) {
                    const uint8_t *start = static_cast<const uint8_t *>(written);
                    output.insert(output.end(), start, start + count);
                }
            }
        }
        object->file.transferEnd();
        restoreNative(object, target);
        if (condition.bad()) return failCondition(error, CDCMTK_WRITE_FAILED, "serialising the object failed", condition);
        uint8_t *copy = static_cast<uint8_t *>(malloc(output.empty() ? 1 : output.size()));
        if (copy == nullptr) return fail(error, CDCMTK_INTERNAL, "out of memory serialising the object");
        if (!output.empty()) std::memcpy(copy, output.data(), output.size());
        *bytes = copy;
        *length = output.size();
        return CDCMTK_OK;
    });
}

// MARK: - Transfer syntax

extern "C" int cdcmtk_object_transfer_syntax(const cdcmtk_object *object, char **uid, cdcmtk_error *error) {
    *uid = cdcmtk::duplicate(DcmXfer(object->xfer).getXferID());
    return *uid == nullptr ? fail(error, CDCMTK_INTERNAL, "out of memory") : CDCMTK_OK;
}

extern "C" int cdcmtk_transfer_syntax_info(const char *uid, char **name, int *is_encapsulated, int *is_lossy,
                                           int *is_known) {
    DcmXfer xfer(uid);
    *is_known = xfer.getXfer() != EXS_Unknown;
    *name = cdcmtk::duplicate(*is_known ? xfer.getXferName() : "Unknown Transfer Syntax");
    *is_encapsulated = xfer.isEncapsulated();
    *is_lossy = *is_known && xfer.isEncapsulated() && xfer.isLossy();
    return CDCMTK_OK;
}

// MARK: - Attributes

extern "C" int cdcmtk_get_string(const cdcmtk_object *object, uint16_t group, uint16_t element, char **value) {
    try {
        OFString text;
        DcmElement *found = nullptr;
        DcmItem *item = itemFor(object, group);
        if (item->findAndGetElement(DcmTagKey(group, element), found, OFFalse).bad() || found == nullptr) return CDCMTK_NOT_FOUND;
        if (found->ident() == EVR_SQ || found->ident() == EVR_PixelData) return CDCMTK_NOT_FOUND;
        if (found->getLength() == 0) {
            *value = cdcmtk::duplicate("");
            return CDCMTK_OK;
        }
        if (found->getOFStringArray(text).bad()) return CDCMTK_NOT_FOUND;
        *value = cdcmtk::duplicate(text.c_str());
        return *value == nullptr ? CDCMTK_INTERNAL : CDCMTK_OK;
    } catch (...) {
        return CDCMTK_INTERNAL;
    }
}

extern "C" int cdcmtk_set_string(cdcmtk_object *object, uint16_t group, uint16_t element, const char *vr,
                                 const char *value, cdcmtk_error *error) {
    return guarded(error, [&]() -> int {
        DcmItem *item = itemFor(object, group);
        DcmTagKey key(group, element);
        if (value == nullptr) {
            item->findAndDeleteElement(key, OFFalse, OFFalse);
            return CDCMTK_OK;
        }
        OFCondition condition;
        if (value[0] == '\0') {
            // An empty value (type 2 attributes, empty sequences): works for every VR, SQ included.
            condition = item->insertEmptyElement(vr != nullptr ? DcmTag(key, DcmVR(vr)) : DcmTag(key), OFTrue);
        } else if (vr != nullptr) {
            DcmTag tag(key, DcmVR(vr));
            DcmElement *created = nullptr;
            condition = DcmItem::newDicomElementWithVR(created, tag);
            if (condition.good() && created != nullptr) {
                condition = created->putString(value);
                if (condition.good()) condition = item->insert(created, OFTrue);
                else delete created;
            }
        } else {
            condition = item->putAndInsertString(DcmTag(key), value, OFTrue);
        }
        if (condition.bad()) return failCondition(error, CDCMTK_INVALID_ARGUMENT, "DCMTK rejected the value for the element", condition);
        return CDCMTK_OK;
    });
}

extern "C" int cdcmtk_get_raw(const cdcmtk_object *object, uint16_t group, uint16_t element, uint8_t **bytes,
                              size_t *length, char vr[3]) {
    try {
        DcmElement *found = nullptr;
        DcmItem *item = itemFor(object, group);
        if (item->findAndGetElement(DcmTagKey(group, element), found, OFFalse).bad() || found == nullptr) return CDCMTK_NOT_FOUND;
        if (found->ident() == EVR_SQ) return CDCMTK_NOT_FOUND;
        // DCMTK calls an unknown VR "??" internally; on the wire (and to callers) it is UN.
        const DcmEVR evr = found->getVR();
        const char *name = (evr == EVR_UNKNOWN || evr == EVR_UNKNOWN2B) ? "UN" : DcmVR(evr).getVRName();
        vr[0] = name[0];
        vr[1] = name[0] ? name[1] : '\0';
        vr[2] = '\0';
        const Uint32 count = found->getLength();
        *length = count;
        *bytes = nullptr;
        if (count == 0) return CDCMTK_OK;
        uint8_t *copy = static_cast<uint8_t *>(malloc(count));
        if (copy == nullptr) return CDCMTK_INTERNAL;
        if (found->getPartialValue(copy, 0, count, nullptr, EBO_LittleEndian).bad()) {
            free(copy);
            return CDCMTK_INTERNAL;
        }
        *bytes = copy;
        return CDCMTK_OK;
    } catch (...) {
        return CDCMTK_INTERNAL;
    }
}

extern "C" int cdcmtk_set_raw(cdcmtk_object *object, uint16_t group, uint16_t element, const char *vr,
                              const uint8_t *bytes, size_t length, cdcmtk_error *error) {
    return guarded(error, [&]() -> int {
        if (vr == nullptr) return fail(error, CDCMTK_INVALID_ARGUMENT, "no VR given");
        DcmVR parsed(vr);
        if (parsed.getEVR() == EVR_UNKNOWN || parsed.getEVR() == EVR_SQ) {
            return fail(error, CDCMTK_INVALID_ARGUMENT, std::string("VR ") + vr + " cannot carry raw bytes; use OB or a string VR");
        }
        if (length > 0xFFFFFFF0u) return fail(error, CDCMTK_INVALID_ARGUMENT, "value too long for a DICOM element");
        DcmTag tag(DcmTagKey(group, element), parsed);
        DcmElement *created = nullptr;
        OFCondition condition = DcmItem::newDicomElementWithVR(created, tag);
        if (condition.bad() || created == nullptr) return failCondition(error, CDCMTK_INVALID_ARGUMENT, "cannot create the element", condition);
        std::unique_ptr<DcmElement> owned(created);
        const Uint32 count = static_cast<Uint32>(length);
        switch (parsed.getEVR()) {
        case EVR_OB: case EVR_UN:
            condition = created->putUint8Array(bytes, count);
            break;
        case EVR_OW: case EVR_US:
            if (count % 2) return fail(error, CDCMTK_INVALID_ARGUMENT, "OW/US values need an even byte count");
            { std::vector<Uint16> words(count / 2); if (count) std::memcpy(words.data(), bytes, count);
              condition = created->putUint16Array(words.data(), count / 2); }
            break;
        case EVR_AT:  // pairs of 16-bit words (group, element); DCMTK counts tags, not words
            if (count % 4) return fail(error, CDCMTK_INVALID_ARGUMENT, "AT values need a byte count divisible by 4");
            { std::vector<Uint16> words(count / 2); if (count) std::memcpy(words.data(), bytes, count);
              condition = created->putUint16Array(words.data(), count / 4); }
            break;
        case EVR_SS:
            if (count % 2) return fail(error, CDCMTK_INVALID_ARGUMENT, "SS values need an even byte count");
            { std::vector<Sint16> words(count / 2); if (count) std::memcpy(words.data(), bytes, count);
              condition = created->putSint16Array(words.data(), count / 2); }
            break;
        case EVR_UL: case EVR_OL:
            if (count % 4) return fail(error, CDCMTK_INVALID_ARGUMENT, "UL/OL values need a byte count divisible by 4");
            { std::vector<Uint32> words(count / 4); if (count) std::memcpy(words.data(), bytes, count);
              condition = created->putUint32Array(words.data(), count / 4); }
            break;
        case EVR_SL:
            if (count % 4) return fail(error, CDCMTK_INVALID_ARGUMENT, "SL values need a byte count divisible by 4");
            { std::vector<Sint32> words(count / 4); if (count) std::memcpy(words.data(), bytes, count);
              condition = created->putSint32Array(words.data(), count / 4); }
            break;
        case EVR_FD: case EVR_OD:
            if (count % 8) return fail(error, CDCMTK_INVALID_ARGUMENT, "FD/OD values need a byte count divisible by 8");
            { std::vector<Float64> words(count / 8); if (count) std::memcpy(words.data(), bytes, count);
              condition = created->putFloat64Array(words.data(), count / 8); }
            break;
        default:
            if (!created->isaString()) return fail(error, CDCMTK_INVALID_ARGUMENT, std::string("VR ") + vr + " is not supported for raw values; use OB");
            condition = created->putString(reinterpret_cast<const char *>(bytes), count);
            break;
        }
        if (condition.bad()) return failCondition(error, CDCMTK_INVALID_ARGUMENT, "DCMTK rejected the raw value", condition);
        condition = itemFor(object, group)->insert(owned.release(), OFTrue);
        if (condition.bad()) return failCondition(error, CDCMTK_INTERNAL, "inserting the element failed", condition);
        return CDCMTK_OK;
    });
}

extern "C" int cdcmtk_remove(cdcmtk_object *object, uint16_t group, uint16_t element) {
    try {
        itemFor(object, group)->findAndDeleteElement(DcmTagKey(group, element), OFFalse, OFFalse);
        return CDCMTK_OK;
    } catch (...) {
        return CDCMTK_INTERNAL;
    }
}

extern "C" int cdcmtk_list_tags(const cdcmtk_object *object, uint32_t **tags, size_t *count) {
    try {
        DcmDataset *dataset = const_cast<DcmFileFormat &>(object->file).getDataset();
        const unsigned long cardinality = dataset->card();
        uint32_t *list = static_cast<uint32_t *>(malloc(sizeof(uint32_t) * (cardinality ? cardinality : 1)));
        if (list == nullptr) return CDCMTK_INTERNAL;
        for (unsigned long index = 0; index < cardinality; ++index) {
            DcmElement *element = dataset->getElement(index);
            list[index] = element == nullptr ? 0 : (uint32_t(element->getGTag()) << 16) | element->getETag();
        }
        *tags = list;
        *count = cardinality;
        return CDCMTK_OK;
    } catch (...) {
        return CDCMTK_INTERNAL;
    }
}

// MARK: - Pixel data

extern "C" int cdcmtk_has_pixel_data(const cdcmtk_object *object) {
    return const_cast<DcmFileFormat &>(object->file).getDataset()->tagExists(DCM_PixelData) ? 1 : 0;
}

extern "C" int cdcmtk_decode_to_native(cdcmtk_object *object, cdcmtk_error *error) {
    return guarded(error, [&]() -> int {
        DcmDataset *dataset = object->file.getDataset();
        DcmXfer from(object->xfer);
        if (from.isEncapsulated() && dataset->tagExists(DCM_PixelData)) {
            if (isJPEG2000(object->xfer)) {
                int status = cdcmtk::decodeJPEG2000(object, error);
                if (status != CDCMTK_OK) return status;
            } else {
                if (!DcmCodecList::canChangeCoding(object->xfer, EXS_LittleEndianExplicit)) {
                    return fail(error, CDCMTK_UNSUPPORTED_SYNTAX,
                                "no decoder for " + syntaxDescription(object->xfer) +
                                    "; convert the object to an uncompressed or supported syntax before sending it");
                }
                OFCondition condition = dataset->chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
                if (condition.bad() || !dataset->canWriteXfer(EXS_LittleEndianExplicit, object->xfer)) {
                    return failCondition(error, CDCMTK_DECODE_FAILED, "decoding " + syntaxDescription(object->xfer) +
                                         " failed; the compressed pixel data is corrupt or inconsistent with its attributes", condition);
                }
            }
        } else {
            OFCondition condition = dataset->chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
            if (condition.bad()) return failCondition(error, CDCMTK_DECODE_FAILED, "converting to Explicit VR Little Endian failed", condition);
        }
        dataset->removeAllButCurrentRepresentations();
        object->xfer = EXS_LittleEndianExplicit;
        return CDCMTK_OK;
    });
}

extern "C" int cdcmtk_pixel_bytes(cdcmtk_object *object, const uint8_t **bytes, size_t *length, cdcmtk_error *error) {
    return guarded(error, [&]() -> int {
        DcmDataset *dataset = object->file.getDataset();
        DcmElement *element = nullptr;
        if (dataset->findAndGetElement(DCM_PixelData, element, OFFalse).bad() || element == nullptr) {
            return fail(error, CDCMTK_NO_PIXEL_DATA, "the object has no Pixel Data");
        }
        if (DcmXfer(object->xfer).isEncapsulated()) {
            return fail(error, CDCMTK_UNSUPPORTED_SYNTAX, "the Pixel Data is still encapsulated in " +
                        syntaxDescription(object->xfer) + "; decode it to native first");
        }
        *length = element->getLength();
        if (*length == 0) {
            *bytes = nullptr;
            return CDCMTK_OK;
        }
        OFCondition condition;
        if (element->getVR() == EVR_OW) {
            Uint16 *words = nullptr;
            condition = element->getUint16Array(words);  // in local (little-endian) byte order
            *bytes = reinterpret_cast<const uint8_t *>(words);
        } else {
            Uint8 *octets = nullptr;
            condition = element->getUint8Array(octets);
            *bytes = octets;
        }
        if (condition.bad() || *bytes == nullptr) return failCondition(error, CDCMTK_INTERNAL, "reading the native Pixel Data failed", condition);
        return CDCMTK_OK;
    });
}

extern "C" int cdcmtk_create_pixel_bytes(cdcmtk_object *object, size_t length, int as_words, uint8_t **bytes,
                                         cdcmtk_error *error) {
    return guarded(error, [&]() -> int {
        if (bytes == nullptr) return fail(error, CDCMTK_INVALID_ARGUMENT, "no place for the Pixel Data storage");
        *bytes = nullptr;
        if (as_words && length % 2 != 0) return fail(error, CDCMTK_INVALID_ARGUMENT, "OW Pixel Data needs an even byte count");
        if (length > 0xFFFFFFF0u) return fail(error, CDCMTK_INVALID_ARGUMENT, "Pixel Data too long for one element");
        DcmDataset *dataset = object->file.getDataset();
        dataset->findAndDeleteElement(DCM_PixelData, OFFalse, OFFalse);
        std::unique_ptr<DcmPixelData> pixels(new DcmPixelData(DcmTag(DCM_PixelData, as_words ? EVR_OW : EVR_OB)));
        OFCondition condition;
        uint8_t *storage = nullptr;
        if (as_words) {
            // DCMTK keeps OW values in host byte order; like cdcmtk_pixel_bytes, the bridge assumes a
            // little-endian host, where the caller's little-endian bytes are those values.
            Uint16 *words = nullptr;
            condition = pixels->createUint16Array(static_cast<Uint32>(length / 2), words);
            storage = reinterpret_cast<uint8_t *>(words);
        } else {
            Uint8 *octets = nullptr;
            condition = pixels->createUint8Array(static_cast<Uint32>(length), octets);
            storage = octets;
        }
        if (condition.bad()) return failCondition(error, CDCMTK_INTERNAL, "allocating the native Pixel Data failed", condition);
        if (storage == nullptr && length > 0) return fail(error, CDCMTK_INTERNAL, "DCMTK gave no Pixel Data storage");
        condition = dataset->insert(pixels.release(), OFTrue);
        if (condition.bad()) return failCondition(error, CDCMTK_INTERNAL, "inserting Pixel Data failed", condition);
        if (DcmXfer(object->xfer).isEncapsulated()) object->xfer = EXS_LittleEndianExplicit;
        *bytes = storage;
        return CDCMTK_OK;
    });
}

extern "C" int cdcmtk_set_pixel_bytes(cdcmtk_object *object, const uint8_t *bytes, size_t length, int as_words,
                                      cdcmtk_error *error) {
    if (bytes == nullptr && length > 0) return fail(error, CDCMTK_INVALID_ARGUMENT, "no Pixel Data bytes given");
    uint8_t *storage = nullptr;
    int status = cdcmtk_create_pixel_bytes(object, length, as_words, &storage, error);
    if (status == CDCMTK_OK && length > 0) std::memcpy(storage, bytes, length);
    return status;
}
