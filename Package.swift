// swift-tools-version: 6.0
// qkdgate — an encrypting DICOM store-and-forward gateway.
//
// Module map (one folder each under Sources/; DESIGN.md §2):
//   CDCMTK    thin C++17 bridge over DCMTK with a plain-C API (nothing else sees DCMTK)
//   Pixels    the exact pixel model: PixelBuffer and the native-bytes codec (pure Swift)
//   DICOM     Swift types over the bridge: DicomObject, private blocks, transfer syntaxes
//   Ciphers   pixel ciphers behind one protocol (qkd-hybrid, dcgan-vpd, aes-ctr)
//   DCGAN     generator inference for dcgan-vpd decoy images
//   QKD       BB84 simulator, key pool, ETSI GS QKD 014 KME server and client, OTP key wrap
//   Analysis  security metrics, NIST SP 800-22, PNG plots
//   qkdgate   the command-line executable (parses and dispatches only)
import PackageDescription

/// One settings list for every Swift target (Swift 6 mode is the tools-version default).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "qkdgate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "qkdgate", targets: ["qkdgate"]),
        .executable(name: "analysis-bench", targets: ["AnalysisBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // MARK: DICOM foundation
        .target(
            name: "CDCMTK",
            cxxSettings: [.unsafeFlags(["-Wno-deprecated-declarations"])],
            linkerSettings: [
                // Debian's dcmtk.pc is broken (it requires sndfile), so the libraries are linked by name.
                .linkedLibrary("dcmtls"), .linkedLibrary("dcmnet"), .linkedLibrary("dcmjpeg"),
                .linkedLibrary("dcmjpls"), .linkedLibrary("dcmimgle"), .linkedLibrary("dcmdata"),
                .linkedLibrary("oflog"), .linkedLibrary("ofstd"), .linkedLibrary("openjp2"),
                .linkedLibrary("stdc++"),
            ]
        ),
        .target(name: "Pixels", swiftSettings: swiftSettings),
        .target(
            name: "DICOM",
            dependencies: ["CDCMTK", "Pixels", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        // MARK: Ciphers
        .target(
            name: "Ciphers",
            dependencies: [
                "Pixels",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // DCGAN depends on Ciphers only for the `DecoySource` protocol it implements; Ciphers stays free of it.
        .target(
            name: "DCGAN",
            dependencies: ["Ciphers"],
            exclude: ["Resources/golden.bin"],
            resources: [.copy("Resources/generator.qdcg")],
            swiftSettings: swiftSettings
        ),

        // MARK: Key management
        .target(
            name: "QKD",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Store-and-forward
        .target(
            name: "Relay",
            dependencies: [
                "CDCMTK",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "Relay", "DICOM", "Ciphers", "Protection", "QKD",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Decryptor",
            dependencies: [
                "Relay", "Gateway", "DICOM", "Protection", "QKD",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Demo",
            dependencies: [
                "DICOM", "Relay", "Gateway", "Protection",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Whole-object protection (one implementation of the on-the-wire format)
        .target(
            name: "Protection",
            dependencies: [
                "DICOM", "Ciphers", "DCGAN", "QKD",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Analysis
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        .target(name: "Analysis", dependencies: ["Pixels", "Ciphers", "CPNG"], swiftSettings: swiftSettings),
        .executableTarget(name: "AnalysisBench", dependencies: ["Analysis", "Ciphers", "Pixels"], swiftSettings: swiftSettings),

        // MARK: Executable
        .executableTarget(
            name: "qkdgate",
            dependencies: [
                "DICOM", "Pixels", "Ciphers", "DCGAN", "QKD", "Analysis", "Protection", "Relay", "Gateway", "Decryptor", "Demo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        .testTarget(name: "PixelsTests", dependencies: ["Pixels"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DICOMTests",
            dependencies: ["DICOM", "Pixels"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CiphersTests",
            dependencies: ["Ciphers", "Pixels", .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ProtectionTests", dependencies: ["Protection", "DICOM", "Ciphers", "Pixels"], swiftSettings: swiftSettings),
        .testTarget(name: "DCGANTests", dependencies: ["DCGAN", "Ciphers", "Pixels"], swiftSettings: swiftSettings),
        .testTarget(name: "RelayTests", dependencies: ["Relay", .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")], swiftSettings: swiftSettings),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "Relay", "Protection", "Decryptor", "Demo"], exclude: ["Scripts"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AnalysisTests",
            dependencies: ["Analysis", "Pixels", "Ciphers", "DICOM", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QKDTests",
            dependencies: [
                "QKD",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    cxxLanguageStandard: .cxx17
)
