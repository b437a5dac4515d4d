/// DICOM — Swift types over the DCMTK bridge. No DCMTK type leaks past this module.
@_exported public import Pixels
internal import CDCMTK

/// Facts about the DCMTK library this build links.
public enum DCMTKLibrary {
    /// DCMTK's version string, e.g. "3.6.7".
    public static var version: String { String(cString: cdcmtk_version()) }
}
