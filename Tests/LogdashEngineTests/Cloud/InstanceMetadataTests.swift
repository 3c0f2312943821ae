import Foundation
import Scratch
import Testing
@testable import LogdashEngine

/// The credential chain's last link (issue 26): an instance role's credentials from the EC2
/// instance metadata service, version 2, against a loopback service that refuses any request
/// without the session token it handed out.
@Suite struct InstanceMetadataTests {
    func environment(_ imds: String, _ extra: [String: String] = [:]) throws -> AWSEnvironment {
        AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds].merging(extra) { $1 },
                       home: try Scratch.directory("imds-home").path)
    }

    @Test func withNoKeysAnywhereTheInstanceRolesCredentialsAreTakenThroughATokenedSession() async throws {
        let imds = try LoopbackIMDS()
        let c = try await environment(imds.endpoint).credentials()
        #expect(c.accessKey == "ASIA1" && c.secretKey == "secret-1" && c.sessionToken == "session-1", "\(c)")
        #expect(c.origin == "instance role logdash-role (IMDSv2)")
        #expect(c.expiration.map { $0.timeIntervalSinceNow > 21000 } == true)
        // Keys in the environment come first: the service is not asked.
        let keys = try await environment(imds.endpoint, ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"]).credentials()
        #expect(keys.accessKey == "AKID")
        #expect(try await environment(imds.endpoint).credentials().accessKey == "ASIA2")
    }

    @Test func credentialsAboutToExpireAreRenewedBeforeASignature() async throws {
        let imds = try LoopbackIMDS(expiresIn: 120)  // inside the five minutes before expiry
        let source = try await environment(imds.endpoint).credentialSource()
        #expect(source.now.accessKey == "ASIA1")
        #expect(try await source.current().accessKey == "ASIA2")
        #expect(source.now.accessKey == "ASIA2")
        let lasting = try LoopbackIMDS()
        let kept = try await environment(lasting.endpoint).credentialSource()
        #expect(try await kept.current().accessKey == "ASIA1")
    }

    @Test func noServiceOrATurnedOffOneEndsInTheErrorThatSaysWhereKeysGo() async throws {
        let port = MotoServer.freePort()
        let home = try Scratch.directory("imds-none").path
        await #expect(throws: AWSError.configuration("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile 'default' keys in \(home)/.aws/credentials (AWS_PROFILE chooses the profile); the instance metadata service (http://127.0.0.1:\(port)) did not answer")) {
            try await AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)"], home: home).credentials()
        }
        await #expect(throws: AWSError.configuration("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile 'default' keys in \(home)/.aws/credentials (AWS_PROFILE chooses the profile)")) {
            try await AWSEnvironment(variables: ["AWS_EC2_METADATA_DISABLED": "true"], home: home).credentials()
        }
    }
}
