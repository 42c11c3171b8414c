import Foundation

/// The environment pra's children (psql, pg_dump, tar, a recovered server) start from: only
/// what a program needs to run — search path, locale, time zone, temporary directory, home —
/// never pra's own settings and secrets (`AWS_SECRET_ACCESS_KEY`, `SMTP_PASSWORD`,
/// `SLACK_WEBHOOK`, `DATABASE_URL`...). A recovered server would otherwise hand them to any
/// superuser of the copy (`COPY ... FROM PROGRAM 'env'`).
public enum ChildEnvironment {
    /// Variables passed through as they are (plus every `LC_*`): what programs need to run, and
    /// what libpq reads outside its `PG*` variables (Kerberos: the credential cache and
    /// configuration a GSSAPI login uses; the library path of a PG_BIN_DIR installation).
    public static let inheritedNames: Set<String> = ["PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "HOME", "USER", "LOGNAME", "TERM",
                                                     "KRB5CCNAME", "KRB5_CONFIG", "KRB5_KTNAME", "KRB5_CLIENT_KTNAME", "LD_LIBRARY_PATH"]

    /// The allow-listed part of `environment`.
    public static func base(from environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        environment.filter { inheritedNames.contains($0.key) || $0.key.hasPrefix("LC_") }
    }
}
