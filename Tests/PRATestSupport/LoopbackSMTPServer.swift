import Foundation
import PRACore

/// A real SMTP server on 127.0.0.1 (Debian's python3-aiosmtpd), started for one test and
/// stopped when deinitialised; it serves the socket it bound (the port is never guessed). Messages it accepts are kept as JSON files in ``spoolDirectory``.
public final class LoopbackSMTPServer: @unchecked Sendable {
    /// A message as the server received it.
    public struct Message: Decodable, Sendable {
        public var from: String
        public var to: [String]
        public var data: String
        /// The user that authenticated, if any.
        public var user: String?
        /// True when the session had switched to TLS (STARTTLS) before the message.
        public var tls: Bool
    }

    public static let python = "/usr/bin/python3"

    /// True when python3 and aiosmtpd are installed (apt-get install python3-aiosmtpd).
    public static var available: Bool {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", "import aiosmtpd"]
        check.standardError = FileHandle.nullDevice
        guard (try? check.run()) != nil else { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }

    public let port: Int
    public let spoolDirectory: String
    /// Where the server's stderr goes: empty unless something unexpected happened (printed on
    /// the test's stderr when the server stops, so it is never lost).
    public let errorLog: String
    private let process: Process
    private let stdin: Pipe

    /// - Parameters:
    ///   - credentials: require AUTH with this user and password.
    ///   - tlsCertificate: certificate and key files: STARTTLS is offered.
    ///   - refuseRecipients: answer every RCPT with 550.
    public init(credentials: (user: String, password: String)? = nil, tlsCertificate: (certificate: String, key: String)? = nil, refuseRecipients: Bool = false) throws {
        let directory = TestEnvironment.temporaryDirectory("smtpd")
        spoolDirectory = directory + "/spool"
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true)
        let script = directory + "/smtpd.py"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        var arguments = [script, spoolDirectory]
        if let credentials { arguments += ["--auth", credentials.user, credentials.password] }
        if let tlsCertificate { arguments += ["--tls", tlsCertificate.certificate, tlsCertificate.key] }
        if refuseRecipients { arguments.append("--refuse") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = arguments
        stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        errorLog = directory + "/smtpd.err"
        _ = FileManager.default.createFile(atPath: errorLog, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errorLog)
        try process.run()
        let line = String(decoding: stdout.fileHandleForReading.readLine(), as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw POSIXError(.EIO)
        }
        self.port = port
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        // Only while unreaped: a reaped child's pid may belong to another process by now.
        if process.isRunning { process.terminate() }
        // Bounded: Foundation's waitUntilExit never returns when the child was reaped behind
        // its back, and one hung deinit would hold the whole test run until CI's time limit.
        ProcessLiveness.waitUntilGone(process.processIdentifier, seconds: 10)
        if ProcessLiveness.isAlive(process.processIdentifier) {
            FileHandle.standardError.write(Data("loopback SMTP server on port \(port) (pid \(process.processIdentifier)) did not exit within 10 s of SIGTERM\n".utf8))
        }
        let errors = errorOutput
        if !errors.isEmpty { FileHandle.standardError.write(Data("loopback SMTP server on port \(port):\n\(errors)".utf8)) }
    }

    /// What the server printed on stderr so far.
    public var errorOutput: String {
        (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? ""
    }

    public var url: String { "smtp://127.0.0.1:\(port)" }

    /// The messages accepted so far, oldest first.
    public var messages: [Message] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: spoolDirectory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { name in
            FileManager.default.contents(atPath: spoolDirectory + "/" + name).flatMap { try? JSONDecoder().decode(Message.self, from: $0) }
        }
    }

    /// Makes a self-signed certificate for 127.0.0.1 with openssl; returns (certificate, key).
    public static func selfSignedCertificate(in directory: String) throws -> (certificate: String, key: String) {
        let certificate = directory + "/smtp-cert.pem", key = directory + "/smtp-key.pem"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EIO) }
        return (certificate, key)
    }

    static let script = #"""
    import asyncio, json, logging, os, socket, ssl, sys, threading, time, warnings
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    spool = sys.argv[1]
    args = sys.argv[2:]
    user = password = None
    tls = None
    refuse = False
    while args:
        if args[0] == "--auth":
            user, password, args = args[1], args[2], args[3:]
        elif args[0] == "--tls":
            tls, args = (args[1], args[2]), args[3:]
        elif args[0] == "--refuse":
            refuse, args = True, args[1:]

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if refuse:
                return "550 5.7.1 relaying denied by the test server"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            record = {
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
                "user": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
                "tls": getattr(session, "ssl", None) is not None,
            }
            name = os.path.join(spool, "%.6f.json" % time.time())
            with open(name + ".tmp", "w") as f:
                json.dump(record, f)
            os.rename(name + ".tmp", name)
            return "250 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    # Bind first and serve that very socket: the port is the kernel's, never probed then reused.
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    class KnownNoise(logging.Filter):
        # aiosmtpd 1.4 logs this itself on every successful AUTH (its own code sets the legacy
        # Session.login_data); nothing here reads it.
        def filter(self, record):
            return "Session.login_data is deprecated" not in record.getMessage()

    logging.getLogger("mail.log").addFilter(KnownNoise())
    kwargs = {}
    if user is not None:
        # With a certificate, AUTH only after STARTTLS, as a real server would. Without one, AUTH
        # in clear is what the test wants to see pra refuse (SMTP_ALLOW_PLAINTEXT): the server's
        # warning about it is expected, not news.
        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=tls is not None)
        if tls is None:
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
            logging.getLogger("mail.log").setLevel(logging.ERROR)
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls[0], tls[1])
        kwargs.update(tls_context=context)
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(lambda: SMTP(Handler(), hostname="localhost", loop=loop, **kwargs), sock=listener))
    threading.Thread(target=loop.run_forever, daemon=True).start()
    print(port, flush=True)
    sys.stdin.read()
    loop.call_soon_threadsafe(server.close)
    loop.call_soon_threadsafe(loop.stop)
    """#
}

extension FileHandle {
    /// Reads up to a newline (or EOF), one byte at a time.
    func readLine() -> Data {
        var line = Data()
        while let byte = try? read(upToCount: 1), !byte.isEmpty, byte[0] != 10 { line.append(byte) }
        return line
    }
}
