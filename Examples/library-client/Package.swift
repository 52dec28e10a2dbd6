// swift-tools-version:6.0
// An example of using crossrun's library, CrossRunKit, from another Swift package (see docs/library.md).
import PackageDescription

let package = Package(
    name: "crossrun-library-client",
    platforms: [.macOS(.v13)],
    dependencies: [
        // crossrun's own package, two folders up. In your project: .package(path:) to a checkout, or .package(url:).
        .package(name: "crossrun", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "crossrun-inspect",
            dependencies: [.product(name: "CrossRunKit", package: "crossrun")]
        ),
    ]
)
