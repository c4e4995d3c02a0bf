import ArgumentParser
import MediaCache

#if canImport(Glibc)
import Glibc
#endif

/// The documented exit codes (BSD sysexits where one fits).
enum ExitStatus {
    static let miss: Int32 = 1
    static let usage: Int32 = 64
    static let noInput: Int32 = 66
    static let unavailable: Int32 = 69
    static let software: Int32 = 70
    static let cantCreate: Int32 = 73
    static let ioError: Int32 = 74
    static let noPermission: Int32 = 77

    static let helpText = """
        EXIT STATUS
          0   success (get: a hit; fetch: every URL is cached)
          1   get: a miss; fetch: some URL failed; verify: problems found
          64  bad usage: unknown flag, bad URL, size or duration
          66  an input file does not exist or cannot be read
          69  the origin failed: HTTP error, no connection, timeout, body too big
          73  the cache directory cannot be created or is not a directory
          74  I/O error, such as no space left on device
          77  permission denied
          130 interrupted (143: terminated); half-written temp files are removed
        """

    /// The exit code for a library error: a function of the case (and, for
    /// a failed system call, of its `errno`), never of the message text.
    static func code(for error: MediaCacheError) -> Int32 {
        if error.isUnwritable { return noPermission }
        switch error {
        case .invalidURL, .unsupportedScheme, .invalidSetting: return usage
        case .notADirectory, .cannotCreateDirectory: return cantCreate
        case .inputUnreadable: return noInput
        case .httpStatus, .bodyTooLarge, .transfer, .hostNotAllowed, .redirect: return unavailable
        case .io: return ioError
        case .shutDown: return software
        }
    }
}

/// Prints one line on stderr: `mediacache: message`.
func warn(_ message: String) {
    if Interruption.isInterrupted { return }
    StandardError.write("mediacache: \(message)\n")
}

/// Prints the error as one line and ends the command with its exit code.
func fail(_ error: any Error) -> ExitCode {
    if let error = error as? MediaCacheError {
        warn(error.description)
        return ExitCode(ExitStatus.code(for: error))
    }
    if let exit = error as? ExitCode { return exit }
    warn("\(error)")
    return ExitCode(ExitStatus.software)
}

/// Runs `body`, turning any library error into one stderr line and an exit code.
func reporting<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        throw fail(error)
    }
}
