import Foundation
import Testing

@testable import LogdashEngine

@Suite struct LookupTableTests {
    func load(_ text: String, suffix: String = "csv") throws -> ResultSet {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lookup-\(UUID().uuidString).\(suffix)")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try LookupTable.load(name: "t", path: url.path)
    }

    @Test func csvFieldsKeepQuotesCommasNewlinesAndCarriageReturnsAsRFC4180Says() throws {
        let t = try load("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n\n\"\",,\"q\"tail\r\nplain\r,\"\"\"\",last")
        #expect(t.columns == ["a", "b", "c"])
        #expect(t.rows == [
            [.string("x, y"), .string("say \"hi\""), .string("two\nlines")],
            [.string(""), .null, .string("qtail")],
            [.string("plain\r"), .string("\""), .string("last")],
        ])
    }

    @Test func aCarriageReturnThatEndsTheFileEndsTheLastField() throws {
        #expect(try load("a,b\n1,\"x\"\r").rows == [[.int(1), .string("x")]])
        #expect(try load("a,b\n1,\"x\"tail\r").rows == [[.int(1), .string("xtail")]])
        #expect(try load("a,b\n1,x\r").rows == [[.int(1), .string("x")]])
    }

    @Test func columnTypesComeFromEveryValueAndEmptyFieldsAreNull() throws {
        let t = try load("n,x,b,s,big,e\n1,1.5,TRUE,7,9223372036854775807,\n-2,2,false,x,9223372036854775808,\n+3,,true,8,1,\n")
        #expect(t.rows == [
            [.int(1), .double(1.5), .bool(true), .string("7"), .double(9.223372036854775808e18), .null],
            [.int(-2), .double(2), .bool(false), .string("x"), .double(9.223372036854775808e18), .null],
            [.int(3), .null, .bool(true), .string("8"), .double(1), .null],
        ])
    }

    @Test func aNameTheHeaderGivesTwiceIsKeptApart() throws {
        let t = try load("user,team,Team\nbob,a,b\n")
        #expect(t.columns == ["user", "team", "Team_2"] && t.rows == [[.string("bob"), .string("a"), .string("b")]])
    }

    @Test func tsvNeedsNoQuotesAndUnnamedColumnsAreNumbered() throws {
        let t = try load("code\t\tmeaning\n500\t\"a\"\tserver error\n", suffix: "tsv")
        #expect(t.columns == ["code", "_col1", "meaning"])
        #expect(t.rows == [[.int(500), .string("\"a\""), .string("server error")]])
    }

    @Test func badFilesAreRefusedNamingTheLine() throws {
        #expect(throws: SourceError.self) { try load("a,b\n1,2\n3\n") }
        do { _ = try load("a,b\n1,2\n3\n") } catch { #expect("\(error)".contains("line 3 has 1 fields but the header names 2")) }
        do { _ = try load("a,b\n\"open,2\n") } catch { #expect("\(error)".contains("not closed")) }
        #expect(throws: SourceError.self) { try load("a,b\n\"open,2\n") }
        #expect(throws: SourceError.self) { try load("\n\n") }
    }
}
