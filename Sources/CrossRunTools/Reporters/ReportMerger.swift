import CrossRunKit
import CLibXML2
import Foundation
import Glibc

/// Combines JUnit files (for example every binary of one `cargo test` run) into one `<testsuites>` document.
/// libxml2 parses each input and copies its `<testsuite>` elements; the totals are recomputed.
public enum ReportMerger {
    /// The `.xml` (or other `extension`) files among `paths`, where a folder stands for those directly inside it.
    public static func expand(_ paths: [String], extension fileExtension: String = "xml") throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CrossRunError.reportNotReadable(path: path, reason: "no such file or directory")
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix("." + fileExtension) && !$0.hasPrefix(".") }.sorted().map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// What a merge wrote.
    public struct Summary: Equatable, Sendable {
        public var suites: Int
        public var tests: Int
        public var failures: Int
        public var errors: Int
        public var skipped: Int
    }

    /// Merges `inputs` into `output`.
    @discardableResult
    public static func merge(_ inputs: [String], into output: String) throws -> Summary {
        let files = try expand(inputs).filter { ($0 as NSString).standardizingPath != (output as NSString).standardizingPath }
        guard !files.isEmpty else { throw CrossRunError.noReportsToMerge(paths: inputs) }

        guard let document = "1.0".withXMLChars({ xmlNewDoc($0) }) else {
            throw CrossRunError.reportNotWritable(path: output, reason: "libxml2 could not create a document")
        }
        defer { xmlFreeDoc(document) }
        let root = "testsuites".withXMLChars { xmlNewDocNode(document, nil, $0, nil) }
        xmlDocSetRootElement(document, root)
        var totals = (tests: 0, failures: 0, errors: 0, skipped: 0, time: 0.0)
        var suites = 0
        var copies: [xmlNodePtr] = []

        for file in files {
            guard let input = xmlReadFile(file, nil, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_HUGE.rawValue)) else {
                throw CrossRunError.reportNotReadable(path: file, reason: "it is not well-formed XML")
            }
            defer { xmlFreeDoc(input) }
            guard let inputRoot = xmlDocGetRootElement(input) else {
                throw CrossRunError.reportNotReadable(path: file, reason: "it is empty")
            }
            let rootName = name(of: inputRoot)
            var found: [xmlNodePtr] = []
            if rootName == "testsuite" {
                found = [inputRoot]
            } else if rootName == "testsuites" {
                var child = inputRoot.pointee.children
                while let node = child {
                    if node.pointee.type == XML_ELEMENT_NODE, name(of: node) == "testsuite" { found.append(node) }
                    child = node.pointee.next
                }
            } else {
                throw CrossRunError.reportNotReadable(path: file, reason: "its root element is <\(rootName)>, not <testsuites> or <testsuite>")
            }
            for suite in found {
                guard let copy = xmlDocCopyNode(suite, document, 1) else {
                    throw CrossRunError.reportNotWritable(path: output, reason: "libxml2 could not copy a test suite")
                }
                xmlAddChild(root, copy)
                copies.append(copy)
            }
        }
        copies = combinePartitions(copies)
        for suite in copies {
            totals.tests += Int(attribute(suite, "tests") ?? "") ?? 0
            totals.failures += Int(attribute(suite, "failures") ?? "") ?? 0
            totals.errors += Int(attribute(suite, "errors") ?? "") ?? 0
            totals.skipped += Int(attribute(suite, "skipped") ?? "") ?? 0
            totals.time += DurationText.reportedSeconds(Double(attribute(suite, "time") ?? "")) ?? 0
            suites += 1
        }
        distinguishTargets(copies)
        setAttribute(root, "name", "crossrun")
        setAttribute(root, "tests", String(totals.tests))
        setAttribute(root, "failures", String(totals.failures))
        setAttribute(root, "errors", String(totals.errors))
        setAttribute(root, "time", XMLText.seconds(totals.time))

        try AtomicFile.write(to: output) { temporary in
            guard xmlSaveFormatFileEnc(temporary, document, "UTF-8", 1) >= 0 else {
                throw CrossRunError.reportNotWritable(path: output, reason: String(cString: strerror(errno)))
            }
        }
        return Summary(suites: suites, tests: totals.tests, failures: totals.failures, errors: totals.errors, skipped: totals.skipped)
    }

    /// Suites of one binary run in partitions (`--partition`: each carries a `crossrun.partition` property) on
    /// one target become one suite: the first keeps its place and takes the others' test cases, a test case
    /// already there (same classname and name, from overlapping runs) is not added twice, and the counts are
    /// recounted from the test cases. Returns the suites left.
    static func combinePartitions(_ suites: [xmlNodePtr]) -> [xmlNodePtr] {
        var kept: [xmlNodePtr] = []
        var byKey: [String: xmlNodePtr] = [:]
        for suite in suites {
            guard property(of: suite, "crossrun.partition") != nil else {
                kept.append(suite)
                continue
            }
            let key = (attribute(suite, "name") ?? "") + "\u{0}" + (target(of: suite) ?? "")
            guard let into = byKey[key] else {
                byKey[key] = suite
                kept.append(suite)
                continue
            }
            var seen = Set(children(of: into, named: "testcase").map { (attribute($0, "classname") ?? "") + "\u{0}" + (attribute($0, "name") ?? "") })
            for testcase in children(of: suite, named: "testcase") {
                let id = (attribute(testcase, "classname") ?? "") + "\u{0}" + (attribute(testcase, "name") ?? "")
                guard seen.insert(id).inserted else { continue }
                xmlUnlinkNode(testcase)
                xmlAddChild(into, testcase)
            }
            let time = (DurationText.reportedSeconds(Double(attribute(into, "time") ?? "")) ?? 0)
                + (DurationText.reportedSeconds(Double(attribute(suite, "time") ?? "")) ?? 0)
            setAttribute(into, "time", XMLText.seconds(time))
            xmlUnlinkNode(suite)
            xmlFreeNode(suite)
        }
        for suite in byKey.values {
            let cases = children(of: suite, named: "testcase")
            func count(_ element: String) -> Int { cases.filter { !children(of: $0, named: element).isEmpty }.count }
            setAttribute(suite, "tests", String(cases.count))
            setAttribute(suite, "failures", String(count("failure")))
            setAttribute(suite, "errors", String(count("error")))
            setAttribute(suite, "skipped", String(count("skipped")))
            for properties in children(of: suite, named: "properties") {
                for node in children(of: properties, named: "property") where attribute(node, "name") == "crossrun.partition" {
                    setAttribute(node, "value", "merged")
                }
            }
        }
        return kept
    }

    /// The same crate tested for several targets gives suites with the same name and test cases with the same
    /// classname and name, and GitLab keeps only the first of such pairs. Those suites and their classnames get
    /// their target added: `crossrun_demo (aarch64)`, `crossrun_demo::tests (aarch64)`.
    static func distinguishTargets(_ suites: [xmlNodePtr]) {
        let named = suites.map { (node: $0, name: attribute($0, "name") ?? "", target: target(of: $0)) }
        let clashing = Dictionary(grouping: named, by: \.name).filter { Set($0.value.map(\.target)).count > 1 }
        for suite in clashing.values.joined() {
            guard let target = suite.target else { continue }
            setAttribute(suite.node, "name", "\(suite.name) (\(target))")
            for testcase in children(of: suite.node, named: "testcase") {
                setAttribute(testcase, "classname", "\(attribute(testcase, "classname") ?? suite.name) (\(target))")
            }
        }
    }

    /// The `crossrun.target` property crossrun writes into each suite.
    static func target(of suite: xmlNodePtr) -> String? { property(of: suite, "crossrun.target") }

    /// A suite's `<properties><property name=... value=...>` value.
    static func property(of suite: xmlNodePtr, _ wanted: String) -> String? {
        for properties in children(of: suite, named: "properties") {
            for property in children(of: properties, named: "property") where attribute(property, "name") == wanted {
                return attribute(property, "value")
            }
        }
        return nil
    }

    static func children(of node: xmlNodePtr, named wanted: String) -> [xmlNodePtr] {
        var result: [xmlNodePtr] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE, name(of: current) == wanted { result.append(current) }
            child = current.pointee.next
        }
        return result
    }

    private static func name(of node: xmlNodePtr) -> String {
        node.pointee.name.map { String(cString: $0) } ?? ""
    }

    private static func attribute(_ node: xmlNodePtr, _ name: String) -> String? {
        guard let value = name.withXMLChars({ xmlGetProp(node, $0) }) else { return nil }
        defer { free(value) }  // libxml2's default xmlFree
        return String(cString: value)
    }

    private static func setAttribute(_ node: xmlNodePtr?, _ name: String, _ value: String) {
        name.withXMLChars { namePointer in
            value.withXMLChars { _ = xmlSetProp(node, namePointer, $0) }
        }
    }
}

extension String {
    /// libxml2 takes `const xmlChar *` (unsigned char); Swift strings convert to `const char *` only.
    fileprivate func withXMLChars<R>(_ body: (UnsafePointer<xmlChar>) -> R) -> R {
        withCString { pointer in
            pointer.withMemoryRebound(to: xmlChar.self, capacity: utf8.count + 1) { body($0) }
        }
    }
}
