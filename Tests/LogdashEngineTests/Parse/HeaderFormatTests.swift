import Testing
@testable import LogdashEngine

/// Files whose header names their columns: W3C extended logs, Zeek TSV, CSV and TSV.
@Suite struct HeaderFormatTests {
    @Test func aW3CFieldsHeaderNamesTheColumnsAndDateAndTimeMakeTheTime() throws {
        let text = """
            #Software: Microsoft Internet Information Services 10.0
            #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status time-taken
            2026-11-27 14:00:00 10.0.0.2 GET /default.htm - 80 - 10.0.0.7 Mozilla/5.0+(Windows+NT+10.0) 200 15
            2026-11-27 14:00:01 10.0.0.2 POST /api/login a=1 443 ann 10.0.0.8 curl/8.5 500 230

            """
        let (r, s, d) = try parse(text, timezone: LocalZone("Europe/Berlin"))
        #expect(d.format == "w3c" && d.confidence == 1)
        #expect(r.count == 4 && s.unparsed == 0)
        #expect(r[0]["directive"] == .string("Software") && r[1]["directive"] == .string("Fields"))
        #expect(r[2]["ts"]?.description == "2026-11-27T14:00:00.000Z", "W3C times are UTC whatever the source's zone")
        #expect(r[2]["cs_method"] == .string("GET") && r[2]["sc_status"] == .int(200) && r[2]["cs_user_agent"] == .string("Mozilla/5.0+(Windows+NT+10.0)"))
        #expect(r[2]["cs_uri_query"] == nil && r[2]["cs_username"] == nil, "'-' is no value")
        #expect(r[3]["cs_username"] == .string("ann") && r[3]["time_taken"] == .int(230))
    }

    @Test func aZeekLogsFieldsHeaderNamesItsTabSeparatedColumns() throws {
        let text = "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.resp_p\tproto\tservice\tduration\n"
            + "#types\ttime\tstring\taddr\tport\tenum\tstring\tinterval\n"
            + "1795788000.123456\tCk1\t10.0.0.7\t53\tudp\tdns\t0.001\n1795788001.5\tCk2\t10.0.0.8\t443\ttcp\t-\t(empty)\n#close\t2026-11-27-15-00-00\n"
        let (r, s, d) = try parse(text)
        #expect(d.format == "zeek")
        #expect(r.count == 7 && s.unparsed == 0)
        #expect(r[4]["ts"]?.description == "2026-11-27T14:00:00.123456Z" && r[4]["id.orig_h"] == .string("10.0.0.7") && r[4]["id.resp_p"] == .int(53))
        #expect(r[5]["service"] == nil && r[5]["duration"] == nil, "'-' and '(empty)' are no value")
    }

    @Test func aCSVHeaderNamesTheColumnsAndQuotedCommasStayInTheirCell() throws {
        let text = "time,level,user,message\n2026-11-27T14:00:00Z,info,ann,\"logged in, twice\"\n2026-11-27T14:00:01Z,error,bob,denied\n"
        let (r, _, d) = try parse(text)
        #expect(d.format == "csv")
        #expect(r[0]["directive"] == .string("header"))
        #expect(r[1]["ts"]?.description == "2026-11-27T14:00:00.000Z" && r[1]["message"] == .string("logged in, twice") && r[1]["user"] == .string("ann"))
        #expect(r[2]["level"] == .string("error"))
        let tsv = try parse("ts\thost\tbytes\n1795788000\tweb-1\t512\n1795788001\tweb-2\t7\n")
        #expect(tsv.detection.format == "tsv" && tsv.records[2]["bytes"] == .int(7) && tsv.records[1]["host"] == .string("web-1"))
    }

    /// Event Viewer's "Save All Events As…" CSV: its "Date and Time" (US, 12-hour) and "Level" columns.
    @Test func aWindowsEventLogExportedAsCSVHasItsTimesAndLevels() throws {
        let text = "Level,Date and Time,Source,Event ID,Task Category,Message\n"
            + "Information,11/27/2026 2:00:00 PM,Service Control Manager,7036,None,\"The Windows Update service entered the running state.\"\n"
            + "Error,11/27/2026 2:05:10 PM,Application Error,1000,(100),\"Faulting application name: app.exe, version 1.0\"\n"
        let (r, _, d) = try parse(text)
        #expect(d.format == "csv")
        #expect(r.dropFirst().map { $0["ts"]?.description ?? "-" } == ["2026-11-27T14:00:00.000Z", "2026-11-27T14:05:10.000Z"])
        #expect(r.dropFirst().map { $0["level"]?.description ?? "-" } == ["info", "error"])
        #expect(r[2]["event_id"] == .int(1000) && r[2]["message"] == .string("Faulting application name: app.exe, version 1.0"))
    }

    /// Prose with commas is not a CSV file; `--format csv` on a source without a header is an error.
    @Test func proseIsNotCSVAndAForcedHeaderFormatNeedsItsHeader() throws {
        let (_, _, d) = try parse("Hello, world, again\n2026-11-27 14:00:00 INFO started, port 80\n")
        #expect(d.format != "csv")
        #expect(throws: ParseError.noHeader("w3c")) { try parse("2026-11-27 14:00:00 x\n", format: "w3c") }
    }
}
